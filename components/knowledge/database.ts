import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { formatImageReference } from "../../config/image";
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

/** The zone label every cloud node carries; the instances spread over its values. */
export const ZONE_LABEL = "topology.kubernetes.io/zone";

export interface KnowledgeDatabaseArgs {
  /** Provider of the target cluster. */
  provider: k8s.Provider;
  /** The app namespace: the operator's Secrets land beside the Cluster, where the backend reads them. */
  namespace: pulumi.Input<string>;
  stack: string;
  /** Image, storage and resources from the stack config. */
  settings: KnowledgeConfig;
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
  /** Node labels the instances run on (EKS: the system pool). */
  nodeSelector?: Record<string, string>;
  /** The CRDs (the operator's chart) the Cluster waits for; absent when the cluster runs the operator already. */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** StorageClasses the volumes wait for (EKS). */
  storageClasses?: pulumi.Input<pulumi.Resource[]>;
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
  public readonly networkPolicy?: k8s.networking.v1.NetworkPolicy;
  /** The instances and Postgres's port, for the backend's egress rule. */
  public readonly pods: PodEndpoint;
  /** The operator-made Secret and key holding the app user's URL, for the backend's `KNOWLEDGE_DATABASE_URL`. */
  public readonly urlRef: { name: string; key: string };

  constructor(name: string, args: KnowledgeDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:knowledge:KnowledgeDatabase", name, {}, opts);
    const childOpts = { parent: this, provider: args.provider };
    const image = args.settings.image;
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
          bootstrap: {
            initdb: {
              database: "knowledge",
              owner: "knowledge",
              // Run as the superuser in the new database, once: the backend's own user could not create it
              // (its `CREATE EXTENSION IF NOT EXISTS vector` is then a no-op).
              postInitApplicationSQL: ["CREATE EXTENSION IF NOT EXISTS vector"],
            },
          },
          storage: { size: storage.size, ...(storage.storageClass && { storageClass: storage.storageClass }) },
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
            ],
          },
        },
        childOpts,
      );
    }
    this.registerOutputs({});
  }
}
