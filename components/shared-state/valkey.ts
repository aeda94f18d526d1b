import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { VALKEY_EXPORTER_RESOURCES, ValkeyConfig } from "../../config/shared-state";
import { formatImageReference } from "../../config/image";
import { parseQuantity } from "../../config/quantity";
import { recommendedLabels, selectorLabels } from "../../lib/labels";
import { IMAGE_PULL_POLICY, withEphemeralStorage } from "../../lib/local-storage";
import { PodEndpoint, PodPeer, podPeer, tcp, workloadNetworkPolicy } from "../../lib/network-policy";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../../lib/pod-security";
import { checksum } from "../app/checksum";
import { VALKEY_NAME } from "../../lib/metrics-contract";

export const VALKEY_PORT = 6379;
/** redis_exporter's port (its default, and valkey-io/valkey-helm's `metrics.exporter.port`). */
export const VALKEY_EXPORTER_PORT = 9121;
export { VALKEY_NAME };

export interface ValkeyArgs {
  /** Provider of the target cluster. */
  provider: k8s.Provider;
  /** The app namespace (Valkey serves only the backend, which runs there). */
  namespace: pulumi.Input<string>;
  stack: string;
  /** Image, memory bound, eviction policy, resources and persistence from the stack config. */
  settings: ValkeyConfig;
  /** Valkey's password (a Pulumi secret): in a Kubernetes Secret, never in the pod spec. */
  password: pulumi.Input<string>;
  /** Keep the data on a PersistentVolumeClaim (append-only file); otherwise it lives with the pod. */
  persistence: boolean;
  /** Production: the claim survives a destroy. */
  production: boolean;
  /** Whether the namespace runs NetworkPolicies. */
  networkPolicies: boolean;
  /** The backend's pods: the only clients admitted to Valkey's port. */
  clients: PodPeer;
  /** Prometheus's pods, admitted to the exporter's port only; absent without monitoring. */
  scraper?: PodPeer;
  /** StorageClasses the claim waits for (EKS). */
  storageClasses?: pulumi.Input<pulumi.Resource[]>;
}

/** The valkey.conf of this stack: auth, memory bound and eviction, persistence (the password is added in the Secret). */
export function valkeyConf(settings: ValkeyConfig, persistence: boolean): string {
  const maxmemory = Math.floor(parseQuantity(settings.maxmemory)!);
  return [
    `port ${VALKEY_PORT}`,
    "bind * -::*",
    "protected-mode no",
    `maxmemory ${maxmemory}`,
    `maxmemory-policy ${settings.evictionPolicy}`,
    "dir /data",
    // With a volume: an append-only file fsynced every second (at most a second of limits and cache lost on a crash),
    // no RDB snapshots (a fork doubles memory for a moment). Without: nothing on disk.
    persistence ? "appendonly yes" : "appendonly no",
    "appendfsync everysec",
    'save ""',
    // Clients idle for 5 minutes are dropped; the backend reconnects on its own.
    "timeout 300",
    "tcp-keepalive 60",
  ].join("\n");
}

/**
 * One Valkey for the stack, as a single-replica StatefulSet of our own (see docs/shared-state.md for why not the
 * valkey-io chart): a Secret with its config and password, a Service for the backend, a Service for the exporter,
 * and the NetworkPolicy that admits the backend to Valkey and Prometheus to the exporter, and nothing else. One
 * replica: limits and a cache tolerate a restart (the backend fails open or closed meanwhile, as configured), so
 * there is no PodDisruptionBudget (it would only block node drains).
 */
export class Valkey extends pulumi.ComponentResource {
  public readonly secret: k8s.core.v1.Secret;
  public readonly statefulSet: k8s.apps.v1.StatefulSet;
  public readonly service: k8s.core.v1.Service;
  public readonly metricsService: k8s.core.v1.Service;
  public readonly networkPolicy?: k8s.networking.v1.NetworkPolicy;
  /** `redis://valkey:6379`, the backend's `VALKEY_URL` (the password comes separately, from the Secret). */
  public readonly url: pulumi.Output<string>;
  /** The Secret and key holding the password, for the backend's `VALKEY_PASSWORD`. */
  public readonly passwordRef: { name: pulumi.Output<string>; key: string };
  /** Valkey's pods and port, for its clients' egress rules. */
  public readonly pods: PodEndpoint;

  constructor(name: string, args: ValkeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:shared-state:Valkey", name, {}, opts);
    const childOpts = { parent: this, provider: args.provider };
    const identity = { component: VALKEY_NAME, stack: args.stack, version: args.settings.image.tag };
    const labels = recommendedLabels(identity);
    const selector = selectorLabels(identity);
    this.pods = { podLabels: selector, port: VALKEY_PORT };
    const password = pulumi.secret(args.password);
    const conf = valkeyConf(args.settings, args.persistence);

    this.secret = new k8s.core.v1.Secret(
      `${name}-auth`,
      {
        metadata: { name: "valkey-auth", namespace: args.namespace, labels },
        type: "Opaque",
        stringData: { password, "valkey.conf": pulumi.interpolate`${conf}\nrequirepass ${password}\n` },
      },
      childOpts,
    );
    this.passwordRef = { name: this.secret.metadata.name, key: "password" };

    const ports = [{ name: "valkey", port: VALKEY_PORT, targetPort: "valkey", protocol: "TCP" }];
    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      { metadata: { name: VALKEY_NAME, namespace: args.namespace, labels }, spec: { type: "ClusterIP", selector, ports } },
      childOpts,
    );
    this.metricsService = new k8s.core.v1.Service(
      `${name}-metrics`,
      {
        metadata: { name: `${VALKEY_NAME}-metrics`, namespace: args.namespace, labels },
        spec: { type: "ClusterIP", selector, ports: [{ name: "metrics", port: VALKEY_EXPORTER_PORT, targetPort: "metrics", protocol: "TCP" }] },
      },
      childOpts,
    );

    const passwordEnv = (envName: string) => ({ name: envName, valueFrom: { secretKeyRef: { name: this.secret.metadata.name, key: "password" } } });
    const security = restrictedContainerSecurityContext();
    // The CLI reads the password from REDISCLI_AUTH, so it is on no command line (valkey-cli honours the Redis name).
    const ping = { exec: { command: ["sh", "-c", `valkey-cli -h 127.0.0.1 -p ${VALKEY_PORT} ping | grep -q PONG`] } };
    const data = { name: "data", mountPath: "/data" };
    const claimTemplates = args.persistence
      ? [
          {
            metadata: { name: "data", labels },
            spec: {
              accessModes: ["ReadWriteOnce"],
              resources: { requests: { storage: args.settings.persistence.size } },
              ...(args.settings.persistence.storageClass && { storageClassName: args.settings.persistence.storageClass }),
            },
          },
        ]
      : undefined;

    this.statefulSet = new k8s.apps.v1.StatefulSet(
      name,
      {
        metadata: { name: VALKEY_NAME, namespace: args.namespace, labels },
        spec: {
          serviceName: VALKEY_NAME,
          replicas: 1,
          selector: { matchLabels: selector },
          // Claims outlive the StatefulSet and its scale-downs: the data survives pod replacement and, with the
          // namespace kept in production, a destroy.
          persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
          volumeClaimTemplates: claimTemplates,
          template: {
            metadata: { labels, annotations: { "ai-assistant.io/config-checksum": checksum({ conf }) } },
            spec: {
              automountServiceAccountToken: false,
              securityContext: restrictedPodSecurityContext(),
              terminationGracePeriodSeconds: 30,
              containers: [
                {
                  name: "valkey",
                  image: formatImageReference(args.settings.image),
                  imagePullPolicy: IMAGE_PULL_POLICY,
                  command: ["valkey-server", "/etc/valkey/valkey.conf"],
                  ports: [{ name: "valkey", containerPort: VALKEY_PORT, protocol: "TCP" }],
                  env: [passwordEnv("REDISCLI_AUTH")],
                  securityContext: security,
                  resources: withEphemeralStorage(args.settings.resources, { request: "64Mi", limit: "256Mi" }),
                  volumeMounts: [data, { name: "config", mountPath: "/etc/valkey", readOnly: true }, { name: "tmp", mountPath: "/tmp" }],
                  // Loading a large append-only file takes a while: up to 2 minutes before liveness applies.
                  startupProbe: { ...ping, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 60 },
                  readinessProbe: { ...ping, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
                  livenessProbe: { tcpSocket: { port: "valkey" }, periodSeconds: 30, timeoutSeconds: 10, failureThreshold: 3 },
                },
                {
                  name: "exporter",
                  image: formatImageReference(args.settings.exporter.image),
                  imagePullPolicy: IMAGE_PULL_POLICY,
                  // redis_exporter reads REDIS_ADDR and REDIS_PASSWORD (oliver006/redis_exporter README, flags table).
                  env: [{ name: "REDIS_ADDR", value: `redis://127.0.0.1:${VALKEY_PORT}` }, passwordEnv("REDIS_PASSWORD")],
                  ports: [{ name: "metrics", containerPort: VALKEY_EXPORTER_PORT, protocol: "TCP" }],
                  securityContext: security,
                  resources: withEphemeralStorage(VALKEY_EXPORTER_RESOURCES, { request: "16Mi", limit: "64Mi" }),
                  startupProbe: { httpGet: { path: "/health", port: "metrics" }, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 15 },
                  readinessProbe: { httpGet: { path: "/health", port: "metrics" }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
                  livenessProbe: { httpGet: { path: "/health", port: "metrics" }, periodSeconds: 30, timeoutSeconds: 10, failureThreshold: 3 },
                },
              ],
              volumes: [
                { name: "config", secret: { secretName: this.secret.metadata.name, items: [{ key: "valkey.conf", path: "valkey.conf" }] } },
                { name: "tmp", emptyDir: { sizeLimit: "16Mi" } },
                ...(args.persistence ? [] : [{ name: "data", emptyDir: { sizeLimit: "128Mi" } }]),
              ],
            },
          },
        },
      },
      { ...childOpts, dependsOn: args.storageClasses, retainOnDelete: args.production && args.persistence },
    );

    if (args.networkPolicies) {
      const ingress = [{ peers: [podPeer(args.clients)], ports: [tcp(VALKEY_PORT)] }];
      if (args.scraper) ingress.push({ peers: [podPeer(args.scraper)], ports: [tcp(VALKEY_EXPORTER_PORT)] });
      this.networkPolicy = workloadNetworkPolicy(
        `${name}-network`,
        VALKEY_NAME,
        // Valkey calls no one: no egress at all (DNS comes from the namespace's allow-dns).
        { namespace: args.namespace, labels, podLabels: selector, rules: { ingress, egress: [] } },
        childOpts,
      );
    }

    this.url = pulumi.interpolate`redis://${this.service.metadata.name}:${VALKEY_PORT}`;
    this.registerOutputs({ url: this.url });
  }
}
