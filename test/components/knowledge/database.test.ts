/**
 * The prod stack's knowledge base as rendered: the CloudNativePG operator from its pinned chart, a Cluster of the
 * CRD's shape with pgvector created at bootstrap, three instances spread over zones, restricted pods, volumes kept on
 * destroy; a NetworkPolicy that admits the backend, the operator, the instances and Prometheus and nothing else; the
 * backend reading the database URL from the operator's Secret and its admin key from its own, never in plain text.
 */
import { RenderResult } from "../../../tools/render";
import { CNPG_CLUSTER_SPEC, shapeProblems } from "../../support/crd-shapes";
import { MOCK } from "../../support/configs";
import { K8sObject, objectOf, objectsOf, renderConfig, renderStack } from "../../support/render";

const BACKEND = { "app.kubernetes.io/name": "backend", "app.kubernetes.io/instance": "ai-assistant-prod" };
const DATABASE = { "cnpg.io/cluster": "knowledge-db" };
const ADMIN_KEY = "knowledge-admin-key-plain-text-0123";

const clusterOf = (result: RenderResult) => objectOf(result, "Cluster", "knowledge-db");
const planned = (result: RenderResult, type: string, name: string) => result.resources.find((r) => r.type === type && r.name === name);

describe("given the prod stack", () => {
  let result: RenderResult;
  beforeAll(async () => {
    result = await renderStack("prod");
  });

  it("then the CloudNativePG operator comes from its official chart, pinned to 0.29.0, restricted and sized, in a restricted namespace", () => {
    const chart = planned(result, "kubernetes:helm.sh/v4:Chart", "cnpg-chart");
    expect(chart?.inputs).toMatchObject({ chart: "cloudnative-pg", version: "0.29.0", repositoryOpts: { repo: "https://cloudnative-pg.github.io/charts" }, namespace: "cnpg-system" });
    const values = chart!.inputs.values as Record<string, Record<string, unknown>>;
    expect(values.resources).toEqual({ requests: { cpu: "100m", memory: "200Mi" }, limits: { cpu: "500m", memory: "400Mi" } });
    expect(values.containerSecurityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } });
    expect(values.nodeSelector).toEqual({ "ai-assistant.io/pool": "system" });
    expect(objectOf(result, "Namespace", "cnpg-system").metadata.labels).toMatchObject({ "pod-security.kubernetes.io/enforce": "restricted" });
  });

  it("then the Cluster has the pinned CRD's shape and runs three pgvector instances spread over zones", () => {
    const cluster = clusterOf(result);
    expect(cluster.apiVersion).toBe("postgresql.cnpg.io/v1");
    expect(shapeProblems(cluster.spec, CNPG_CLUSTER_SPEC)).toEqual([]);
    expect(cluster.spec.instances).toBe(3);
    expect(cluster.spec.imageName).toMatch(/^ghcr\.io\/cloudnative-pg\/postgresql:17\.11-\d+-standard-trixie@sha256:[0-9a-f]{64}$/);
    expect(cluster.spec.bootstrap).toEqual({ initdb: { database: "knowledge", owner: "knowledge", postInitApplicationSQL: ["CREATE EXTENSION IF NOT EXISTS vector"] } });
    expect(cluster.spec.affinity).toMatchObject({ enablePodAntiAffinity: true, topologyKey: "topology.kubernetes.io/zone", nodeSelector: { "ai-assistant.io/pool": "system" } });
    expect(cluster.spec.enablePDB).toBe(true);
    expect(cluster.spec.enableSuperuserAccess).toBe(false);
    expect(cluster.spec.storage).toEqual({ size: "10Gi" });
    expect(cluster.spec.resources).toEqual({ requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } });
  });

  it("then the shape check notices a field the CRD does not have and a value outside its enum", () => {
    const broken = { ...clusterOf(result).spec, replicas: 3, primaryUpdateStrategy: "automatic" };
    expect(shapeProblems(broken, CNPG_CLUSTER_SPEC)).toEqual(['spec.primaryUpdateStrategy: "automatic" is not one of unsupervised, supervised', "spec.replicas: not a field of the CRD"]);
  });

  it("then its pods stay restricted (no weaker security context set over the operator's) and carry the stack's labels", () => {
    const spec = clusterOf(result).spec;
    expect(spec.seccompProfile).toEqual({ type: "RuntimeDefault" });
    expect(spec.securityContext).toBeUndefined();
    expect(spec.podSecurityContext).toBeUndefined();
    expect(spec.inheritedMetadata.labels).toMatchObject({ "app.kubernetes.io/name": "knowledge-db", "app.kubernetes.io/instance": "ai-assistant-prod" });
  });

  it("then the Cluster (which owns the volumes) is kept on destroy, and its volumes' StorageClass retains them", () => {
    expect(planned(result, "kubernetes:postgresql.cnpg.io/v1:Cluster", "knowledge")?.retainOnDelete).toBe(true);
    const defaultClass = objectsOf(result, "StorageClass").find((c) => c.metadata.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true");
    expect(defaultClass?.reclaimPolicy).toBe("Retain");
  });

  it("then only the backend, the instances, the operator and Prometheus reach the instances, each on its ports", () => {
    const policy = objectOf(result, "NetworkPolicy", "knowledge-db");
    expect(policy.spec.podSelector).toEqual({ matchLabels: DATABASE });
    expect(policy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(policy.spec.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: BACKEND } }], ports: [{ protocol: "TCP", port: 5432 }] },
      { from: [{ podSelector: { matchLabels: DATABASE } }], ports: [{ protocol: "TCP", port: 5432 }, { protocol: "TCP", port: 8000 }] },
      {
        from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "cloudnative-pg" } }, namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "cnpg-system" } } }],
        ports: [{ protocol: "TCP", port: 5432 }, { protocol: "TCP", port: 8000 }],
      },
      { from: [expect.objectContaining({ podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } })], ports: [{ protocol: "TCP", port: 9187 }] },
    ]);
    // Out: the other instances, and the API server (private ranges, its ports only): never the internet.
    expect(policy.spec.egress).toHaveLength(2);
    expect(policy.spec.egress[0]).toEqual({ to: [{ podSelector: { matchLabels: DATABASE } }], ports: [{ protocol: "TCP", port: 5432 }, { protocol: "TCP", port: 8000 }] });
    expect(policy.spec.egress[1].ports).toEqual([{ protocol: "TCP", port: 443 }, { protocol: "TCP", port: 6443 }]);
    expect(policy.spec.egress[1].to.map((peer: { ipBlock: { cidr: string } }) => peer.ipBlock.cidr)).not.toContain("0.0.0.0/0");
    const backendEgress = objectOf(result, "NetworkPolicy", "backend").spec.egress;
    expect(backendEgress).toContainEqual({ to: [{ podSelector: { matchLabels: DATABASE } }], ports: [{ protocol: "TCP", port: 5432 }] });
  });

  it("then the backend grounds answers: the URL from the operator's Secret, the admin key from its own, both through secretKeyRef", () => {
    const container = objectOf(result, "Deployment", "backend").spec.template.spec.containers[0];
    expect(container.env).toContainEqual({ name: "KNOWLEDGE_DATABASE_URL", valueFrom: { secretKeyRef: { name: "knowledge-db-app", key: "uri" } } });
    expect(container.env).toContainEqual({ name: "KNOWLEDGE_ADMIN_KEY", valueFrom: { secretKeyRef: { name: "backend-knowledge-admin-key", key: "admin-key" } } });
    expect(objectOf(result, "Secret", "backend-knowledge-admin-key").stringData).toEqual({ "admin-key": "[secret]" });
    const settings = objectOf(result, "ConfigMap", "backend-settings").data;
    expect(settings).toMatchObject({ KNOWLEDGE_ENABLED: "true", EMBEDDINGS_DIMENSIONS: "384" });
    expect(Object.keys(settings)).not.toEqual(expect.arrayContaining(["KNOWLEDGE_DATABASE_URL"]));
    expect(Object.keys(settings)).not.toEqual(expect.arrayContaining(["KNOWLEDGE_ADMIN_KEY"]));
  });

  it("then Prometheus scrapes the instances and the operator through PodMonitors on their metrics ports", () => {
    const monitors = objectsOf(result, "PodMonitor");
    const db = monitors.find((m) => m.spec.selector.matchLabels["cnpg.io/cluster"] === "knowledge-db");
    expect(db?.spec).toMatchObject({ namespaceSelector: { matchNames: ["ai-assistant"] }, podMetricsEndpoints: [{ port: "metrics" }] });
    expect(db?.metadata.labels).toHaveProperty("release");
    const operator = monitors.find((m) => m.spec.selector.matchLabels["app.kubernetes.io/name"] === "cloudnative-pg");
    expect(operator?.spec).toMatchObject({ namespaceSelector: { matchNames: ["cnpg-system"] }, podMetricsEndpoints: [{ port: "metrics" }] });
  });

});

describe("given a dev-like stack with knowledge on and its admin key set", () => {
  let result: RenderResult;
  let objects: K8sObject[];
  beforeAll(async () => {
    result = await renderConfig({ ...MOCK, knowledge: { enabled: true }, knowledgeAdminKey: { secure: ADMIN_KEY } }, "dev");
    objects = result.kubernetesObjects.map((o) => o.object as K8sObject);
  });

  it("then one instance runs, without a PodDisruptionBudget (it would block every drain) and not kept on destroy", () => {
    const cluster = clusterOf(result);
    expect(cluster.spec.instances).toBe(1);
    expect(cluster.spec.enablePDB).toBe(false);
    expect(cluster.spec.affinity.nodeSelector).toBeUndefined();
    expect(planned(result, "kubernetes:postgresql.cnpg.io/v1:Cluster", "knowledge")?.retainOnDelete).toBeFalsy();
  });

  it("then the admin key is nowhere in plain text", () => {
    expect(JSON.stringify(objects)).not.toContain(ADMIN_KEY);
    expect(JSON.stringify(result.resources)).not.toContain(ADMIN_KEY);
  });

  it("then a cluster that runs the operator already gets no chart, and the Cluster waits for nothing", async () => {
    const shared = await renderConfig({ ...MOCK, knowledge: { enabled: true, operator: { install: false } }, knowledgeAdminKey: { secure: ADMIN_KEY } }, "dev");
    expect(shared.resources.some((r) => r.type.startsWith("kubernetes:helm.sh/") && r.inputs.chart === "cloudnative-pg")).toBe(false);
    expect(clusterOf(shared).spec.instances).toBe(1);
  });
});

describe("given a stack without knowledge", () => {
  it("then nothing of it is rendered and the backend is not told about it", async () => {
    const result = await renderConfig(MOCK);
    expect(objectsOf(result, "Cluster")).toEqual([]);
    expect(result.resources.some((r) => r.inputs.chart === "cloudnative-pg")).toBe(false);
    expect(objectOf(result, "ConfigMap", "backend-settings").data).not.toHaveProperty("KNOWLEDGE_ENABLED");
  });
});

