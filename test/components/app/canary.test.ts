/**
 * Canary delivery (docs/delivery.md): the committed prod stack runs the frontend and backend as Argo Rollouts that
 * reference their Deployments, with the pinned chart; a rolling-update stack (dev) is unchanged.
 */
import { prometheusUrl } from "../../../components/monitoring/monitoring-values";
import { systemPoolPods } from "../../../config/system-pool";
import { everySecret, parse } from "../../support/config";
import type { RenderResult } from "../../../tools/render";
import { ANALYSIS_TEMPLATE_SPEC, ROLLOUT_SPEC, shapeProblems } from "../../support/crd-shapes";
import { planned, plannedOne } from "../../support/eks";
import { K8sObject, objectOf, objectsOf, renderConfig, renderStack, stackFileSettings } from "../../support/render";

const stepsOf = (rollout: K8sObject) => rollout.spec.strategy.canary.steps as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("the prod stack's canaries", () => {
  let result: RenderResult;
  beforeAll(async () => {
    result = await renderStack("prod");
  });

  it("are written by the render beside their component's other objects (rendered/prod/backend.yaml, frontend.yaml)", () => {
    const groups = (kind: string) => result.kubernetesObjects.filter(({ object }) => object.kind === kind).map(({ group, object }) => `${group}: ${(object as K8sObject).metadata.name}`).sort();
    expect(groups("Rollout")).toEqual(["backend: backend", "frontend: frontend"]);
    expect(groups("AnalysisTemplate")).toEqual(["backend: backend-canary"]);
  });

  it("are Rollouts and an AnalysisTemplate that fit the pinned CRDs' schemas", () => {
    for (const name of ["backend", "frontend"]) expect(shapeProblems(objectOf(result, "Rollout", name).spec, ROLLOUT_SPEC)).toEqual([]);
    expect(shapeProblems(objectOf(result, "AnalysisTemplate", "backend-canary").spec, ANALYSIS_TEMPLATE_SPEC)).toEqual([]);
  });

  it("step the backend 10% -> analysis -> 50% -> analysis -> 100%, the analysis given the canary's pod-template hash", () => {
    const steps = stepsOf(objectOf(result, "Rollout", "backend"));
    const analysis = { analysis: { templates: [{ templateName: "backend-canary" }], args: [{ name: "canary-hash", valueFrom: { podTemplateHashValue: "Latest" } }] } };
    expect(steps).toEqual([{ setWeight: 10 }, analysis, { setWeight: 50 }, analysis, { setWeight: 100 }]);
  });

  it("reference the Deployments, which keep the pod template and leave their replicas to Argo Rollouts", () => {
    for (const name of ["backend", "frontend"]) {
      const rollout = objectOf(result, "Rollout", name);
      const deployment = objectOf(result, "Deployment", rollout.spec.workloadRef.name);
      expect(rollout.spec.workloadRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name, scaleDown: "onsuccess" });
      expect(rollout.spec.template).toBeUndefined();
      expect(rollout.spec.selector).toEqual(deployment.spec.selector);
      expect(deployment.spec.replicas).toBeUndefined();
      expect(deployment.spec.template.spec.containers[0].readinessProbe).toBeDefined();
      // The Rollout's pods carry rollouts-pod-template-hash: the zone spread counts a canary's pods among themselves.
      for (const constraint of deployment.spec.template.spec.topologySpreadConstraints) expect(constraint.matchLabelKeys).toEqual(["rollouts-pod-template-hash"]);
      expect(rollout.spec.progressDeadlineAbort).toBe(true);
    }
  });

  it("scale the Rollouts with the HPAs, and keep the disruption budgets on the same pods", () => {
    for (const name of ["backend", "frontend"]) {
      expect(objectOf(result, "HorizontalPodAutoscaler", name).spec.scaleTargetRef).toEqual({ apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name });
      expect(objectOf(result, "PodDisruptionBudget", name).spec.selector).toEqual(objectOf(result, "Rollout", name).spec.selector);
    }
  });

  it("move the frontend's traffic on the ALB: the Ingress sends to the root Service by the action Argo Rollouts writes", () => {
    const canary = objectOf(result, "Rollout", "frontend").spec.strategy.canary;
    expect(canary.trafficRouting).toEqual({ alb: { ingress: "frontend", rootService: "frontend", servicePort: 8080 } });
    const ingress = objectOf(result, "Ingress", canary.trafficRouting.alb.ingress);
    expect(ingress.spec.ingressClassName).toBe("alb");
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: "frontend", port: { name: "use-annotation" } });
    // The action is Argo Rollouts' to write: the stack sets no action annotation, so pulumi up never resets the weights.
    expect(Object.keys(ingress.metadata.annotations ?? {}).filter((key) => key.startsWith("alb.ingress.kubernetes.io/actions."))).toEqual([]);
    const main = objectOf(result, "Service", "frontend");
    for (const role of ["canary", "stable"]) {
      const service = objectOf(result, "Service", canary[`${role}Service`]);
      expect(service.spec.selector).toEqual(main.spec.selector);
      expect(service.spec.ports).toEqual(main.spec.ports);
    }
    // No metrics of its own: the frontend waits at each step instead of analysis.
    expect(stepsOf(objectOf(result, "Rollout", "frontend"))).toEqual([{ setWeight: 10 }, { pause: { duration: "5m" } }, { setWeight: 50 }, { pause: { duration: "5m" } }, { setWeight: 100 }]);
  });

  it("move the backend by pod count (no Ingress reaches it), with no extra Services", () => {
    expect(objectOf(result, "Rollout", "backend").spec.strategy.canary.trafficRouting).toBeUndefined();
    expect(objectsOf(result, "Service").map((s) => s.metadata.name)).not.toContain("backend-canary");
  });

  it("judge the backend on the stack's Prometheus with the config's thresholds", () => {
    const template = objectOf(result, "AnalysisTemplate", "backend-canary").spec;
    expect(template.args).toEqual([{ name: "canary-hash" }]);
    for (const metric of template.metrics) {
      expect(metric.provider.prometheus.address).toBe(prometheusUrl("prod", "monitoring"));
      expect(metric.provider.prometheus.query).toContain('rollouts_pod_template_hash="{{args.canary-hash}}"');
      expect(metric).toMatchObject({ interval: "1m", count: 5, failureLimit: 1, inconclusiveLimit: 4 });
    }
    const byName = Object.fromEntries(template.metrics.map((m: { name: string }) => [m.name, m]));
    expect(byName["error-ratio"].failureCondition).toBe("len(result) > 0 && result[0] > 0.05");
    expect(byName["p95-latency"].failureCondition).toBe("len(result) > 0 && result[0] > 5");
  });

  it("install Argo Rollouts' chart, pinned, in a restricted namespace on the system pool, before the Rollouts", () => {
    const chart = plannedOne(result, "kubernetes:helm.sh/v4:Chart", "argo-rollouts-chart");
    expect(chart.inputs).toMatchObject({ chart: "argo-rollouts", version: "2.41.0", repositoryOpts: { repo: "https://argoproj.github.io/argo-helm" }, namespace: "argo-rollouts" });
    const controller = (chart.inputs.values as { controller: Record<string, unknown> }).controller;
    expect(controller).toMatchObject({ replicas: 2, resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } } });
    expect(controller.nodeSelector).toBeDefined();
    expect(objectOf(result, "Namespace", "argo-rollouts").metadata.labels).toMatchObject({ "pod-security.kubernetes.io/enforce": "restricted" });
    // The system pool's capacity rule counts the controller as the chart runs it.
    const config = parse({ ...stackFileSettings("prod"), ...everySecret() }, "prod");
    const counted = systemPoolPods({ frontend: config.frontend, backend: config.backend, monitoring: config.monitoring, nodes: 2, argoRollouts: true }).find((pod) => pod.name === "argo-rollouts");
    expect(counted).toEqual({ name: "argo-rollouts", pods: 2, requests: { cpu: 0.05, memory: 128 * 2 ** 20 } });
    // The frontend's pods are made by its Rollout now: it waits, as the Deployment does, for the ALB controller's webhook.
    const deploymentDeps = plannedOne(result, "kubernetes:apps/v1:Deployment", "frontend").dependencies ?? [];
    const albController = deploymentDeps.filter((urn) => /load-balancer-controller/i.test(urn));
    expect(albController.length).toBeGreaterThan(0);
    expect(plannedOne(result, "kubernetes:argoproj.io/v1alpha1:Rollout", "frontend").dependencies).toEqual(expect.arrayContaining(albController));
    for (const name of ["backend", "backend-canary", "frontend"]) {
      const [resource] = planned(result, name === "backend-canary" ? "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate" : "kubernetes:argoproj.io/v1alpha1:Rollout", name);
      expect(resource.dependencies).toContain(chart.urn);
    }
  });
});

describe("a rolling-update stack", () => {
  it("keeps plain Deployments: no Rollout, no chart, the HPA on the Deployment", async () => {
    const result = await renderStack("dev");
    expect(objectsOf(result, "Rollout")).toEqual([]);
    expect(objectsOf(result, "AnalysisTemplate")).toEqual([]);
    expect(planned(result, "kubernetes:helm.sh/v4:Chart", "argo-rollouts-chart")).toEqual([]);
    expect(objectOf(result, "HorizontalPodAutoscaler", "backend").spec.scaleTargetRef.kind).toBe("Deployment");
    expect(objectOf(result, "Deployment", "frontend").spec.replicas).toBe(1);
  });
});

describe("a canary on an existing cluster", () => {
  it("splits by pod count, keeps a fixed replica count on the Rollout, and uses the cluster's Argo Rollouts when told", async () => {
    const result = await renderConfig({ ...stackFileSettings("dev"), grafanaAdminPassword: { secure: "AAAB" }, delivery: { strategy: "canary", argoRollouts: { install: false }, canary: { weights: [20, 100] } } });
    const frontend = objectOf(result, "Rollout", "frontend");
    expect(frontend.spec.strategy.canary.trafficRouting).toBeUndefined();
    expect(frontend.spec.replicas).toBe(1);
    expect(objectOf(result, "Deployment", "frontend").spec.replicas).toBeUndefined();
    expect(stepsOf(objectOf(result, "Rollout", "backend")).map((step) => Object.keys(step)[0])).toEqual(["setWeight", "analysis", "setWeight"]);
    expect(planned(result, "kubernetes:helm.sh/v4:Chart", "argo-rollouts-chart")).toEqual([]);
    expect(planned(result, "kubernetes:argoproj.io/v1alpha1:Rollout", "frontend")[0].dependencies?.filter((urn) => urn.includes("Chart"))).toEqual([]);
  });
});
