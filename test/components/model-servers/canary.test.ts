/**
 * The model servers' canary (docs/delivery.md, `delivery.canary.modelServers`): prod with an efs cache and the
 * canary on runs its vLLM server as an Argo Rollout of the Deployment's unchanged pod template, scaled by KEDA
 * through the Rollout, judged on vLLM's own series of the canary's hash; the committed prod (gp3 cache) does not.
 */
import { prometheusUrl } from "../../../components/monitoring/monitoring-values";
import type { RenderResult } from "../../../tools/render";
import { ANALYSIS_TEMPLATE_SPEC, ROLLOUT_SPEC, SCALED_OBJECT_SPEC, shapeProblems } from "../../support/crd-shapes";
import { planned, plannedOne } from "../../support/eks";
import { everySecret } from "../../support/config";
import { K8sObject, objectOf, objectsOf, renderConfig, renderStack, stackFileSettings } from "../../support/render";
import { stackCost } from "../../../tools/cost/stack-cost";
import { compareStack } from "../../../tools/diff/compare";
import { formatPath } from "../../../tools/diff/fields";
import { diffMarkdown } from "../../../tools/diff/markdown";
import { Plan } from "../../../tools/diff/plan";
import { StackResource } from "../../../policy/resources";
import { RULES } from "../../../policy/rules";
import { stackFileConfig } from "../../../tools/stack-file";

/** The cost estimate of a render, from the settings it was rendered with (as the render CLI does). */
const costOf = (result: RenderResult, settings: Record<string, unknown>) =>
  stackCost(result, stackFileConfig({ config: Object.fromEntries(Object.entries(settings).map(([key, value]) => [`ai-assistant:${key}`, value])) }).config);

/** prod as committed, with an efs cache and the model servers' canary on. */
function prodWithModelCanary(): Record<string, unknown> {
  const prod = stackFileSettings("prod") as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  return {
    ...prod,
    ...everySecret(),
    cluster: { ...prod.cluster, storage: { efs: true } },
    localModel: { ...prod.localModel, cache: { ...prod.localModel.cache, storageClass: "efs", accessMode: "ReadWriteMany" } },
    delivery: { ...prod.delivery, canary: { modelServers: { enabled: true } } },
  };
}

const ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout";

describe("prod with the model servers' canary on", () => {
  let result: RenderResult;
  let without: RenderResult;
  const withCanary = prodWithModelCanary();
  const withoutCanary = { ...withCanary, delivery: { strategy: "canary" } };
  beforeAll(async () => {
    result = await renderConfig(withCanary, "prod");
    without = await renderConfig(withoutCanary, "prod");
  });

  it("runs the vLLM server as a Rollout of its Deployment, beside its other objects, fitting the pinned CRDs", () => {
    const groups = (kind: string) => result.kubernetesObjects.filter(({ object }) => object.kind === kind).map(({ group, object }) => `${group}: ${(object as K8sObject).metadata.name}`).sort();
    expect(groups("Rollout")).toEqual(["backend: backend", "frontend: frontend", "local-models: model-server"]);
    expect(groups("AnalysisTemplate")).toEqual(["backend: backend-canary", "local-models: model-server-canary"]);
    expect(shapeProblems(objectOf(result, "Rollout", "model-server").spec, ROLLOUT_SPEC)).toEqual([]);
    expect(shapeProblems(objectOf(result, "AnalysisTemplate", "model-server-canary").spec, ANALYSIS_TEMPLATE_SPEC)).toEqual([]);
    expect(shapeProblems(objectOf(result, "ScaledObject", "model-server").spec, SCALED_OBJECT_SPEC)).toEqual([]);
  });

  it("steps by pod count with one pod more, never one less, and judges each step below 100 on the server's template", () => {
    const rollout = objectOf(result, "Rollout", "model-server");
    const analysis = { analysis: { templates: [{ templateName: "model-server-canary" }], args: [{ name: "canary-hash", valueFrom: { podTemplateHashValue: "Latest" } }] } };
    expect(rollout.spec.strategy.canary).toEqual({ maxSurge: 1, maxUnavailable: 0, steps: [{ setWeight: 10 }, analysis, { setWeight: 50 }, analysis, { setWeight: 100 }] });
    // The first pull and load of a new version (prod: pullMinutes 30 + startupMinutes 20), then abort.
    expect(rollout.spec).toMatchObject({ progressDeadlineSeconds: 50 * 60, progressDeadlineAbort: true });
  });

  it("keeps the pod template in the Deployment, unchanged (restricted security, probes, GPU), and leaves replicas to KEDA", () => {
    const rollout = objectOf(result, "Rollout", "model-server");
    const deployment = objectOf(result, "Deployment", "model-server");
    expect(rollout.spec.workloadRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "model-server", scaleDown: "onsuccess" });
    expect(rollout.spec.template).toBeUndefined();
    expect(rollout.spec.selector).toEqual(deployment.spec.selector);
    expect(rollout.spec.replicas).toBeUndefined();
    expect(deployment.spec.replicas).toBeUndefined();
    expect(deployment.spec.template).toEqual(objectOf(without, "Deployment", "model-server").spec.template);
    // Two pods of the server share the ReadWriteMany cache: the Deployment rolls too, never Recreate.
    expect(deployment.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(objectOf(result, "PersistentVolumeClaim", deployment.spec.template.spec.volumes[0].persistentVolumeClaim.claimName).spec.accessModes).toEqual(["ReadWriteMany"]);
  });

  it("keeps the canary's pods inside the server's NetworkPolicy and disruption budget (they carry the same labels)", () => {
    const selector = objectOf(result, "Rollout", "model-server").spec.selector.matchLabels;
    const policy = objectsOf(result, "NetworkPolicy").find((p) => p.metadata.name === "model-server")!;
    expect(policy.spec.podSelector.matchLabels).toEqual(selector);
    expect(objectOf(result, "Deployment", "model-server").spec.template.metadata.labels).toMatchObject(selector);
  });

  it("has KEDA scale the Rollout (to zero too), created after it", () => {
    const scaled = objectOf(result, "ScaledObject", "model-server");
    expect(scaled.spec.scaleTargetRef).toEqual({ apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: "model-server" });
    expect(scaled.spec.minReplicaCount).toBe(0);
    const [rollout] = planned(result, ROLLOUT, "model-server");
    expect(plannedOne(result, "kubernetes:keda.sh/v1alpha1:ScaledObject", "model-server-scaling").dependencies).toContain(rollout.urn);
    expect(objectOf(without, "ScaledObject", "model-server").spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "model-server" });
  });

  it("judges the canary on vLLM's 5xx share, engine error share and p95 time to first token of its hash, from the stack's Prometheus", () => {
    const template = objectOf(result, "AnalysisTemplate", "model-server-canary").spec;
    expect(template.args).toEqual([{ name: "canary-hash" }]);
    const byName = Object.fromEntries(template.metrics.map((m: { name: string }) => [m.name, m]));
    expect(Object.keys(byName)).toEqual(["http-error-ratio", "engine-error-ratio", "p95-time-to-first-token"]);
    for (const metric of template.metrics) {
      expect(metric.provider.prometheus.address).toBe(prometheusUrl("prod", "monitoring"));
      expect(metric.provider.prometheus.query).toContain('namespace="ai-assistant", service="model-server", rollouts_pod_template_hash="{{args.canary-hash}}"');
      expect(metric).toMatchObject({ interval: "1m", count: 5, failureLimit: 1, inconclusiveLimit: 4 });
    }
    expect(byName["http-error-ratio"].provider.prometheus.query).toContain('http_requests_total{namespace="ai-assistant", service="model-server", rollouts_pod_template_hash="{{args.canary-hash}}", status="5xx"}');
    expect(byName["engine-error-ratio"].provider.prometheus.query).toContain('finished_reason="error"');
    expect(byName["http-error-ratio"].failureCondition).toBe("len(result) > 0 && result[0] > 0.05");
    expect(byName["p95-time-to-first-token"].failureCondition).toBe("len(result) > 0 && result[0] > 2");
  });

  it("creates the Rollout and its AnalysisTemplate after Argo Rollouts' chart, and scrapes vLLM with the pods' hash", () => {
    const chart = plannedOne(result, "kubernetes:helm.sh/v4:Chart", "argo-rollouts-chart");
    expect(planned(result, ROLLOUT, "model-server")[0].dependencies).toContain(chart.urn);
    expect(planned(result, "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate", "model-server-canary")[0].dependencies).toContain(chart.urn);
    const monitor = objectsOf(result, "ServiceMonitor").find((m) => m.metadata.name.endsWith("model-server-vllm"))!;
    expect(monitor.spec.endpoints[0].relabelings).toEqual([{ sourceLabels: ["__meta_kubernetes_pod_label_rollouts_pod_template_hash"], targetLabel: "rollouts_pod_template_hash", action: "replace" }]);
  });

  it("costs a g5.xlarge more for each release's start allowance and analysis, four releases a month, at the expected size only", () => {
    const [on, off] = [costOf(result, withCanary), costOf(without, withoutCanary)];
    const gpuHours = (cost: typeof on) => cost.items.find((item) => item.type === "EC2 g5.xlarge on-demand instance-hour")!;
    // prod: a 50-minute start allowance (pullMinutes 30 + startupMinutes 20) and two analysis steps of 5 x 1m: 1 h a release.
    expect(gpuHours(on).quantity - gpuHours(off).quantity).toBeCloseTo(4 * (50 / 60 + (2 * 5) / 60), 3);
    expect(on.total - off.total).toBeGreaterThan(4 * gpuHours(on).unitPrice - 0.01);
    expect(on.min).toBe(off.min);
    expect(on.max).toBe(off.max);
    expect(on.notes.join(" ")).toContain("runs as a canary (delivery.canary.modelServers): 1 more GPU pod for up to 1 h per release");
  });

  it("passes the policy pack, which checks the canary's pods in the Deployment's template (restricted Pod Security included)", () => {
    const resources = (r: RenderResult): StackResource[] => r.resources.map(({ type, name, urn, inputs }) => ({ type, name, urn, props: structuredClone(inputs) }));
    const rules = RULES;
    for (const rule of rules) expect(rule.validate(resources(result), { production: true })).toEqual([]);
    const flawed = resources(result);
    const deployment = flawed.find((r) => r.props.kind === "Deployment" && r.props.metadata?.name === "model-server")!;
    deployment.props.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
    expect(rules.flatMap((rule) => rule.validate(flawed, { production: true }).map((v) => v.message))).toContain(
      'Deployment ai-assistant/model-server: container server may escalate privileges (allowPrivilegeEscalation is not false) (Pod Security "restricted")',
    );
  });

  it("shows in the offline diff: the Rollout and its template added, KEDA's target moved, a changed threshold as its field", () => {
    const plan = (r: RenderResult): Plan => ({ stack: "prod", outputs: r.outputs, resources: r.resources });
    const turnedOn = compareStack("prod", plan(without), plan(result));
    const changes = Object.fromEntries(turnedOn.resources.map((r) => [r.name, r.change]));
    expect(changes).toMatchObject({ "Rollout ai-assistant/model-server": "add", "AnalysisTemplate ai-assistant/model-server-canary": "add", "ScaledObject ai-assistant/model-server": "update" });
    const scaled = turnedOn.resources.find((r) => r.name === "ScaledObject ai-assistant/model-server")!;
    expect(scaled.fields.map((f) => formatPath(f.path))).toEqual(expect.arrayContaining(["spec.scaleTargetRef.apiVersion", "spec.scaleTargetRef.kind"]));
    const stricter: Plan = JSON.parse(JSON.stringify(plan(result)));
    const template = stricter.resources.find((r) => r.type === "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate" && r.name === "model-server-canary")!;
    const ttft = (template.inputs.spec as { metrics: { name: string; failureCondition: string }[] }).metrics.find((m) => m.name === "p95-time-to-first-token")!;
    ttft.failureCondition = ttft.failureCondition.replace("> 2", "> 1.5");
    const text = diffMarkdown([compareStack("prod", plan(result), stricter)], "main");
    expect(text).toContain('`spec.metrics[p95-time-to-first-token].failureCondition`: `"len(result) > 0 && result[0] > 2"` -> `"len(result) > 0 && result[0] > 1.5"`');
  });
});

describe("prod as committed (a gp3 cache, the model servers' canary off)", () => {
  it("keeps the model server a Deployment that KEDA scales, with its own Recreate update", async () => {
    const result = await renderStack("prod");
    expect(objectsOf(result, "Rollout").map((r) => r.metadata.name).sort()).toEqual(["backend", "frontend"]);
    expect(objectOf(result, "ScaledObject", "model-server").spec.scaleTargetRef.kind).toBe("Deployment");
    expect(objectOf(result, "Deployment", "model-server").spec.strategy).toEqual({ type: "Recreate" });
  });
});
