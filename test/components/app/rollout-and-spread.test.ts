import * as pulumi from "@pulumi/pulumi";
import { keyChecksum } from "../../../components/app/backend";
import type { RenderResult } from "../../../tools/render";
import { HOSTED, MOCK } from "../../support/configs";
import { everySecret } from "../../support/config";
import { objectOf, objectsOf, renderConfig, renderStack, stackFileSettings } from "../../support/render";

const valueOf = <T>(output: pulumi.Output<T>) => new Promise<T>((resolve) => output.apply(resolve));
const annotations = (result: RenderResult) => objectOf(result, "Deployment", "backend").spec.template.metadata.annotations;

describe("rotating the hosted API's key", () => {
  it("changes the backend's pod template, so its pods roll onto the new key", async () => {
    const before = await renderConfig({ ...HOSTED, apiKey: "sk-first-key-0123456789" });
    const after = await renderConfig({ ...HOSTED, apiKey: "sk-second-key-9876543210" });
    expect(annotations(before)["ai-assistant.io/api-key-checksum"]).toMatch(/^[0-9a-f]{16}$/);
    expect(annotations(after)["ai-assistant.io/api-key-checksum"]).not.toBe(annotations(before)["ai-assistant.io/api-key-checksum"]);
    // The settings did not change; only the key's fingerprint did.
    expect(annotations(after)["ai-assistant.io/settings-checksum"]).toBe(annotations(before)["ai-assistant.io/settings-checksum"]);
  });

  it("keeps the key itself out of the render, while the Deployment's spec stays readable", async () => {
    const result = await renderConfig({ ...HOSTED, apiKey: "sk-live-key-must-not-show" });
    const text = JSON.stringify(result);
    expect(text).not.toContain("sk-live-key-must-not-show");
    expect(objectOf(result, "Deployment", "backend").spec.template.spec.containers[0].name).toBe("backend");
  });

  it("the fingerprint is a 64-bit prefix of a SHA-256, never the key, and not marked secret (a secret would mask the whole spec)", async () => {
    const fingerprint = keyChecksum(pulumi.secret("sk-abc-0123456789abcdef"));
    expect(await pulumi.isSecret(fingerprint)).toBe(false);
    const value = await valueOf(fingerprint);
    expect(value).toMatch(/^[0-9a-f]{16}$/);
    expect(value).not.toContain("sk-abc");
  });

  it("a backend without a key has no key fingerprint", async () => {
    expect(annotations(await renderConfig(MOCK))["ai-assistant.io/api-key-checksum"]).toBeUndefined();
  });
});

describe("spread and disruption", () => {
  let prod: RenderResult;
  let dev: RenderResult;
  beforeAll(async () => {
    prod = await renderStack("prod");
    dev = await renderStack("dev");
  });

  it("in production, frontend and backend spread across zones (hard) and nodes (soft), counting only their own rollout's pods", async () => {
    // prod runs canaries: Argo Rollouts' ReplicaSets label their pods rollouts-pod-template-hash (docs/delivery.md).
    const rolling = await renderConfig({ ...stackFileSettings("prod"), ...everySecret(), delivery: { strategy: "rollingUpdate" } }, "prod");
    for (const [result, hashKey] of [[prod, "rollouts-pod-template-hash"], [rolling, "pod-template-hash"]] as const) {
      for (const name of ["frontend", "backend"]) {
        const deployment = objectOf(result, "Deployment", name);
        const selector = deployment.spec.selector.matchLabels;
        expect(deployment.spec.template.spec.topologySpreadConstraints).toEqual([
          { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: selector }, matchLabelKeys: [hashKey] },
          { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector }, matchLabelKeys: [hashKey] },
        ]);
      }
    }
  });

  it("outside production, pods are placed as the scheduler likes", async () => {
    expect(objectOf(dev, "Deployment", "backend").spec.template.spec.topologySpreadConstraints).toBeUndefined();
  });

  it("a PodDisruptionBudget exists exactly where more than one replica always runs", async () => {
    // prod: frontend 2-10, backend 2-6; dev: frontend 1 fixed, backend 1-2 (it may drop to one pod, so no budget).
    expect(objectsOf(prod, "PodDisruptionBudget").map((pdb) => pdb.metadata.name).sort()).toEqual(["backend", "frontend"]);
    expect(objectOf(prod, "PodDisruptionBudget", "backend").spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: objectOf(prod, "Deployment", "backend").spec.selector.matchLabels },
    });
    expect(objectsOf(dev, "PodDisruptionBudget")).toEqual([]);
    const fixed = await renderConfig({ ...MOCK, backend: { autoscaling: { enabled: false }, replicas: 3 } });
    expect(objectsOf(fixed, "PodDisruptionBudget").map((pdb) => pdb.metadata.name)).toEqual(["backend"]);
  });
});
