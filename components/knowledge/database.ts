import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { formatImageReference, ImageReference } from "../../config/image";
import { KnowledgeConfig } from "../../config/knowledge";
import { recommendedLabels } from "../../lib/labels";
import { CNPG_CLUSTER_LABEL, KNOWLEDGE_DATABASE_NAME } from "../../lib/metrics-contract";
import { PodEndpoint, PodPeer, PolicyRule, podPeer, tcp, workloadNetworkPolicy } from "../../lib/network-policy";

/** Postgres's port on every instance. */
export const POSTGRES_PORT = 5432;
/**
 * The instance manager's status port, which the operator and the other instances call, and its metrics port
 * (cloudnative-pg v1.30.0 pkg/management/url/url.go: StatusPort 8000, PostgresMetricsPort 9187, named `metrics`
 * in pkg/specs/pods.go). The operator must reach every instance on 8000 and 5432 (docs/src/networking.md and
 * docs/src/samples/networkpolicy-example.yaml).
 */
export const CNPG_STATUS_PORT = 8000;
export const CNPG_METRICS_PORT = 9187;
/** Ports the Kubernetes API server listens on: 443 behind EKS's endpoint, 6443 on kubeadm-made clusters (kind). */
export const API_SERVER_PORTS = [443, 6443];
export { KNOWLEDGE_DATABASE_NAME };

/** The `externalClusters` entry a restore reads the backups through. */
export const RESTORE_SOURCE = "backups";

/** Barman Cloud's object store in the stack's bucket, credentials from the pods' IRSA role. */
function objectStore(destinationPath: pulumi.Input<string>, serverName: string) {
  return { destinationPath, serverName, s3Credentials: { inheritFromIAMRole: true } };
}

/**
 * `bootstrap.recovery` from the backups (CloudNativePG docs/src/recovery.md, v1.30.0): `latest` replays every
 * archived WAL segment; a point in time stops there (`recoveryTarget.targetTime`, RFC 3339); a backup ID restores that
 * base backup as it was when it ended (`recoveryTarget.backupID` with `targetImmediate`: stop at the first consistent
 * state; the CRD's descriptions of both fields, chart 0.29.0). The new database keeps the old one's name
 * and owner, and with them the `-app` Secret's meaning.
 */
export function recoveryBootstrap(restore: { from: string }) {
  const target =
    restore.from === "latest" ? undefined : /^\d{8}T\d{6}$/.test(restore.from) ? { backupID: restore.from, targetImmediate: true } : { targetTime: restore.from };
  return { source: RESTORE_SOURCE, database: "knowledge", owner: "knowledge", ...(target && { recoveryTarget: target }) };
}

/** The zone label every cloud node carries; the instances spread over its values. */
export const ZONE_LABEL = "topology.kubernetes.io/zone";

export interface KnowledgeDatabaseArgs {
  /** Provider of the target cluster. */
  provider: k8s.Provider;
  /** The app namespace: the operator's Secrets land beside the Cluster, where the backend reads them. */
  namespace: pulumi.Input<string>;
  stack: string;
  /** Storage and resources from the stack config. */
  settings: KnowledgeConfig;
  /** The PostgreSQL image (with pgvector; with Barman Cloud when it backs up). */
  image: ImageReference;
  /**
   * Continuous WAL archiving and scheduled base backups to the stack's bucket, written with the IRSA role (the
   * operator annotates the pods' service account with it); absent: no backups.
   */
  backup?: { destinationPath: pulumi.Input<string>; roleArn: pulumi.Input<string>; schedule: string; retentionDays: number; serverName: string };
  /** Bootstrap from the backups in `serverName`'s folder instead of an empty database. Needs `backup` (the bucket). */
  restore?: { from: string; serverName: string };
  /** Postgres instances (a primary and streaming replicas). */
  instances: number;
  /** Production: the Cluster (and with it its volumes) is kept on destroy. */
  production: boolean;
  /** Whether the namespace runs NetworkPolicies. */
  networkPolicies: boolean;
  /** The backend's pods: the only clients admitted to Postgres. */
  clients: PodPeer;
  /** The operator's pods, which must reach every instance on 5432 and 8000. */
  operator: PodPeer;
  /** Prometheus's pods, admitted to the metrics port only; absent without monitoring. */
  scraper?: PodPeer;
  /**
   * Where the Kubernetes API server is: the instance manager (PID 1 of each Postgres container) reads its Secrets
   * and ConfigMaps and writes the Cluster's status through it. Its address is not known to the program, so these
   * are the private ranges, on the API server's ports only.
   */
  apiServerPeers: pulumi.Input<pulumi.Input<k8s.types.input.networking.v1.NetworkPolicyPeer>[]>;
  /** Where S3 and STS are (the internet without the private ranges), for the backups' egress on 443. */
  objectStorePeers?: pulumi.Input<pulumi.Input<k8s.types.input.networking.v1.NetworkPolicyPeer>[]>;
  /** Node labels the instances run on (EKS: the system pool). */
  nodeSelector?: Record<string, string>;
  /** The CRDs (the operator's chart) the Cluster waits for; absent when the cluster runs the operator already. */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** StorageClasses the volumes wait for (EKS). */
  storageClasses?: pulumi.Input<pulumi.Resource[]>;
  /** The class the volumes use when `storage.storageClass` names none: on eks the stack's gp3 class (Retain in production). */
  defaultStorageClass?: string;
}

/**
 * The knowledge base's Postgres, as a CloudNativePG `Cluster` (postgresql.cnpg.io/v1, operator 1.30.0): pgvector
 * created at bootstrap, instances spread over zones, restricted pods, one volume per instance, and the NetworkPolicy
 * that admits the backend, the operator, the instances themselves and Prometheus, and nothing else. The operator
 * makes the app user's Secret `<name>-app` (key `uri`: a full `postgres://` URL to the `-rw` Service), which the
 * backend reads through `secretKeyRef`: no credential passes through config or this program.
 */
export class KnowledgeDatabase extends pulumi.ComponentResource {
  public readonly cluster: k8s.apiextensions.CustomResource;
  public readonly scheduledBackup?: k8s.apiextensions.CustomResource;
  public readonly networkPolicy?: k8s.networking.v1.NetworkPolicy;
  /** The instances and Postgres's port, for the backend's egress rule. */
  public readonly pods: PodEndpoint;
  /** The operator-made Secret and key holding the app user's URL, for the backend's `KNOWLEDGE_DATABASE_URL`. */
  public readonly urlRef: { name: string; key: string };

  constructor(name: string, args: KnowledgeDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:knowledge:KnowledgeDatabase", name, {}, opts);
    const childOpts = { parent: this, provider: args.provider };
    const image = args.image;
    if (args.restore && !args.backup) throw new pulumi.ResourceError("a restore reads the backups' bucket: pass backup too", this);
    const labels = recommendedLabels({ component: KNOWLEDGE_DATABASE_NAME, stack: args.stack, version: image.tag });
    const podLabels = { [CNPG_CLUSTER_LABEL]: KNOWLEDGE_DATABASE_NAME };
    this.pods = { podLabels, port: POSTGRES_PORT };
    // api/v1/cluster_funcs.go GetApplicationSecretName (v1.30.0): `<cluster>` + "-app"; pkg/specs/secrets.go puts
    // username, password, host, port, dbname, uri, jdbc-uri and fqdn-uri in it.
    this.urlRef = { name: `${KNOWLEDGE_DATABASE_NAME}-app`, key: "uri" };
    const storage = args.settings.storage;

    this.cluster = new k8s.apiextensions.CustomResource(
      name,
      {
        apiVersion: "postgresql.cnpg.io/v1",
        kind: "Cluster",
        metadata: { name: KNOWLEDGE_DATABASE_NAME, namespace: args.namespace, labels },
        spec: {
          instances: args.instances,
          imageName: formatImageReference(image),
          // The operator updates the replicas first, then switches over to an updated one and restarts the old
          // primary: a few seconds without writes, during which retrieval answers without sources.
          primaryUpdateStrategy: "unsupervised",
          enableSuperuserAccess: false,
          bootstrap: args.restore ? { recovery: recoveryBootstrap(args.restore) } : {
            initdb: {
              database: "knowledge",
              owner: "knowledge",
              // Run as the superuser in the new database, once: the backend's own user could not create it
              // (its `CREATE EXTENSION IF NOT EXISTS vector` is then a no-op).
              postInitApplicationSQL: ["CREATE EXTENSION IF NOT EXISTS vector"],
            },
          },
          ...(args.restore && args.backup && { externalClusters: [{ name: RESTORE_SOURCE, barmanObjectStore: objectStore(args.backup.destinationPath, args.restore.serverName) }] }),
          ...(args.backup && {
            backup: {
              barmanObjectStore: {
                ...objectStore(args.backup.destinationPath, args.backup.serverName),
                // Compressed before upload; encrypted at rest by the bucket's own KMS key (its default encryption).
                wal: { compression: "gzip" },
                data: { compression: "gzip" },
              },
              retentionPolicy: `${args.backup.retentionDays}d`,
            },
            // The operator makes the pods' service account (named after the Cluster) with this annotation: IRSA.
            serviceAccountTemplate: { metadata: { annotations: { "eks.amazonaws.com/role-arn": args.backup.roleArn } } },
          }),
          // Named rather than left to the cluster's default, so that the retained class is what the volumes get.
          storage: { size: storage.size, ...((storage.storageClass ?? args.defaultStorageClass) && { storageClass: storage.storageClass ?? args.defaultStorageClass }) },
          resources: args.settings.resources,
          // Pods carry the stack's recommended labels too (the operator copies inheritedMetadata onto them).
          inheritedMetadata: { labels },
          affinity: {
            // One instance per zone where there are zones enough, else as spread as they go: "preferred", since a
            // required anti-affinity would leave a third instance Pending in a two-zone cluster.
            enablePodAntiAffinity: true,
            topologyKey: ZONE_LABEL,
            podAntiAffinityType: "preferred",
            ...(args.nodeSelector && { nodeSelector: args.nodeSelector }),
          },
          // The operator's defaults already meet the restricted profile (docs/src/security.md, "Pod and Container
          // Security Contexts", v1.30.0: non-root, no privilege escalation, all capabilities dropped, read-only
          // root); the seccomp profile is stated so that the render shows it.
          seccompProfile: { type: "RuntimeDefault" },
          // A PodDisruptionBudget keeps a drain from evicting the primary; with one instance it would block drains.
          enablePDB: args.instances > 1,
          // Scraped by the stack's PodMonitor (components/monitoring/scrape-targets.ts): `enablePodMonitor` is
          // deprecated in 1.30 (the CRD's description: "will be removed in an upcoming release").
          monitoring: { enablePodMonitor: false },
        },
      },
      {
        ...childOpts,
        dependsOn: pulumi.all([args.dependsOn ?? [], args.storageClasses ?? []]).apply(([charts, classes]) => [...charts, ...classes]),
        // The operator owns the instances' claims (owner references): deleting the Cluster would delete them. In
        // production a destroy leaves the Cluster, and so its pods and volumes, in place (the namespace is kept too).
        retainOnDelete: args.production,
      },
    );

    if (args.backup) {
      this.scheduledBackup = new k8s.apiextensions.CustomResource(
        `${name}-scheduled-backup`,
        {
          apiVersion: "postgresql.cnpg.io/v1",
          kind: "ScheduledBackup",
          metadata: { name: KNOWLEDGE_DATABASE_NAME, namespace: args.namespace, labels },
          spec: {
            cluster: { name: KNOWLEDGE_DATABASE_NAME },
            schedule: args.backup.schedule,
            method: "barmanObjectStore",
            // A first base backup as soon as the Cluster is up: until then only WAL is archived, and WAL alone restores nothing.
            immediate: true,
            // The Backup objects belong to the ScheduledBackup: they go with it, while the backups stay in the bucket.
            backupOwnerReference: "self",
          },
        },
        { ...childOpts, dependsOn: [this.cluster] },
      );
    }

    if (args.networkPolicies) {
      const self = podPeer({ podLabels });
      const ingress: PolicyRule[] = [
        { peers: [podPeer(args.clients)], ports: [tcp(POSTGRES_PORT)] },
        // Streaming replication and the instance managers' status calls between instances.
        { peers: [self], ports: [tcp(POSTGRES_PORT), tcp(CNPG_STATUS_PORT)] },
        { peers: [podPeer(args.operator)], ports: [tcp(POSTGRES_PORT), tcp(CNPG_STATUS_PORT)] },
      ];
      if (args.scraper) ingress.push({ peers: [podPeer(args.scraper)], ports: [tcp(CNPG_METRICS_PORT)] });
      this.networkPolicy = workloadNetworkPolicy(
        `${name}-network`,
        KNOWLEDGE_DATABASE_NAME,
        {
          namespace: args.namespace,
          labels,
          podLabels,
          rules: {
            ingress,
            egress: [
              { peers: [self], ports: [tcp(POSTGRES_PORT), tcp(CNPG_STATUS_PORT)] },
              { peers: args.apiServerPeers, ports: API_SERVER_PORTS.map(tcp) },
              // Barman Cloud uploads WAL and base backups to S3, and gets the role's credentials from STS, over HTTPS.
              ...(args.backup && args.objectStorePeers ? [{ peers: args.objectStorePeers, ports: [tcp(443)] }] : []),
            ],
          },
        },
        childOpts,
      );
    }
    this.registerOutputs({});
  }
}
