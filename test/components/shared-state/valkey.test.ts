/**
 * The prod stack's Valkey as rendered: the official valkey-io chart as a pinned helm.v3.Release whose values make its
 * pods restricted (Valkey, its init container and the exporter), sized, probed with the password, authenticated from
 * our Secret (no password in the values), on our claim kept on destroy; our NetworkPolicy selects the pods the chart
 * labels; the backend reaches it; client keys reach the backend hashed, and the frontend gets its token.
 *
 * The offline render does not run Helm, so the chart's objects are read here from its templates' rules (valkey-io/
 * valkey-helm valkey/templates/ at valkey-0.11.0, commit dbcf6a6), cited where used.
 */
import { RenderResult } from "../../../tools/render";
import { renderFiles } from "../../../tools/write-render";
import { chartImage as toChartImage, valkeyConf } from "../../../components/shared-state/valkey";
import { parse, VALID } from "../../support/config";
import { MOCK } from "../../support/configs";
import { planned, plannedOne } from "../../support/eks";
import { objectOf, objectsOf, renderConfig, renderStack, stackFileSettings } from "../../support/render";

const RELEASE = "kubernetes:helm.sh/v3:Release";
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Values = Record<string, any>;

const releaseOf = (result: RenderResult) => plannedOne(result, RELEASE, "valkey");
const valuesOf = (result: RenderResult) => releaseOf(result).inputs.values as Values;

/** An image as the chart's `common.image` writes it: `registry/repository:tag`, or `repository:tag` without a registry (_helpers.tpl lines 84-97). */
const chartImage = (image: Values) => `${image.registry ? `${image.registry}/` : ""}${image.repository}:${image.tag}`;

/** The chart's selector labels: name (`nameOverride`, else the chart's name) and instance (the release name) (_helpers.tpl lines 4-6, 51-54). */
const chartSelector = (release: Values) => ({ "app.kubernetes.io/name": release.values.nameOverride || release.chart, "app.kubernetes.io/instance": release.name });

/** The labels on the chart's pods: selector labels, then commonLabels, then podLabels (deploy_valkey.yaml lines 25-32). */
const chartPodLabels = (release: Values) => ({ ...chartSelector(release), ...release.values.commonLabels, ...release.values.podLabels });

/** The labels on the chart's metrics Service (metrics-svc.yaml lines 6-12, `valkey.labels` at _helpers.tpl lines 36-46). */
const chartMetricsServiceLabels = (release: Values) => ({
  ...chartSelector(release),
  ...release.values.commonLabels,
  "app.kubernetes.io/component": "metrics",
  "app.kubernetes.io/part-of": "valkey",
  ...release.values.metrics.service.extraLabels,
});

const RESTRICTED_CONTAINER = { allowPrivilegeEscalation: false, runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };

describe("given the prod stack with client API keys", () => {
  let result: RenderResult;
  let values: Values;
  beforeAll(async () => {
    result = await renderConfig({ ...stackFileSettings("prod"), clientApiKeys: { secure: "AAABAKciphertext" } }, "prod");
    values = valuesOf(result);
  });

  it("then Valkey is the valkey-io chart, pinned exactly, released in the app namespace under the stack's instance name, and no workload of ours", () => {
    const release = releaseOf(result);
    expect(release.inputs).toMatchObject({
      chart: "valkey",
      version: "0.11.0",
      repositoryOpts: { repo: "https://valkey.io/valkey-helm/" },
      name: "ai-assistant-prod",
      namespace: "ai-assistant",
    });
    expect(release.provider).toBeDefined();
    // Standalone mode (a Deployment, deploy_valkey.yaml) with one Service named after fullnameOverride (service.yaml).
    expect(values).toMatchObject({ fullnameOverride: "valkey", nameOverride: "valkey", replica: { enabled: false }, service: { type: "ClusterIP", port: 6379 } });
    expect(objectsOf(result, "StatefulSet", "valkey")).toEqual([]);
    expect(objectsOf(result, "Deployment", "valkey")).toEqual([]);
    expect(objectsOf(result, "Service").filter((s) => s.metadata.name.startsWith("valkey"))).toEqual([]);
  });

  it("then its pods are restricted: non-root, RuntimeDefault seccomp, no token, and every container (init, Valkey, exporter) cannot escalate and drops ALL on a read-only root", () => {
    expect(values.podSecurityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(values.podSecurityContext.runAsUser).toBeGreaterThan(0);
    expect(values.serviceAccount).toEqual({ create: true, automount: false });
    // `securityContext` is the init container's and Valkey's (deploy_valkey.yaml lines 57-60, 109-110); the exporter's is its own (lines 156-159).
    expect(values.securityContext).toMatchObject(RESTRICTED_CONTAINER);
    expect(values.metrics.exporter.securityContext).toMatchObject(RESTRICTED_CONTAINER);
    for (const context of [values.securityContext, values.metrics.exporter.securityContext]) expect(context.capabilities.add).toBeUndefined();
    // Only volume types the profile allows, each emptyDir of ours bounded.
    expect(values.extraVolumes).toEqual([{ name: "tmp", emptyDir: { sizeLimit: "16Mi" } }]);
    expect(values.networkPolicy).toEqual({});
  });

  it("then each container has CPU, memory and ephemeral-storage requests and limits, Valkey's from valkey.resources", () => {
    for (const resources of [values.resources, values.initResources, values.metrics.exporter.resources]) {
      expect(Object.keys(resources.requests).sort()).toEqual(["cpu", "ephemeral-storage", "memory"]);
      expect(Object.keys(resources.limits).sort()).toEqual(["cpu", "ephemeral-storage", "memory"]);
    }
    expect(values.resources).toMatchObject({ requests: { cpu: "100m", memory: "320Mi" }, limits: { cpu: "500m", memory: "320Mi" } });
    expect(values.metrics.exporter.resources).toMatchObject({ requests: { cpu: "20m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } });
  });

  it("then the probes authenticate with the mounted password and pass only on PONG; liveness is a TCP check", () => {
    const mount = values.extraValkeySecrets.find((s: Values) => s.name === "valkey-auth").mountPath;
    for (const name of ["startupProbe", "readinessProbe"]) {
      expect(values[name].enabled).toBe(true);
      const [shell, flag, script] = values[name].customProbe.exec.command;
      expect([shell, flag]).toEqual(["sh", "-c"]);
      expect(script).toBe(`REDISCLI_AUTH="$(cat ${mount}/password)" valkey-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG`);
    }
    expect(values.startupProbe.customProbe).toMatchObject({ periodSeconds: 2, failureThreshold: 60 });
    // `tcp` is the Valkey container's port name (deploy_valkey.yaml line 119).
    expect(values.livenessProbe).toEqual({ enabled: true, customProbe: { tcpSocket: { port: "tcp" }, periodSeconds: 30, timeoutSeconds: 10, failureThreshold: 3 } });
  });

  it("then both images are the prod pins, digests included, as the chart writes them", () => {
    // The prod stack pins both images by digest (Pulumi.prod.yaml says where each digest was seen).
    expect(chartImage(values.image)).toBe("docker.io/valkey/valkey:9.1.1@sha256:70739f85ad2ee01a726a965584a0f94895f01b0c60b3cc8b0aeef11eaa6888cf");
    expect(chartImage(values.metrics.exporter.image)).toBe("docker.io/oliver006/redis_exporter:v1.87.0-alpine@sha256:1a286dba9547b0aa3ebd4e4106fa52ad67c754dcd7cb744eb745e41d48b252ad");
    // The chart's global registry would override both registries (_helpers.tpl lines 88-92): unset.
    expect(values.global).toBeUndefined();
    for (const image of [values.image, values.metrics.exporter.image]) expect(image.pullPolicy).toBe("IfNotPresent");
  });

  it("then auth reads the password from the valkey-auth Secret by name, the values hold no password, and the backend reads the same key", () => {
    const secret = objectOf(result, "Secret", "valkey-auth");
    expect(secret.stringData).toEqual({ password: "[secret]" });
    expect(values.auth).toEqual({ enabled: true, usersExistingSecret: "valkey-auth", aclUsers: { default: { permissions: "~* &* +@all", passwordKey: "password" } } });
    // The chart's Secret of inline passwords is made only from `password` fields or aclConfig (secret.yaml): neither is set.
    expect(Object.values(values.auth.aclUsers).some((user) => "password" in (user as Values))).toBe(false);
    expect(values.auth.aclConfig).toBeUndefined();
    expect(JSON.stringify(values)).not.toContain("[secret]");
    const backend = objectOf(result, "Deployment", "backend").spec.template.spec.containers[0];
    expect(backend.env).toContainEqual({ name: "VALKEY_PASSWORD", valueFrom: { secretKeyRef: { name: "valkey-auth", key: "password" } } });
    // The chart's Service is `valkey` on 6379.
    expect(objectOf(result, "ConfigMap", "backend-settings").data).toMatchObject({ VALKEY_URL: "redis://valkey:6379", VALKEY_FAILURE_POLICY: "open", CACHE_MODE: "deterministic" });
  });

  it("then maxmemory, eviction and the append-only file reach the chart's valkey.conf", () => {
    const lines = values.valkeyConfig.split("\n");
    expect(lines).toEqual(expect.arrayContaining(["maxmemory 268435456", "maxmemory-policy allkeys-lru", "appendonly yes", "appendfsync everysec"]));
  });

  it("then its data is on our 2Gi claim, kept on destroy, which the chart mounts instead of making its own; the old pod leaves before the new one mounts it", () => {
    const claim = objectOf(result, "PersistentVolumeClaim", "valkey-data");
    // On the gp3 class the stack makes (reclaim policy Retain in production), named rather than left to the default.
    expect(claim.spec).toEqual({ accessModes: ["ReadWriteOnce"], storageClassName: "gp3", resources: { requests: { storage: "2Gi" } } });
    expect(objectOf(result, "StorageClass", "gp3").reclaimPolicy).toBe("Retain");
    const claimResource = plannedOne(result, "kubernetes:core/v1:PersistentVolumeClaim", "valkey-data");
    expect(claimResource.retainOnDelete).toBe(true);
    expect(values.dataStorage).toEqual({ enabled: true, persistentVolumeClaimName: "valkey-data" });
    expect(values.deploymentStrategy).toBe("Recreate");
    // The release waits for the claim and the Secret it names.
    expect(releaseOf(result).dependencies).toEqual(expect.arrayContaining([claimResource.urn, plannedOne(result, "kubernetes:core/v1:Secret", "valkey-auth").urn]));
  });

  it("then our policy selects the chart's pods: only the backend reaches Valkey's port and only Prometheus the exporter's; Valkey reaches no one", () => {
    const release = releaseOf(result).inputs as Values;
    const podLabels = chartPodLabels(release);
    // podLabels never repeat the chart's own selector keys (a duplicate key in the pod template).
    expect(Object.keys(values.podLabels)).not.toContain("app.kubernetes.io/name");
    expect(Object.keys(values.podLabels)).not.toContain("app.kubernetes.io/instance");
    expect(podLabels).toMatchObject({ "app.kubernetes.io/name": "valkey", "app.kubernetes.io/instance": "ai-assistant-prod", "app.kubernetes.io/part-of": "ai-assistant" });

    const policy = objectOf(result, "NetworkPolicy", "valkey");
    const selector = policy.spec.podSelector.matchLabels as Record<string, string>;
    expect(Object.keys(selector).length).toBeGreaterThan(0);
    expect(podLabels).toMatchObject(selector);
    expect(policy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(policy.spec.egress).toEqual([]);
    expect(policy.spec.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "backend", "app.kubernetes.io/instance": "ai-assistant-prod" } } }], ports: [{ protocol: "TCP", port: 6379 }] },
      { from: [expect.objectContaining({ namespaceSelector: expect.anything() })], ports: [{ protocol: "TCP", port: 9121 }] },
    ]);
    const backendEgress = objectOf(result, "NetworkPolicy", "backend").spec.egress;
    const toValkey = backendEgress.find((rule: Values) => rule.ports[0].port === 6379);
    expect(podLabels).toMatchObject(toValkey.to[0].podSelector.matchLabels);
  });

  it("then the exporter listens on 9121 behind the chart's metrics Service, which our ServiceMonitor alone scrapes", () => {
    expect(values.metrics).toMatchObject({
      enabled: true,
      exporter: { port: 9121 },
      service: { enabled: true, ports: { http: 9121 } },
      serviceMonitor: { enabled: false },
      podMonitor: { enabled: false },
      prometheusRule: { enabled: false },
    });
    const monitors = objectsOf(result, "ServiceMonitor").filter((m) => m.metadata.name.includes("valkey"));
    expect(monitors).toHaveLength(1);
    expect(monitors[0].spec).toMatchObject({ jobLabel: "app.kubernetes.io/name", namespaceSelector: { matchNames: ["ai-assistant"] }, endpoints: [{ port: "metrics" }] });
    // The chart's metrics Service carries the labels it selects, and names its port `metrics` (metrics-svc.yaml line 20).
    expect(chartMetricsServiceLabels(releaseOf(result).inputs as Values)).toMatchObject(monitors[0].spec.selector.matchLabels);
  });

  it("then the client keys reach the backend from a Secret, and the frontend sends its token from another", () => {
    expect(objectOf(result, "Secret", "backend-client-keys").stringData).toEqual({ CLIENT_API_KEYS: "[secret]", FRONTEND_TOKEN: "[secret]" });
    expect(objectOf(result, "Deployment", "backend").spec.template.spec.containers[0].envFrom).toContainEqual({ secretRef: { name: "backend-client-keys" } });
    const frontend = objectOf(result, "Deployment", "frontend").spec.template.spec.containers[0];
    expect(frontend.env).toContainEqual({ name: "BACKEND_TOKEN", valueFrom: { secretKeyRef: { name: "frontend-backend-token", key: "token" } } });
  });
});

describe("given a Valkey password in plain config", () => {
  it("then it is nowhere in the render: not in the release's values, the Secret, the plan or the outputs", async () => {
    const password = "valkey-plain-password-0123456789";
    const result = await renderConfig({ ...MOCK, valkey: { enabled: true }, valkeyPassword: password });
    expect(JSON.stringify(valuesOf(result))).not.toContain(password);
    expect(Object.values(renderFiles(result)).join("\n")).not.toContain(password);
    expect(objectOf(result, "Secret", "valkey-auth").stringData).toEqual({ password: "[secret]" });
  });
});

describe("given stacks without Valkey", () => {
  it("then the dev stack renders none, and its backend keeps limits in the process", async () => {
    const dev = await renderStack("dev");
    expect(planned(dev, RELEASE, "valkey")).toEqual([]);
    expect(objectsOf(dev, "Secret", "valkey-auth")).toEqual([]);
    expect(objectOf(dev, "ConfigMap", "backend-settings").data).not.toHaveProperty("VALKEY_URL");
  });

  it("then a non-production stack that turns it on keeps its data with the pod (the chart's emptyDir, no claim)", async () => {
    const result = await renderConfig({ ...MOCK, valkey: { enabled: true }, valkeyPassword: { secure: "AAAB" } }, "dev");
    expect(valuesOf(result).dataStorage).toEqual({ enabled: false });
    expect(valuesOf(result).valkeyConfig.split("\n")).toContain("appendonly no");
    expect(objectsOf(result, "PersistentVolumeClaim")).toEqual([]);
  });

  it("then a non-production stack with persistence gets the claim, which a destroy removes", async () => {
    const result = await renderConfig({ ...MOCK, valkey: { enabled: true, persistence: { enabled: true, size: "1Gi", storageClass: "standard" } }, valkeyPassword: { secure: "AAAB" } }, "dev");
    expect(valuesOf(result).dataStorage).toEqual({ enabled: true, persistentVolumeClaimName: "valkey-data" });
    expect(objectOf(result, "PersistentVolumeClaim", "valkey-data").spec).toMatchObject({ storageClassName: "standard", resources: { requests: { storage: "1Gi" } } });
    expect(plannedOne(result, "kubernetes:core/v1:PersistentVolumeClaim", "valkey-data").retainOnDelete).toBeUndefined();
    expect(releaseOf(result).inputs.name).toBe("ai-assistant-dev");
  });
});

describe("valkey.conf", () => {
  it("bounds memory and evicts as configured, persists only with a volume, and leaves port, bind and dir to the chart", () => {
    const settings = parse({ ...VALID, valkey: { enabled: true, evictionPolicy: "allkeys-lfu" }, valkeyPassword: "p".repeat(20) }).valkey;
    const withVolume = valkeyConf(settings, true).split("\n");
    expect(withVolume).toEqual(expect.arrayContaining(["maxmemory 268435456", "maxmemory-policy allkeys-lfu", "appendonly yes", 'save ""']));
    expect(valkeyConf(settings, false).split("\n")).toContain("appendonly no");
    // The chart's init script writes these itself (init_config.yaml lines 88-95); written twice, the last would win.
    for (const line of withVolume) expect(line).not.toMatch(/^(port|bind|dir|requirepass|aclfile) /);
  });
});

describe("images as the chart takes them", () => {
  it("always name the registry (Docker Hub's when the reference has none) and carry the digest on the tag", () => {
    const digest = `sha256:${"c".repeat(64)}`;
    expect(toChartImage({ repository: "docker.io/valkey/valkey", tag: "9.1.1", digest })).toEqual({ registry: "docker.io", repository: "valkey/valkey", tag: `9.1.1@${digest}`, pullPolicy: "IfNotPresent" });
    expect(toChartImage({ repository: "valkey/valkey", tag: "9.1.1" })).toMatchObject({ registry: "docker.io", repository: "valkey/valkey", tag: "9.1.1" });
    expect(toChartImage({ repository: "redis", tag: "7" })).toMatchObject({ registry: "docker.io", repository: "library/redis" });
    expect(toChartImage({ repository: "registry.local:5000/team/valkey", tag: "1" })).toMatchObject({ registry: "registry.local:5000", repository: "team/valkey" });
    expect(toChartImage({ repository: "localhost/valkey", tag: "dev" })).toMatchObject({ registry: "localhost", repository: "valkey" });
  });
});
