/**
 * The prod stack's knowledge base as rendered: the CloudNativePG operator from its pinned chart, a Cluster of the
 * CRD's shape with pgvector created at bootstrap, three instances spread over zones, restricted pods, volumes kept on
 * destroy; a NetworkPolicy that admits the backend, the operator, the instances and Prometheus and nothing else; the
 * backend reading the database URL from the operator's Secret and its admin key from its own, never in plain text.
 */
import { RenderResult } from "../../../tools/render";
import { CNPG_CLUSTER_SPEC, CNPG_SCHEDULED_BACKUP_SPEC, shapeProblems } from "../../support/crd-shapes";
import { MOCK } from "../../support/configs";
import { K8sObject, objectOf, objectsOf, renderConfig, renderStack, stackFileSettings } from "../../support/render";

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
    // prod backs up, so the system image (the standard one plus Barman Cloud), by digest.
    expect(cluster.spec.imageName).toMatch(/^ghcr\.io\/cloudnative-pg\/postgresql:17\.11-\d+-system-trixie@sha256:[0-9a-f]{64}$/);
    expect(cluster.spec.bootstrap).toEqual({ initdb: { database: "knowledge", owner: "knowledge", postInitApplicationSQL: ["CREATE EXTENSION IF NOT EXISTS vector"] } });
    expect(cluster.spec.affinity).toMatchObject({ enablePodAntiAffinity: true, topologyKey: "topology.kubernetes.io/zone", nodeSelector: { "ai-assistant.io/pool": "system" } });
    expect(cluster.spec.enablePDB).toBe(true);
    expect(cluster.spec.enableSuperuserAccess).toBe(false);
    // The stack's gp3 class, named: Retain in production.
    expect(cluster.spec.storage).toEqual({ size: "10Gi", storageClass: "gp3" });
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
    const storageClass = objectOf(result, "StorageClass", clusterOf(result).spec.storage.storageClass);
    expect(storageClass.reclaimPolicy).toBe("Retain");
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
    // Out: the other instances, the API server (private ranges, its ports only), and S3 over HTTPS (not the private ranges).
    expect(policy.spec.egress).toHaveLength(3);
    expect(policy.spec.egress[2].ports).toEqual([{ protocol: "TCP", port: 443 }]);
    expect(policy.spec.egress[2].to[0].ipBlock.cidr).toBe("0.0.0.0/0");
    expect(policy.spec.egress[2].to[0].ipBlock.except).toEqual(expect.arrayContaining(["10.0.0.0/8", "169.254.0.0/16"]));
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

  it("then it runs the standard image (pgvector, no Barman Cloud: no backups off eks) and takes no backups", () => {
    const cluster = clusterOf(result);
    expect(cluster.spec.imageName).toMatch(/-standard-trixie@sha256:/);
    expect(cluster.spec.backup).toBeUndefined();
    expect(objectsOf(result, "ScheduledBackup")).toEqual([]);
    expect(result.resources.some((r) => r.type.startsWith("aws:s3"))).toBe(false);
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

describe("given the prod stack's backups", () => {
  let result: RenderResult;
  beforeAll(async () => {
    result = await renderStack("prod");
  });
  const inputsOf = (type: string) => {
    const found = result.resources.filter((r) => r.type === type && r.name.startsWith("knowledge-backups"));
    expect(found).toHaveLength(1);
    return found[0];
  };

  it("then the Cluster archives WAL and base backups to the stack's bucket with the pods' IRSA role, kept 30 days", () => {
    const spec = clusterOf(result).spec;
    expect(spec.backup).toEqual({
      barmanObjectStore: {
        destinationPath: "s3://knowledge-backups-id/",
        serverName: "knowledge-db",
        s3Credentials: { inheritFromIAMRole: true },
        wal: { compression: "gzip" },
        data: { compression: "gzip" },
      },
      retentionPolicy: "30d",
    });
    expect(spec.serviceAccountTemplate.metadata.annotations).toEqual({ "eks.amazonaws.com/role-arn": expect.stringMatching(/knowledge-backups-writer/) });
    expect(shapeProblems(spec, CNPG_CLUSTER_SPEC)).toEqual([]);
  });

  it("then a ScheduledBackup of the CRD's shape takes a base backup at once and then daily at 03:00", () => {
    const scheduled = objectOf(result, "ScheduledBackup", "knowledge-db");
    expect(scheduled.spec).toEqual({ cluster: { name: "knowledge-db" }, schedule: "0 0 3 * * *", method: "barmanObjectStore", immediate: true, backupOwnerReference: "self" });
    expect(shapeProblems(scheduled.spec, CNPG_SCHEDULED_BACKUP_SPEC)).toEqual([]);
  });

  it("then the bucket is versioned, encrypted with its own rotated KMS key, closed to the public and to plain HTTP, expires a week after the retention, and is kept on destroy", () => {
    const bucket = inputsOf("aws:s3/bucket:Bucket");
    expect(bucket.inputs.forceDestroy).toBe(false);
    expect(bucket.retainOnDelete).toBe(true);
    expect(inputsOf("aws:kms/key:Key").inputs).toMatchObject({ enableKeyRotation: true });
    expect(inputsOf("aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration).toEqual({ status: "Enabled" });
    const encryption = inputsOf("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules as { applyServerSideEncryptionByDefault: Record<string, string> }[];
    expect(encryption[0].applyServerSideEncryptionByDefault).toEqual({ sseAlgorithm: "aws:kms", kmsMasterKeyId: expect.stringMatching(/^arn:aws:kms:/) });
    expect(inputsOf("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    const rules = inputsOf("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules as Record<string, unknown>[];
    expect(rules).toEqual([expect.objectContaining({ status: "Enabled", expiration: { days: 37 }, noncurrentVersionExpiration: { noncurrentDays: 7 } })]);
    const policy = JSON.parse(String(inputsOf("aws:s3/bucketPolicy:BucketPolicy").inputs.policy));
    expect(policy.Statement).toEqual([expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } })]);
  });

  it("then the writer role is assumed only by the Cluster's service account and reaches only that bucket and that key, without deleting versions", () => {
    const role = result.resources.find((r) => r.type === "aws:iam/role:Role" && r.name === "knowledge-backups-writer");
    const trust = JSON.parse(String(role?.inputs.assumeRolePolicy));
    expect(JSON.stringify(trust.Statement[0].Condition)).toContain("system:serviceaccount:ai-assistant:knowledge-db");
    const inline = result.resources.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.name === "knowledge-backups-writer");
    const statements = JSON.parse(String(inline?.inputs.policy)).Statement as { Action: string[]; Resource: string }[];
    for (const statement of statements) expect(statement.Resource).not.toContain("*:*");
    // The bucket, its objects, and the very key the bucket encrypts with: nothing else.
    const encryption = inputsOf("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules as { applyServerSideEncryptionByDefault: Record<string, string> }[];
    const keyArn = encryption[0].applyServerSideEncryptionByDefault.kmsMasterKeyId;
    expect(statements.map((st) => st.Resource)).toEqual(["arn:aws:s3:::knowledge-backups-id", "arn:aws:s3:::knowledge-backups-id/*", keyArn]);
    expect(statements.flatMap((st) => st.Action)).not.toContain("s3:DeleteObjectVersion");
    expect(statements.flatMap((st) => st.Action).filter((action) => action.endsWith("*"))).toEqual([]);
  });
});

describe("given knowledge.restore.from", () => {
  const prodWith = async (restore: Record<string, unknown>) =>
    renderConfig({ ...stackFileSettings("prod"), knowledge: { enabled: true, backup: { serverName: "knowledge-db-2" }, restore } }, "prod");

  it.each([
    ["2026-11-30T14:00:00Z", { targetTime: "2026-11-30T14:00:00Z" }],
    ["20261130T030000", { backupID: "20261130T030000", targetImmediate: true }],
    ["latest", undefined],
  ])("%s bootstraps the Cluster by recovery from the bucket's old folder, and archives into the new one", async (from, target) => {
    const result = await prodWith({ from });
    const spec = clusterOf(result).spec;
    expect(spec.bootstrap).toEqual({ recovery: { source: "backups", database: "knowledge", owner: "knowledge", ...(target && { recoveryTarget: target }) } });
    expect(spec.externalClusters).toEqual([{ name: "backups", barmanObjectStore: { destinationPath: "s3://knowledge-backups-id/", serverName: "knowledge-db", s3Credentials: { inheritFromIAMRole: true } } }]);
    expect(spec.backup.barmanObjectStore.serverName).toBe("knowledge-db-2");
    expect(shapeProblems(spec, CNPG_CLUSTER_SPEC)).toEqual([]);
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

