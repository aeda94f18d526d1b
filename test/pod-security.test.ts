import { RenderResult } from "../tools/render";
import { ALL_PHASES } from "./support/configs";
import { objectsOf, podSpecs, renderConfig } from "./support/render";
import { valkeyChartRender } from "./support/valkey-chart";

/**
 * The Pod Security Standards "restricted" profile, checked field by field on every pod the stack renders, in
 * every phase (model servers included), plus requests and limits on every container. Helm charts are not expanded
 * offline; the Valkey chart's pod is checked as Helm renders it with the prod values (test/support/valkey-chart.ts).
 */
const SOURCES: [string, () => Promise<RenderResult>][] = [
  ...Object.entries(ALL_PHASES).map(([name, config]): [string, () => Promise<RenderResult>] => [`the ${name} config`, () => renderConfig(config)]),
  ["the valkey-io chart rendered by Helm with the prod values", async () => valkeyChartRender()],
];

describe.each(SOURCES)("given %s, every pod", (_, rendered) => {
  let result: RenderResult;
  beforeAll(async () => {
    result = await rendered();
    expect(podSpecs(result).length).toBeGreaterThan(0);
  });

  it("runs as non-root with the RuntimeDefault seccomp profile", () => {
    for (const { spec } of podSpecs(result)) {
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
      expect(spec.hostNetwork ?? false).toBe(false);
      expect(spec.hostPID ?? false).toBe(false);
    }
  });

  it("has containers that cannot escalate and drop every capability", () => {
    for (const { spec } of podSpecs(result)) {
      for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
        expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
        expect(container.securityContext.privileged ?? false).toBe(false);
        expect(container.securityContext.capabilities.add).toBeUndefined();
      }
    }
  });

  it("uses only volume types the restricted profile allows", () => {
    const allowed = ["configMap", "emptyDir", "persistentVolumeClaim", "secret", "projected", "downwardAPI", "ephemeral", "csi", "name"];
    for (const { spec } of podSpecs(result)) {
      for (const volume of spec.volumes ?? []) for (const type of Object.keys(volume)) expect(allowed).toContain(type);
    }
  });

  it("sets CPU, memory and ephemeral-storage requests and limits on every container", () => {
    for (const { spec } of podSpecs(result)) {
      for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
        expect(Object.keys(container.resources.requests)).toEqual(expect.arrayContaining(["cpu", "memory", "ephemeral-storage"]));
        expect(Object.keys(container.resources.limits)).toEqual(expect.arrayContaining(["cpu", "memory", "ephemeral-storage"]));
      }
    }
  });

  it("gives every emptyDir a size limit, and every container an explicit pull policy and a read-only root, but a GPU container", () => {
    for (const { spec } of podSpecs(result)) {
      // One exception, which no value of the chart can bound: the Valkey chart's in-memory ACL directory (one line),
      // charged to the container's memory limit.
      const chartAclDirectory = (volume: { name: string; emptyDir: { medium?: string } }) => volume.name === "valkey-acl" && volume.emptyDir.medium === "Memory";
      for (const volume of spec.volumes ?? []) if (volume.emptyDir && !chartAclDirectory(volume)) expect(volume.emptyDir.sizeLimit).toMatch(/^\d+(Mi|Gi)$/);
      for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
        expect(container.imagePullPolicy).toBe("IfNotPresent");
        // The NVIDIA toolkit's update-ldcache hook writes /etc/ld.so.cache in a GPU container's root (model-server.ts).
        const gpu = container.resources?.limits?.["nvidia.com/gpu"] !== undefined;
        expect(container.securityContext.readOnlyRootFilesystem).toBe(!gpu);
      }
    }
  });

  it("runs as a ServiceAccount of its own that mounts no API token", () => {
    const accounts = new Map(objectsOf(result, "ServiceAccount").map((account) => [account.metadata.name, account]));
    const names = podSpecs(result).map(({ spec }) => spec.serviceAccountName);
    expect(new Set(names).size).toBe(names.length);
    for (const { spec } of podSpecs(result)) {
      expect(accounts.get(spec.serviceAccountName)?.automountServiceAccountToken).toBe(false);
      expect(spec.automountServiceAccountToken).toBe(false);
    }
  });
});
