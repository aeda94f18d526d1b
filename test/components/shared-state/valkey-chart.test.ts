/**
 * The valkey-io chart's own objects, as Helm renders them with the prod stack's release values
 * (test/fixtures/valkey-chart/prod.yaml, made by `npm run valkey-chart`): the offline render runs no Helm, so this is
 * where the chart's pods meet the checks every workload of ours meets (restricted, sized, probed, labelled for our
 * NetworkPolicy, pinned images, no password) and where our policies are asked who reaches them. test/pod-security.test.ts
 * runs its profile checks on the same pod; this file adds what is particular to the chart.
 */
import * as apps from "kubernetes-models/apps/v1";
import * as core from "kubernetes-models/v1";
import { RenderResult } from "../../../tools/render";
import { fixtureDigest, valkeyRelease, valuesDigest } from "../../../tools/valkey-chart";
import { NetworkPolicies, PodEndpoint } from "../../support/network-policy";
import { K8sObject, objectOf, objectsOf, renderStack } from "../../support/render";
import { isHelmHook as isHook, valkeyChartDocuments, valkeyChartObjects, valkeyChartText } from "../../support/valkey-chart";

const text = valkeyChartText();
const documents = valkeyChartDocuments();
const installed = valkeyChartObjects();
const chartObject = (kind: string, name: string) => {
  const found = installed.filter((object) => object.kind === kind && object.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name} in the chart's render, found ${found.length}`);
  return found[0];
};

const deployment = chartObject("Deployment", "valkey");
const pod = deployment.spec.template.spec;
const containers = [...(pod.initContainers ?? []), ...pod.containers] as K8sObject["spec"][];
const container = (name: string) => pod.containers.find((c: { name: string }) => c.name === name);

describe("given the chart rendered by Helm with the prod stack's values", () => {
  let prod: RenderResult;
  beforeAll(async () => {
    prod = await renderStack("prod");
  });

  it("then the rendering is of today's values (else: npm run valkey-chart)", () => {
    expect(fixtureDigest(text)).toBe(valuesDigest(valkeyRelease(prod).values));
  });

  it("then a release installs one Deployment, its two Services, its ServiceAccount and ConfigMaps: no Secret, claim, policy or monitor of its own", () => {
    expect(installed.map((object) => `${object.kind}/${object.metadata.name}`).sort()).toEqual([
      "ConfigMap/valkey-config",
      "ConfigMap/valkey-init-scripts",
      "Deployment/valkey",
      "Service/valkey",
      "Service/valkey-metrics",
      "ServiceAccount/valkey",
    ]);
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: "Recreate" });
    // Its only hooks are `helm test` pods, which installing and upgrading a release never runs.
    for (const hook of documents.filter(isHook)) expect(hook.metadata.annotations!["helm.sh/hook"]).toBe("test");
  });

  it("then each object is valid against the Kubernetes schema", () => {
    const models: Record<string, new (data: object) => { validate(): void }> = { Deployment: apps.Deployment, Service: core.Service, ConfigMap: core.ConfigMap, ServiceAccount: core.ServiceAccount };
    for (const object of installed) expect(() => new models[object.kind](object).validate()).not.toThrow();
  });

  it("then its pod is restricted: non-root, RuntimeDefault seccomp, no host namespaces, no API token", () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(pod.hostNetwork ?? false).toBe(false);
    expect(pod.hostPID ?? false).toBe(false);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(chartObject("ServiceAccount", pod.serviceAccountName).automountServiceAccountToken).toBe(false);
  });

  it("then every container (init, Valkey, exporter) cannot escalate, drops ALL, runs as the pod's user on a read-only root, with an explicit pull policy", () => {
    expect(containers.map((c) => c.name)).toEqual(["valkey-init", "valkey", "metrics"]);
    for (const c of containers) {
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true, runAsNonRoot: true });
      expect(c.securityContext.runAsUser).toBe(pod.securityContext.runAsUser);
      expect(c.securityContext.privileged ?? false).toBe(false);
      expect(c.securityContext.capabilities.add).toBeUndefined();
      expect(c.imagePullPolicy).toBe("IfNotPresent");
    }
  });

  it("then every container has CPU, memory and ephemeral-storage requests and limits", () => {
    for (const c of containers) {
      expect(Object.keys(c.resources.requests).sort()).toEqual(["cpu", "ephemeral-storage", "memory"]);
      expect(Object.keys(c.resources.limits).sort()).toEqual(["cpu", "ephemeral-storage", "memory"]);
    }
  });

  it("then its volumes are of types the profile allows; the one emptyDir without a size limit is the chart's in-memory ACL directory", () => {
    const allowed = ["configMap", "emptyDir", "persistentVolumeClaim", "secret", "projected", "downwardAPI", "ephemeral", "csi", "name"];
    for (const volume of pod.volumes) for (const type of Object.keys(volume)) expect(allowed).toContain(type);
    // A memory-backed emptyDir is charged to the container's memory limit, which bounds it.
    const unbounded = pod.volumes.filter((v: K8sObject["spec"]) => v.emptyDir && !v.emptyDir.sizeLimit);
    expect(unbounded).toEqual([{ name: "valkey-acl", emptyDir: { medium: "Memory" } }]);
  });

  it("then the images are the prod pins, digests included", () => {
    const pins = { valkey: "docker.io/valkey/valkey:9.1.1@sha256:70739f85ad2ee01a726a965584a0f94895f01b0c60b3cc8b0aeef11eaa6888cf", exporter: "docker.io/oliver006/redis_exporter:v1.87.0-alpine@sha256:1a286dba9547b0aa3ebd4e4106fa52ad67c754dcd7cb744eb745e41d48b252ad" };
    expect(containers.map((c) => c.image)).toEqual([pins.valkey, pins.valkey, pins.exporter]);
  });

  it("then the password comes only from the valkey-auth Secret: hashed into the ACL file by the init container, mounted for the probes, a secretKeyRef for the exporter", () => {
    const volumeOf = (c: K8sObject["spec"], path: string) => pod.volumes.find((v: { name: string }) => v.name === c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === path)?.name);
    const init = containers[0];
    expect(volumeOf(init, "/valkey-users-secret").secret.secretName).toBe("valkey-auth");
    const script = chartObject("ConfigMap", "valkey-init-scripts").data["init.sh"];
    expect(script).toContain('PASSWORD=$(get_user_password "default" "password")');
    expect(script).toContain('echo "user default on #$PASSHASH ~* &* +@all" >> /etc/valkey/users.acl');
    expect(volumeOf(container("valkey"), "/valkey-auth").secret.secretName).toBe("valkey-auth");
    expect(container("metrics").env).toContainEqual({ name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: "valkey-auth", key: "password" } } });
    expect(text).not.toContain("[secret]");
    expect(text).not.toMatch(/requirepass|masterauth|aclConfig/);
  });

  it("then Valkey is probed with that password at start, for readiness and liveness, and the exporter has its own probes", () => {
    const valkey = container("valkey");
    for (const probe of [valkey.startupProbe, valkey.readinessProbe]) expect(probe.exec.command[2]).toContain('REDISCLI_AUTH="$(cat /valkey-auth/password)"');
    expect(valkey.livenessProbe.tcpSocket).toEqual({ port: "tcp" });
    const exporter = container("metrics");
    expect(exporter.startupProbe && exporter.readinessProbe && exporter.livenessProbe).toBeTruthy();
  });

  it("then its data is our claim mounted at /data, and its config bounds memory and appends every second", () => {
    const data = pod.volumes.find((v: { name: string }) => v.name === container("valkey").volumeMounts.find((m: { mountPath: string }) => m.mountPath === "/data").name);
    expect(data.persistentVolumeClaim).toEqual({ claimName: objectOf(prod, "PersistentVolumeClaim", "valkey-data").metadata.name });
    expect(chartObject("ConfigMap", "valkey-config").data["valkey.conf"].split("\n")).toEqual(expect.arrayContaining(["maxmemory 268435456", "maxmemory-policy allkeys-lru", "appendonly yes", "appendfsync everysec"]));
  });

  it("then the backend's URL names its Service, which sends 6379 to Valkey's port, and the ServiceMonitor's selector finds the metrics Service's port", () => {
    const labels = deployment.spec.template.metadata.labels as Record<string, string>;
    const service = chartObject("Service", "valkey");
    expect(labels).toMatchObject(service.spec.selector);
    expect(service.spec.ports).toEqual([{ port: 6379, targetPort: "tcp", protocol: "TCP", name: "tcp" }]);
    expect(container("valkey").ports).toContainEqual({ name: "tcp", containerPort: 6379, protocol: "TCP" });
    expect(objectOf(prod, "ConfigMap", "backend-settings").data.VALKEY_URL).toBe(`redis://${service.metadata.name}:6379`);

    const metrics = chartObject("Service", "valkey-metrics");
    expect(labels).toMatchObject(metrics.spec.selector);
    expect(metrics.spec.ports).toEqual([{ name: "metrics", port: 9121, protocol: "TCP", targetPort: "metrics" }]);
    expect(container("metrics").ports).toEqual([{ name: "metrics", containerPort: 9121 }]);
    const monitor = objectsOf(prod, "ServiceMonitor").find((m) => m.metadata.name.includes("valkey"))!;
    expect(metrics.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    // Valkey's own Service carries the same labels but no `metrics` port: one scrape path.
    expect(service.spec.ports.map((p: { name: string }) => p.name)).not.toContain(monitor.spec.endpoints[0].port);
  });

  it("then our policies, asked of the chart's pod: only the backend reaches 6379, only Prometheus 9121, and Valkey reaches no one", () => {
    const policies = new NetworkPolicies(objectsOf(prod, "NetworkPolicy"));
    const namespace = objectOf(prod, "NetworkPolicy", "valkey").metadata.namespace!;
    const valkey: PodEndpoint = { namespace, labels: deployment.spec.template.metadata.labels };
    const podOf = (name: string): PodEndpoint => ({ namespace, labels: objectOf(prod, "Deployment", name).spec.template.metadata.labels });
    const prometheus = { namespace: "monitoring", labels: { "app.kubernetes.io/name": "prometheus", "app.kubernetes.io/instance": "kube-prometheus-stack-prometheus" } };
    expect(policies.canConnect(podOf("backend"), valkey, 6379)).toBe(true);
    expect(policies.canConnect(podOf("frontend"), valkey, 6379)).toBe(false);
    expect(policies.canConnect(podOf("model-server"), valkey, 6379)).toBe(false);
    expect(policies.canConnect(prometheus, valkey, 9121)).toBe(true);
    expect(policies.canConnect(prometheus, valkey, 6379)).toBe(false);
    expect(policies.canConnect(podOf("backend"), valkey, 9121)).toBe(false);
    expect(policies.canConnect(valkey, podOf("backend"), 8080)).toBe(false);
    expect(policies.canConnect(valkey, { ip: "203.0.113.7" }, 443)).toBe(false);
  });
});

describe("the rendering's values digest", () => {
  it("does not depend on key order, changes with any value, and is read back from the header", () => {
    expect(valuesDigest({ a: 1, b: { c: [1, 2], d: "x" } })).toBe(valuesDigest({ b: { d: "x", c: [1, 2] }, a: 1 }));
    expect(valuesDigest({ a: 1, b: { c: [1, 2] } })).not.toBe(valuesDigest({ a: 1, b: { c: [2, 1] } }));
    expect(valuesDigest({ a: "1" })).not.toBe(valuesDigest({ a: 1 }));
    const digest = valuesDigest({ a: 1 });
    expect(fixtureDigest(`# header\n# values-sha256: ${digest}\n---\nkind: x\n`)).toBe(digest);
    expect(fixtureDigest("---\nkind: x\n")).toBeUndefined();
  });
});
