import * as apps from "kubernetes-models/apps/v1";
import * as autoscaling from "kubernetes-models/autoscaling/v2";
import * as networking from "kubernetes-models/networking.k8s.io/v1";
import * as policy from "kubernetes-models/policy/v1";
import * as storage from "kubernetes-models/storage.k8s.io/v1";
import * as core from "kubernetes-models/v1";
import { ALL_PHASES } from "./support/configs";
import { ANALYSIS_TEMPLATE_SPEC, ROLLOUT_SPEC, Shape, shapeProblems } from "./support/crd-shapes";
import { renderConfig, renderStack } from "./support/render";

/** Validators from the Kubernetes OpenAPI schema (kubernetes-models), by apiVersion and kind. */
const MODELS: Record<string, Record<string, new (data: object) => { validate(): void }>> = {
  v1: core as never,
  "apps/v1": apps as never,
  "autoscaling/v2": autoscaling as never,
  "policy/v1": policy as never,
  "networking.k8s.io/v1": networking as never,
  "storage.k8s.io/v1": storage as never,
};

/** Custom resources checked against their pinned CRD's schema (test/support/crd-shapes.ts), by apiVersion and kind. */
const CRD_SHAPES: Record<string, Shape> = {
  "argoproj.io/v1alpha1/Rollout": ROLLOUT_SPEC,
  "argoproj.io/v1alpha1/AnalysisTemplate": ANALYSIS_TEMPLATE_SPEC,
};

async function expectValidObjects(render: Promise<import("../tools/render").RenderResult>) {
  const result = await render;
  let validated = 0;
  for (const { object } of result.kubernetesObjects) {
    const { apiVersion, kind } = object as { apiVersion: string; kind: string };
    const shape = CRD_SHAPES[`${apiVersion}/${kind}`];
    if (shape) expect(shapeProblems((object as { spec: unknown }).spec, shape)).toEqual([]);
    // Custom resources (ServiceMonitor, PrometheusRule) are not in the core schema; everything else must be.
    if (!(apiVersion in MODELS)) continue;
    const Model = MODELS[apiVersion][kind];
    expect(Model).toBeDefined();
    expect(() => new Model(object).validate()).not.toThrow();
    validated += 1;
  }
  expect(validated).toBeGreaterThanOrEqual(8);
}

describe("every rendered object is valid against the Kubernetes schema", () => {
  it.each(Object.keys(ALL_PHASES))("the %s config", async (name) => {
    await expectValidObjects(renderConfig(ALL_PHASES[name as keyof typeof ALL_PHASES]));
  });
  it("a local-model config with feature flags (the flag ConfigMap and its mount)", async () => {
    await expectValidObjects(renderConfig({ ...ALL_PHASES.OLLAMA, features: { knowledge: { percentage: 25 }, model: { model: "qwen2.5:7b", percentage: 10 } } }));
  });
  it("a vLLM config with the model servers' canary (their Rollout and AnalysisTemplate)", async () => {
    const canary = { ...ALL_PHASES.VLLM, monitoring: { enabled: true }, grafanaAdminPassword: { secure: "AAABAGrafana" }, delivery: { strategy: "canary", canary: { modelServers: { enabled: true } } } };
    await expectValidObjects(renderConfig(canary));
  });
  it.each(["dev", "prod"])("the committed %s stack", async (stack) => {
    await expectValidObjects(renderStack(stack));
  });
  it("the CRD shape check rejects a Rollout with a misspelt or mistyped field", () => {
    const spec = { workloadRef: { apiVersion: "apps/v1", kind: "Deployment", name: "backend", scaleDown: "onsuccess" }, strategy: { canary: { steps: [{ setWeight: "10" }, { pause: { duration: "5m" } }], trafficRouting: { alb: { ingress: "frontend" } } } } };
    expect(shapeProblems(spec, ROLLOUT_SPEC)).toEqual(["spec.strategy.canary.steps[0].setWeight: expected an integer, found \"10\"", "spec.strategy.canary.trafficRouting.alb.servicePort: required"]);
    expect(shapeProblems({ ...spec, strategy: { canary: { setps: [] } } }, ROLLOUT_SPEC)).toEqual(["spec.strategy.canary.setps: not a field of the CRD"]);
    expect(shapeProblems({ metrics: [{ name: "x", provider: { prometheus: { query: "up", timeout: "30s" } } }] }, ANALYSIS_TEMPLATE_SPEC)).toEqual(['spec.metrics[0].provider.prometheus.timeout: expected an integer, found "30s"']);
  });
  it("the schema check itself rejects a broken object", () => {
    expect(() => new apps.Deployment({ metadata: { name: "x" }, spec: { replicas: "two" } } as never).validate()).toThrow();
  });
});
