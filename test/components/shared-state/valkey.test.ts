/**
 * The prod stack's Valkey as rendered: one restricted StatefulSet with its exporter, the password only in a Secret,
 * data on a claim kept on destroy, a NetworkPolicy that admits the backend to Valkey and Prometheus to the exporter
 * and nothing else; the backend reaches it; client keys reach the backend hashed, and the frontend gets its token.
 */
import { RenderResult } from "../../../tools/render";
import { valkeyConf } from "../../../components/shared-state/valkey";
import { parse, VALID } from "../../support/config";
import { MOCK } from "../../support/configs";
import { objectOf, objectsOf, renderConfig, renderStack, stackFileSettings } from "../../support/render";

describe("given the prod stack with client API keys", () => {
  let result: RenderResult;
  beforeAll(async () => {
    result = await renderConfig({ ...stackFileSettings("prod"), clientApiKeys: { secure: "AAABAKciphertext" } }, "prod");
  });

  it("then Valkey is one StatefulSet under the restricted profile, with probes, requests and limits for both containers", () => {
    const set = objectOf(result, "StatefulSet", "valkey");
    expect(set.spec.replicas).toBe(1);
    const pod = set.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.containers.map((c: { name: string }) => c.name)).toEqual(["valkey", "exporter"]);
    for (const container of pod.containers) {
      expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
      expect(Object.keys(container.resources.requests).sort()).toEqual(["cpu", "ephemeral-storage", "memory"]);
      expect(Object.keys(container.resources.limits).sort()).toEqual(["cpu", "ephemeral-storage", "memory"]);
      expect(container.startupProbe && container.readinessProbe && container.livenessProbe).toBeTruthy();
    }
    // The prod stack pins both images by digest (Pulumi.prod.yaml says where each digest was seen).
    expect(pod.containers[0].image).toBe("docker.io/valkey/valkey:9.1.1@sha256:70739f85ad2ee01a726a965584a0f94895f01b0c60b3cc8b0aeef11eaa6888cf");
    expect(pod.containers[1].image).toBe("docker.io/oliver006/redis_exporter:v1.87.0-alpine@sha256:1a286dba9547b0aa3ebd4e4106fa52ad67c754dcd7cb744eb745e41d48b252ad");
    expect(pod.containers[0].command).toEqual(["valkey-server", "/etc/valkey/valkey.conf"]);
  });

  it("then the password is only in the valkey-auth Secret, read through secretKeyRef, and never in plain text in the render", () => {
    const set = objectOf(result, "StatefulSet", "valkey");
    const refs = set.spec.template.spec.containers.flatMap((c: { env?: { name: string; valueFrom?: unknown; value?: string }[] }) => c.env ?? []);
    expect(refs.filter((e: { valueFrom?: unknown }) => e.valueFrom)).toEqual([
      { name: "REDISCLI_AUTH", valueFrom: { secretKeyRef: { name: "valkey-auth", key: "password" } } },
      { name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: "valkey-auth", key: "password" } } },
    ]);
    expect(objectOf(result, "Secret", "valkey-auth").stringData).toEqual({ password: "[secret]", "valkey.conf": "[secret]" });
    const backend = objectOf(result, "Deployment", "backend").spec.template.spec.containers[0];
    expect(backend.env).toContainEqual({ name: "VALKEY_PASSWORD", valueFrom: { secretKeyRef: { name: "valkey-auth", key: "password" } } });
    expect(objectOf(result, "ConfigMap", "backend-settings").data).toMatchObject({ VALKEY_URL: "redis://valkey:6379", VALKEY_FAILURE_POLICY: "open", CACHE_MODE: "deterministic" });
  });

  it("then its data is on a 2Gi claim that outlives the StatefulSet, and the StatefulSet is kept on destroy", () => {
    const set = objectOf(result, "StatefulSet", "valkey");
    expect(set.spec.volumeClaimTemplates).toEqual([expect.objectContaining({ spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "2Gi" } } } })]);
    expect(set.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: "Retain", whenScaled: "Retain" });
    expect(result.resources.find((r) => r.type === "kubernetes:apps/v1:StatefulSet" && r.name === "valkey")?.retainOnDelete).toBe(true);
  });

  it("then only the backend reaches Valkey's port and only Prometheus the exporter's; Valkey reaches no one", () => {
    const policy = objectOf(result, "NetworkPolicy", "valkey");
    expect(policy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(policy.spec.egress).toEqual([]);
    expect(policy.spec.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "backend", "app.kubernetes.io/instance": "ai-assistant-prod" } } }], ports: [{ protocol: "TCP", port: 6379 }] },
      { from: [expect.objectContaining({ namespaceSelector: expect.anything() })], ports: [{ protocol: "TCP", port: 9121 }] },
    ]);
    const backendEgress = objectOf(result, "NetworkPolicy", "backend").spec.egress;
    expect(backendEgress).toContainEqual({ to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "valkey", "app.kubernetes.io/instance": "ai-assistant-prod" } } }], ports: [{ protocol: "TCP", port: 6379 }] });
  });

  it("then the exporter is scraped", () => {
    const monitor = objectsOf(result, "ServiceMonitor").find((m) => m.metadata.name.includes("valkey"));
    expect(monitor?.spec).toMatchObject({ jobLabel: "app.kubernetes.io/name", selector: { matchLabels: { "app.kubernetes.io/name": "valkey" } }, endpoints: [{ port: "metrics" }] });
    expect(objectOf(result, "Service", "valkey-metrics").spec.ports).toEqual([{ name: "metrics", port: 9121, targetPort: "metrics", protocol: "TCP" }]);
  });

  it("then the client keys reach the backend from a Secret, and the frontend sends its token from another", () => {
    expect(objectOf(result, "Secret", "backend-client-keys").stringData).toEqual({ CLIENT_API_KEYS: "[secret]", FRONTEND_TOKEN: "[secret]" });
    expect(objectOf(result, "Deployment", "backend").spec.template.spec.containers[0].envFrom).toContainEqual({ secretRef: { name: "backend-client-keys" } });
    const frontend = objectOf(result, "Deployment", "frontend").spec.template.spec.containers[0];
    expect(frontend.env).toContainEqual({ name: "BACKEND_TOKEN", valueFrom: { secretKeyRef: { name: "frontend-backend-token", key: "token" } } });
  });
});

describe("given stacks without Valkey", () => {
  it("then the dev stack renders none, and its backend keeps limits in the process", async () => {
    const dev = await renderStack("dev");
    expect(objectsOf(dev, "StatefulSet", "valkey")).toHaveLength(0);
    expect(objectOf(dev, "ConfigMap", "backend-settings").data).not.toHaveProperty("VALKEY_URL");
  });

  it("then a non-production stack that turns it on keeps its data with the pod (no claim)", async () => {
    const result = await renderConfig({ ...MOCK, valkey: { enabled: true }, valkeyPassword: { secure: "AAAB" } }, "dev");
    const set = objectOf(result, "StatefulSet", "valkey");
    expect(set.spec.volumeClaimTemplates).toBeUndefined();
    expect(set.spec.template.spec.volumes).toContainEqual({ name: "data", emptyDir: { sizeLimit: "128Mi" } });
  });
});

describe("valkey.conf", () => {
  it("bounds memory and evicts as configured, and persists only with a volume", () => {
    const settings = parse({ ...VALID, valkey: { enabled: true, evictionPolicy: "allkeys-lfu" }, valkeyPassword: "p".repeat(20) }).valkey;
    const withVolume = valkeyConf(settings, true).split("\n");
    expect(withVolume).toEqual(expect.arrayContaining(["maxmemory 268435456", "maxmemory-policy allkeys-lfu", "appendonly yes", 'save ""']));
    expect(valkeyConf(settings, false).split("\n")).toContain("appendonly no");
  });
});
