import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { VALKEY_CHART, VALKEY_EXPORTER_RESOURCES, ValkeyConfig } from "../../config/shared-state";
import { ImageReference } from "../../config/image";
import { parseQuantity } from "../../config/quantity";
import { recommendedLabels, runningLabels, selectorLabels } from "../../lib/labels";
import { IMAGE_PULL_POLICY, withEphemeralStorage } from "../../lib/local-storage";
import { PodEndpoint, PodPeer, podPeer, tcp, workloadNetworkPolicy } from "../../lib/network-policy";
import { NON_ROOT_ID, restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../../lib/pod-security";
import { VALKEY_NAME } from "../../lib/metrics-contract";

export const VALKEY_PORT = 6379;
/** redis_exporter's port (its default, and valkey-io/valkey-helm's `metrics.exporter.port`). */
export const VALKEY_EXPORTER_PORT = 9121;
export { VALKEY_NAME };

/** The Secret holding the password, under the key {@link VALKEY_PASSWORD_KEY}: the backend, the chart and the probes read it. */
export const VALKEY_AUTH_SECRET = "valkey-auth";
export const VALKEY_PASSWORD_KEY = "password";
/** The claim of our own that the chart mounts (`dataStorage.persistentVolumeClaimName`). */
export const VALKEY_DATA_CLAIM = "valkey-data";
/** Where the probes read the password: the Secret mounted into the Valkey container (`extraValkeySecrets`). */
const PASSWORD_MOUNT = "/valkey-auth";

export interface ValkeyArgs {
  /** Provider of the target cluster. */
  provider: k8s.Provider;
  /** The app namespace (Valkey serves only the backend, which runs there). */
  namespace: pulumi.Input<string>;
  stack: string;
  /** Image, memory bound, eviction policy, resources and persistence from the stack config. */
  settings: ValkeyConfig;
  /** Valkey's password (a Pulumi secret): in a Kubernetes Secret, never in the chart's values. */
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
  /**
   * The claim's StorageClass when the config names none: on EKS the gp3 class the stack makes (reclaim policy Retain
   * in production), named on the claim so that its volume's fate does not hang on which class is the cluster's
   * default (policy/rules.ts, retained-volumes-in-production). Absent: the cluster's default.
   */
  defaultStorageClass?: string;
}

/**
 * What this stack adds to the chart's valkey.conf: the memory bound and eviction, persistence, idle clients. The
 * chart's init script writes `port`, `bind`, `protected-mode no`, `dir /data` and, with auth, `aclfile` itself, then
 * appends the `valkeyConfig` value (valkey/templates/init_config.yaml lines 74-95 and 222-226 at valkey-0.11.0).
 */
export function valkeyConf(settings: ValkeyConfig, persistence: boolean): string {
  const maxmemory = Math.floor(parseQuantity(settings.maxmemory)!);
  return [
    `maxmemory ${maxmemory}`,
    `maxmemory-policy ${settings.evictionPolicy}`,
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
 * An image as the chart takes it: its `common.image` helper writes `registry/repository:tag`, so a digest rides on
 * the tag (`9.1.1@sha256:…`), which the chart strips again for its version label (valkey/templates/_helpers.tpl lines
 * 40 and 84-97 at valkey-0.11.0). The registry is always given: the helper's branch without one leaves a stray
 * newline after the reference (line 97). A first path part with a dot, a port or `localhost` is a registry, as
 * Docker reads references; otherwise the image is Docker Hub's. The config refuses images without a tag.
 */
export function chartImage(image: ImageReference): { registry: string; repository: string; tag: string; pullPolicy: string } {
  const [first, ...rest] = image.repository.split("/");
  const hasRegistry = rest.length > 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  const registry = hasRegistry ? first : "docker.io";
  const repository = hasRegistry ? rest.join("/") : rest.length > 0 ? image.repository : `library/${image.repository}`;
  return { registry, repository, tag: `${image.tag}${image.digest ? `@${image.digest}` : ""}`, pullPolicy: IMAGE_PULL_POLICY };
}

/**
 * The labels the chart puts on its pods: its selector labels, `app.kubernetes.io/name` (the chart name, or
 * `nameOverride`) and `app.kubernetes.io/instance` (the release name), then `commonLabels` and `podLabels`
 * (valkey/templates/_helpers.tpl lines 51-54, deploy_valkey.yaml lines 23-32 at valkey-0.11.0). With the release named
 * after the stack's instance label, they are this stack's selector labels.
 */
export function chartPodLabels(release: { name: string; values: { nameOverride?: string; commonLabels?: Record<string, string>; podLabels?: Record<string, string> } }): Record<string, string> {
  return {
    "app.kubernetes.io/name": release.values.nameOverride || VALKEY_CHART.chart,
    "app.kubernetes.io/instance": release.name,
    ...release.values.commonLabels,
    ...release.values.podLabels,
  };
}

/**
 * A probe that passes only on PONG: redis-cli 7.0, whose code valkey-cli carries, exits 0 on an error reply such as
 * NOAUTH (tried against Debian's redis-server). The password comes from the mounted Secret, on no command line:
 * valkey-cli reads REDISCLI_AUTH (valkey src/valkey-cli.c `CLI_AUTH_ENV`; from 9.0 it reads VALKEYCLI_AUTH first and
 * keeps REDISCLI_AUTH as a fallback, valkey-io/valkey#1995, #2038, #2334), the name redis-cli reads too, so the same
 * probe runs against Debian's redis-server in valkey-chart-auth.test.ts.
 */
function pingProbe(timing: { periodSeconds: number; timeoutSeconds: number; failureThreshold: number }) {
  const ping = `REDISCLI_AUTH="$(cat ${PASSWORD_MOUNT}/${VALKEY_PASSWORD_KEY})" valkey-cli -h 127.0.0.1 -p ${VALKEY_PORT} ping | grep -q PONG`;
  return { exec: { command: ["sh", "-c", ping] }, ...timing };
}

/**
 * One Valkey for the stack, from the official chart (valkey-io/valkey-helm, {@link VALKEY_CHART}) as a
 * `helm.v3.Release` in standalone mode: a single-replica Deployment with redis_exporter beside it, its Service
 * `valkey` and the exporter's `valkey-metrics`. Around the release, what the chart cannot do for us:
 * - the Secret with the password (the chart reads it as an existing Secret: `auth.usersExistingSecret`), so the
 *   values, the release and the state hold no password;
 * - the data claim (`dataStorage.persistentVolumeClaimName`), kept on `pulumi destroy` in production
 *   (`retainOnDelete`): the chart's own claim would go with the release;
 * - the NetworkPolicy admitting the backend to Valkey and Prometheus to the exporter, and nothing else (the chart's
 *   `networkPolicy` value takes raw rules; ours comes from the same helper as every other workload's).
 * One replica: limits and a cache tolerate a restart (the backend fails open or closed meanwhile, as configured), so
 * there is no PodDisruptionBudget (it would only block node drains).
 */
export class Valkey extends pulumi.ComponentResource {
  public readonly secret: k8s.core.v1.Secret;
  /** The data claim; absent without persistence. */
  public readonly claim?: k8s.core.v1.PersistentVolumeClaim;
  public readonly release: k8s.helm.v3.Release;
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

    this.secret = new k8s.core.v1.Secret(
      `${name}-auth`,
      {
        metadata: { name: VALKEY_AUTH_SECRET, namespace: args.namespace, labels },
        type: "Opaque",
        stringData: { [VALKEY_PASSWORD_KEY]: pulumi.secret(args.password) },
      },
      childOpts,
    );
    this.passwordRef = { name: this.secret.metadata.name, key: VALKEY_PASSWORD_KEY };

    if (args.persistence) {
      const storageClassName = args.settings.persistence.storageClass ?? args.defaultStorageClass;
      this.claim = new k8s.core.v1.PersistentVolumeClaim(
        `${name}-data`,
        {
          metadata: { name: VALKEY_DATA_CLAIM, namespace: args.namespace, labels },
          spec: {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: args.settings.persistence.size } },
            ...(storageClassName && { storageClassName }),
          },
        },
        // Limits and cache survive pod replacement always, and in production a destroy too.
        { ...childOpts, dependsOn: args.storageClasses, retainOnDelete: args.production },
      );
    }

    const releaseName = selector["app.kubernetes.io/instance"];
    const values = valkeyValues(args);
    this.release = new k8s.helm.v3.Release(
      name,
      {
        chart: VALKEY_CHART.chart,
        version: VALKEY_CHART.version,
        repositoryOpts: { repo: VALKEY_CHART.repo },
        name: releaseName,
        namespace: args.namespace,
        values,
      },
      { ...childOpts, dependsOn: [this.secret, ...(this.claim ? [this.claim] : [])] },
    );

    // The pods' labels as the chart writes them: the policy and the backend's egress select exactly these.
    const podLabels = chartPodLabels({ name: releaseName, values });
    this.pods = { podLabels: { "app.kubernetes.io/name": podLabels["app.kubernetes.io/name"], "app.kubernetes.io/instance": podLabels["app.kubernetes.io/instance"] }, port: VALKEY_PORT };

    if (args.networkPolicies) {
      const ingress = [{ peers: [podPeer(args.clients)], ports: [tcp(VALKEY_PORT)] }];
      if (args.scraper) ingress.push({ peers: [podPeer(args.scraper)], ports: [tcp(VALKEY_EXPORTER_PORT)] });
      this.networkPolicy = workloadNetworkPolicy(
        `${name}-network`,
        VALKEY_NAME,
        // Valkey calls no one: no egress at all (DNS comes from the namespace's allow-dns).
        { namespace: args.namespace, labels, podLabels: this.pods.podLabels, rules: { ingress, egress: [] } },
        childOpts,
      );
    }

    // The chart's Service is named `fullnameOverride` (valkey/templates/service.yaml line 4).
    this.url = pulumi.output(`redis://${VALKEY_NAME}:${VALKEY_PORT}`);
    this.registerOutputs({ url: this.url });
  }
}

/**
 * The chart's values, each checked against valkey/values.yaml and valkey/templates/ at valkey-0.11.0 (commit
 * dbcf6a6). Nothing secret: the password is only named, by Secret and key.
 */
export function valkeyValues(args: Pick<ValkeyArgs, "stack" | "settings" | "persistence">) {
  const { settings } = args;
  const identity = { component: VALKEY_NAME, stack: args.stack, version: settings.image.tag };
  // The chart writes its own selector labels (name, instance) on the pod: podLabels add the rest of ours, never the
  // same keys again (a label written twice in the template is a duplicate YAML key).
  const selector = selectorLabels(identity);
  const podLabels = Object.fromEntries(Object.entries(runningLabels(identity)).filter(([key]) => !(key in selector)));
  // The chart's default container securityContext sets runAsUser 1000, and Helm merges our map into it: the UID is
  // named again, so every container runs as the pod's user (values.yaml lines 63-71).
  const container = { ...restrictedContainerSecurityContext(), runAsUser: NON_ROOT_ID };
  return {
    // Service `valkey` (the backend's VALKEY_URL) and `valkey-metrics`; the pods' name label `valkey`.
    fullnameOverride: VALKEY_NAME,
    nameOverride: VALKEY_NAME,
    image: chartImage(settings.image),
    // Its own ServiceAccount without an API token (serviceaccount.yaml; the pod spec takes `automount` too).
    serviceAccount: { create: true, automount: false },
    podLabels,
    // Restricted: non-root with our UID/GID, RuntimeDefault seccomp; `securityContext` applies to the init container
    // and to Valkey (deploy_valkey.yaml lines 51-60 and 109-110), the exporter's is empty unless set (lines 156-159).
    podSecurityContext: restrictedPodSecurityContext(),
    securityContext: container,
    resources: withEphemeralStorage(settings.resources, { request: "64Mi", limit: "256Mi" }),
    // The init container only writes valkey.conf and the ACL file (init_config.yaml).
    initResources: withEphemeralStorage({ requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "32Mi" } }, { request: "16Mi", limit: "64Mi" }),
    // A single replica on a ReadWriteOnce claim: the old pod must go before the new one mounts the claim (the
    // chart's default RollingUpdate would start the new pod first, stuck on the volume on another node).
    deploymentStrategy: "Recreate",
    service: { type: "ClusterIP", port: VALKEY_PORT },
    // ACL auth with the password from our Secret: the init container hashes it into /etc/valkey/users.acl (a memory
    // emptyDir), the exporter reads it as REDIS_PASSWORD through secretKeyRef (init_config.yaml lines 23-57 and
    // 117-131, deploy_valkey.yaml lines 192-205). `default` is the user the backend's AUTH <password> logs in as.
    auth: {
      enabled: true,
      usersExistingSecret: VALKEY_AUTH_SECRET,
      aclUsers: { default: { permissions: "~* &* +@all", passwordKey: VALKEY_PASSWORD_KEY } },
    },
    // The chart's default probe is a bare `valkey-cli ping`, which gets NOAUTH once auth is on and passes on that
    // error reply all the same (the CLI exits 0): ours read the password from the Secret mounted into the Valkey
    // container (`extraValkeySecrets`, deploy_valkey.yaml lines 141-144 and 229-234) and pass only on PONG
    // (`customProbe`, _helpers.tpl lines 201-227).
    extraValkeySecrets: [{ name: VALKEY_AUTH_SECRET, mountPath: PASSWORD_MOUNT }],
    // Loading a large append-only file takes a while: up to 2 minutes before liveness applies.
    startupProbe: { enabled: true, customProbe: pingProbe({ periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 60 }) },
    readinessProbe: { enabled: true, customProbe: pingProbe({ periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 }) },
    livenessProbe: { enabled: true, customProbe: { tcpSocket: { port: "tcp" }, periodSeconds: 30, timeoutSeconds: 10, failureThreshold: 3 } },
    // A small writable /tmp beside the read-only root (mounted into the init and Valkey containers).
    extraVolumes: [{ name: "tmp", emptyDir: { sizeLimit: "16Mi" } }],
    extraVolumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
    valkeyConfig: valkeyConf(settings, args.persistence),
    // Our claim, kept on destroy in production; without persistence the chart's emptyDir (deploy_valkey.yaml
    // lines 269-282: the claim name wins over the chart's own claim, which pvc.yaml then does not create).
    dataStorage: args.persistence ? { enabled: true, persistentVolumeClaimName: VALKEY_DATA_CLAIM } : { enabled: false },
    replica: { enabled: false },
    // redis_exporter beside Valkey on 9121, behind the chart's `valkey-metrics` Service, which our ServiceMonitor
    // (components/monitoring/scrape-targets.ts) scrapes: the chart's ServiceMonitor, PodMonitor and rules stay off.
    metrics: {
      enabled: true,
      exporter: {
        image: chartImage(settings.exporter.image),
        port: VALKEY_EXPORTER_PORT,
        securityContext: container,
        resources: withEphemeralStorage(VALKEY_EXPORTER_RESOURCES, { request: "16Mi", limit: "64Mi" }),
      },
      service: { enabled: true, type: "ClusterIP", ports: { http: VALKEY_EXPORTER_PORT } },
      serviceMonitor: { enabled: false },
      podMonitor: { enabled: false },
      prometheusRule: { enabled: false },
    },
    // Ours, above: the chart writes none while this is empty (netpolicy.yaml).
    networkPolicy: {},
    podDisruptionBudget: { enabled: false },
  };
}
