import * as apps from "kubernetes-models/apps/v1";
import * as autoscaling from "kubernetes-models/autoscaling/v2";
import * as networking from "kubernetes-models/networking.k8s.io/v1";
import * as policy from "kubernetes-models/policy/v1";
import * as storage from "kubernetes-models/storage.k8s.io/v1";
import * as core from "kubernetes-models/v1";
import { ALL_PHASES } from "./support/configs";
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

async function expectValidObjects(render: Promise<import("../tools/render").RenderResult>) {
  const result = await render;
  let validated = 0;
  for (const { object } of result.kubernetesObjects) {
    const { apiVersion, kind } = object as { apiVersion: string; kind: string };
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
  it.each(["dev", "prod"])("the committed %s stack", async (stack) => {
    await expectValidObjects(renderStack(stack));
  });
  it("the schema check itself rejects a broken object", () => {
    expect(() => new apps.Deployment({ metadata: { name: "x" }, spec: { replicas: "two" } } as never).validate()).toThrow();
  });
});
