/**
 * The flag file the stack writes for `features`: a `backend-feature-flags` ConfigMap holding flagd's flag definition
 * (checked by flagd-core's own validator of https://flagd.dev/schema/v0/flags.json, strict), mounted into the backend
 * as a directory (kubelet updates it; it would not under subPath), the backend told where by FEATURE_FLAGS_FILE, and a
 * new percentage that leaves the pod template alone (no rollout). Without `features`, none of it.
 */
import { MemoryStorage } from "@openfeature/flagd-core";
import { FEATURE_FLAGS_FILE } from "../../../components/app/feature-flags";
import { FLAGD_SCHEMA, FLAGS_FILE_NAME, FLAGS_MOUNT_DIR } from "../../../lib/feature-flags";
import { parseBackendEnv } from "../../../lib/backend-env";
import { RenderResult } from "../../../tools/render";
import { OLLAMA } from "../../support/configs";
import { K8sObject, objectOf, objectsOf, renderConfig } from "../../support/render";

const FEATURES = { knowledge: { percentage: 25 }, model: { model: "qwen2.5:7b", percentage: 10 } };
const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
const podSpec = (result: RenderResult) => objectOf(result, "Deployment", "backend").spec.template;

describe("given a local-model stack rolling knowledge out to 25% and a second model to 10%", () => {
  let result: RenderResult;
  let flags: K8sObject;
  beforeAll(async () => {
    result = await renderConfig({ ...OLLAMA, features: FEATURES });
    flags = objectOf(result, "ConfigMap", "backend-feature-flags");
  });

  it("then the flag file is flagd's flag definition, valid under flagd's schema, with a fractional split per flag", () => {
    const text = flags.data[FLAGS_FILE_NAME];
    expect(() => new MemoryStorage(quiet).setConfigurations(text, true)).not.toThrow();
    const document = JSON.parse(text);
    expect(document.$schema).toBe(FLAGD_SCHEMA);
    expect(document.flags.knowledge).toEqual({ state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "off", targeting: { fractional: [["on", 25], ["off", 75]] } });
    expect(document.flags.model).toEqual({
      state: "ENABLED",
      variants: { "as-asked": "", "qwen2.5:7b": "qwen2.5:7b" },
      defaultVariant: "as-asked",
      targeting: { fractional: [["qwen2.5:7b", 10], ["as-asked", 90]] },
    });
    // Flags the stack does not roll out are written on, so that a flag missing from the file is an error in the backend.
    expect(document.flags.responseCache).toEqual({ state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "on" });
    expect(flags.metadata.labels?.["app.kubernetes.io/component"]).toBe("backend");
  });

  it("then the ConfigMap is mounted read-only as a directory (no subPath), and the settings name the file in it", () => {
    const [container] = podSpec(result).spec.containers;
    const mount = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === FLAGS_MOUNT_DIR);
    expect(mount).toEqual({ name: "feature-flags", mountPath: FLAGS_MOUNT_DIR, readOnly: true });
    expect(podSpec(result).spec.volumes).toContainEqual({ name: "feature-flags", configMap: { name: "backend-feature-flags" } });
    const settings = objectOf(result, "ConfigMap", "backend-settings").data;
    expect(settings.FEATURE_FLAGS_FILE).toBe(`${FLAGS_MOUNT_DIR}/${FLAGS_FILE_NAME}`);
    expect(FEATURE_FLAGS_FILE).toBe(settings.FEATURE_FLAGS_FILE);
    expect(parseBackendEnv({ ...settings }).featureFlagsFile).toBe(settings.FEATURE_FLAGS_FILE);
  });

  it("when a percentage changes, then only the flag file changes: the pod template (and so the pods) stays", async () => {
    const changed = await renderConfig({ ...OLLAMA, features: { ...FEATURES, knowledge: { percentage: 50 } } });
    expect(JSON.parse(objectOf(changed, "ConfigMap", "backend-feature-flags").data[FLAGS_FILE_NAME]).flags.knowledge.targeting.fractional).toEqual([["on", 50], ["off", 50]]);
    expect(podSpec(changed)).toEqual(podSpec(result));
    expect(objectOf(changed, "ConfigMap", "backend-settings").data).toEqual(objectOf(result, "ConfigMap", "backend-settings").data);
  });
});

describe("given a stack without features", () => {
  it("then there is no flag ConfigMap, no mount and no FEATURE_FLAGS_FILE: the backend runs as before flags", async () => {
    const result = await renderConfig(OLLAMA);
    expect(objectsOf(result, "ConfigMap", "backend-feature-flags")).toEqual([]);
    expect(JSON.stringify(podSpec(result))).not.toContain("feature-flags");
    expect(objectOf(result, "ConfigMap", "backend-settings").data.FEATURE_FLAGS_FILE).toBeUndefined();
  });
});
