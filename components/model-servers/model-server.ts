import { createHash } from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LocalModelConfig, ModelEngine } from "../../config/phases";
import { GPU_TOLERATION } from "../../lib/gpu";
import { recommendedLabels, selectorLabels } from "../../lib/labels";
import { CACHE_MOUNT, ENGINES } from "./model-engines";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../../lib/pod-security";
import { SCALED_OBJECT_API, scaledObjectSpec, ScalingSettings } from "./scaled-object";

/** KEDA scales this server: its triggers' settings, and what must exist first (KEDA's chart, for the CRD). */
export interface ModelServerScaling {
  settings: ScalingSettings;
  dependsOn: pulumi.Input<pulumi.Resource>[];
}
import { IMAGE_PULL_POLICY, LocalStorage, withEphemeralStorage } from "../../lib/local-storage";
import { analysisTemplate, canarySteps, workloadRollout } from "../../lib/rollout";
import { modelServerCanaryAnalysisSpec, ModelServerCanaryAnalysisArgs } from "../monitoring/canary-analysis";
import { PodPeer, PolicyRule, podPeer, tcp, workloadNetworkPolicy } from "../../lib/network-policy";

type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;

/**
 * A canary of the server (docs/delivery.md, `delivery.canary.modelServers`): an Argo Rollout runs the Deployment's
 * pod template in steps beside the stable pods, judged on vLLM's own series of the canary's pods.
 */
export interface ModelServerCanary {
  /** Traffic shares in order, ending at 100 (`delivery.canary.weights`); by pod count, as no router splits traffic. */
  weights: number[];
  /** The stack's Prometheus, the thresholds and the measurement timing of the analysis. */
  analysis: Omit<ModelServerCanaryAnalysisArgs, "namespace" | "server">;
  /** Argo Rollouts' chart (CRDs and controller), when the stack installs it. */
  dependsOn: pulumi.Resource[];
}

/** Who reaches a model server, and where it may pull from; each is one path its NetworkPolicy opens. */
export interface ModelServerNetwork {
  /** The backend's pods: the only clients (neither engine authenticates its callers). */
  clients: PodPeer;
  /** Prometheus's pods, which scrape vLLM's `/metrics`; absent without monitoring. */
  scraper?: PodPeer;
  /** Addresses of the model hub, reached on 443 to pull weights; absent once pulls are closed. */
  modelHub?: pulumi.Input<pulumi.Input<NetworkPolicyPeer>[]>;
}

/** Scratch space on /tmp (home, compiler caches that need not survive); weights live on the cache volume. */
export const MODEL_SERVER_TMP_SIZE = "4Gi";
/** Disk of each container: /tmp plus logs (weights are on the PersistentVolumeClaim). */
export const MODEL_SERVER_LOCAL_STORAGE: LocalStorage = { request: "1Gi", limit: "6Gi" };

export interface ModelServerArgs {
  /** Provider of the target cluster. */
  provider: k8s.Provider;
  /** Namespace to run in (the stack's, already created). */
  namespace: pulumi.Input<string>;
  /** Stack name, for the `app.kubernetes.io/instance` label. */
  stack: string;
  /** Object name of the server's Deployment, Service and cache (`model-server`, `model-server-<model>`). */
  serverName: string;
  /** Ollama, vLLM or Triton: image defaults, port, health endpoint, cache layout and pull script. */
  engine: ModelEngine;
  /** Models this server serves and pulls into its cache before it takes traffic. */
  models: string[];
  /** Image reference to run (the engine's pinned image unless the stack overrides it). */
  image: pulumi.Input<string>;
  /** Size, GPUs, cache and start allowance, from `localModel`. */
  settings: Pick<LocalModelConfig, "replicas" | "gpu" | "resources" | "cache" | "startupMinutes" | "pullMinutes">;
  /** Production: the weights cache is kept in the cluster even when the stack is destroyed. */
  production: boolean;
  /** Name of a Secret with key `token`, for gated Hugging Face models; used by the pull only. */
  huggingFaceTokenSecret?: pulumi.Input<string>;
  /** Whether the namespace runs NetworkPolicies; then the server's own policy opens exactly its paths. */
  networkPolicies: boolean;
  network: ModelServerNetwork;
  /**
   * The cluster's StorageClasses: the cache claim is created after them. A claim made before its class exists is
   * never bound, and pulumi-kubernetes gives up on it after five minutes.
   */
  storageClasses?: pulumi.Input<pulumi.Resource>[];
  /** KEDA scales the server (queue autoscaling or scale-to-zero); the Deployment then leaves `replicas` to it. */
  scaling?: ModelServerScaling;
  /** A canary instead of the Deployment's own update; needs a ReadWriteMany cache (config/model-server-canary.ts). */
  canary?: ModelServerCanary;
}

/**
 * Name of the cache claim. A claim's class and access modes cannot change in place: such a change replaces it, and
 * a retained claim of the same name (production keeps caches on destroy and on replacement) would block its
 * successor. The suffix follows exactly those fields, so the successor gets a name of its own.
 */
export function cacheClaimName(serverName: string, cache: Pick<LocalModelConfig["cache"], "storageClass" | "accessMode">): string {
  const suffix = createHash("sha256").update(JSON.stringify([cache.storageClass ?? "", cache.accessMode])).digest("hex").slice(0, 6);
  return `${serverName}-cache-${suffix}`;
}

/**
 * How long `pulumi up` waits for a model server, in minutes: the first start joins a GPU node, pulls a multi-GB
 * image and the weights (`pullMinutes`), then loads them (`startupMinutes`). pulumi-kubernetes waits 10 minutes for
 * a Deployment unless told otherwise (DefaultDeploymentTimeoutMins, provider/pkg/await/deployment.go).
 */
export function rolloutMinutes(settings: Pick<LocalModelConfig, "startupMinutes" | "pullMinutes">): number {
  return settings.startupMinutes + settings.pullMinutes;
}

/**
 * One in-cluster model server (Ollama or vLLM) with its weights cache: a PersistentVolumeClaim that an init
 * container fills before the server starts, so the server never takes traffic without its models, and a
 * restarted pod finds them already there.
 */
export class ModelServer extends pulumi.ComponentResource {
  public readonly cache: k8s.core.v1.PersistentVolumeClaim;
  public readonly deployment: k8s.apps.v1.Deployment;
  public readonly service: k8s.core.v1.Service;
  public readonly serviceAccount: k8s.core.v1.ServiceAccount;
  /** With a canary: the Rollout that runs the Deployment's pod template in steps, and its analysis. */
  public readonly rollout?: k8s.apiextensions.CustomResource;
  public readonly analysisTemplate?: k8s.apiextensions.CustomResource;
  /** Base URL the backend calls: Ollama's API root, or vLLM's OpenAI-compatible `/v1`. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: ModelServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:app:ModelServer", name, {}, opts);
    const engine = ENGINES[args.engine];
    const { gpu, cache } = args.settings;
    const childOpts = { parent: this, provider: args.provider };
    const identity = { component: "model-server", stack: args.stack };
    // Several vLLM servers share name and instance labels; the server label tells their pods apart.
    const selector = { ...selectorLabels(identity), "ai-assistant.io/model-server": args.serverName };
    const labels = { ...recommendedLabels(identity), ...selector, "ai-assistant.io/engine": args.engine };
    const metadata = { name: args.serverName, namespace: args.namespace, labels };

    this.cache = new k8s.core.v1.PersistentVolumeClaim(
      `${name}-cache`,
      {
        metadata: { ...metadata, name: cacheClaimName(args.serverName, cache) },
        spec: {
          accessModes: [cache.accessMode],
          storageClassName: cache.storageClass,
          resources: { requests: { storage: cache.size } },
        },
      },
      // Weights take minutes to hours to download: in production they outlive the stack (and the pods always).
      { ...childOpts, retainOnDelete: args.production, dependsOn: args.storageClasses },
    );

    // Its own identity, without an API token: the engines talk to neither the Kubernetes API nor AWS (weights come
    // from the hub over HTTPS), so there is no token to steal and no IRSA role to attach.
    this.serviceAccount = new k8s.core.v1.ServiceAccount(name, { metadata, automountServiceAccountToken: false }, childOpts);

    const env = Object.entries(engine.env).map(([envName, value]) => ({ name: envName, value }));
    const volumeMounts = [
      { name: "model-cache", mountPath: CACHE_MOUNT },
      { name: "tmp", mountPath: "/tmp" },
    ];
    // A container given a GPU keeps a writable root: the NVIDIA Container Toolkit (1.18+ defaults to jit-CDI, which the
    // EKS AL2023 NVIDIA AMI runs, awslabs/amazon-eks-ami#2816) injects the host's driver libraries with a
    // createContainer hook, `nvidia-cdi-hook update-ldcache`, that pivots into the container's root and there writes
    // drop-ins into /etc/ld.so.conf.d and runs `ldconfig -C /etc/ld.so.cache` (NVIDIA/nvidia-container-toolkit
    // internal/ldconfig/ldconfig.go, UpdateLDCache; always, since #1326). On a read-only root the hook fails and the
    // container is never created (kserve/kserve#5711 turned read-only root off for vLLM for this). No volume can stand
    // in: an emptyDir on /etc/ld.so.conf.d would hide the image's CUDA entries, and ld.so.cache is a file in /etc
    // itself. Pod Security "restricted" does not ask for a read-only root; everything else of it still holds.
    const gpuHookWritesRoot = gpu.count > 0;
    const securityContext = restrictedContainerSecurityContext({ readOnlyRootFilesystem: !engine.writableRootFilesystem });
    const serverSecurityContext = restrictedContainerSecurityContext({ readOnlyRootFilesystem: !(engine.writableRootFilesystem || gpuHookWritesRoot) });
    const gpuResources: Record<string, string> = gpu.count > 0 ? { "nvidia.com/gpu": String(gpu.count) } : {};
    const resources = withEphemeralStorage(
      { requests: { ...args.settings.resources.requests, ...gpuResources }, limits: { ...args.settings.resources.limits, ...gpuResources } },
      MODEL_SERVER_LOCAL_STORAGE,
    );
    const hfToken = args.huggingFaceTokenSecret
      ? [{ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: args.huggingFaceTokenSecret, key: "token" } } }]
      : [];
    const startupPeriodSeconds = 10;
    const rollout = rolloutMinutes(args.settings);

    this.deployment = new k8s.apps.v1.Deployment(
      name,
      {
        metadata,
        spec: {
          // Scaled by KEDA: the field is left out, so that with server-side apply the HPA (or KEDA, at zero) owns it
          // and `pulumi up` never resets it. A new Deployment starts with Kubernetes' default of one. With a canary
          // the Rollout runs the pods: Argo Rollouts scales the Deployment to zero once they are healthy.
          ...(args.scaling === undefined && args.canary === undefined && { replicas: args.settings.replicas }),
          // The Deployment reports ProgressDeadlineExceeded (600 s by default) while the first pull is still going;
          // it gets the same allowance as `pulumi up` does.
          progressDeadlineSeconds: rollout * 60,
          selector: { matchLabels: selector },
          // A ReadWriteOnce volume attaches to one node at a time: a surging RollingUpdate would schedule the new
          // pod before the old one lets go of the volume, and if it lands on another node it waits forever while
          // the old pod keeps running. Recreate releases the volume first. A ReadWriteMany cache has no such
          // limit, so it rolls without downtime.
          strategy:
            cache.accessMode === "ReadWriteOnce"
              ? { type: "Recreate" }
              : { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: this.serviceAccount.metadata.name,
              automountServiceAccountToken: false,
              securityContext: restrictedPodSecurityContext(),
              ...(gpu.count > 0 && {
                nodeSelector: gpu.nodeSelector,
                tolerations: [GPU_TOLERATION],
              }),
              initContainers: [
                {
                  name: "pull-models",
                  image: args.image,
                  imagePullPolicy: IMAGE_PULL_POLICY,
                  command: ["/bin/sh", "-c", engine.pullScript(args.models, gpu.count)],
                  env: [...env, ...hfToken],
                  // The pull needs network and disk, not the GPU; it runs with the server's CPU and memory.
                  resources: withEphemeralStorage(args.settings.resources, MODEL_SERVER_LOCAL_STORAGE),
                  securityContext,
                  volumeMounts,
                },
              ],
              containers: [
                {
                  name: "server",
                  image: args.image,
                  imagePullPolicy: IMAGE_PULL_POLICY,
                  ...engine.serverCommand(args.models, gpu.count),
                  // The init container filled the cache; the server must not reach out to the hub on its own.
                  env: [...env, ...(args.engine !== "ollama" ? [{ name: "HF_HUB_OFFLINE", value: "1" }] : [])],
                  ports: [{ name: "http", containerPort: engine.port, protocol: "TCP" }],
                  resources,
                  securityContext: serverSecurityContext,
                  volumeMounts: [...volumeMounts, ...(engine.sharedMemory ? [{ name: "dshm", mountPath: "/dev/shm" }] : [])],
                  // Loading weights into GPU memory takes minutes on first start: the startup probe allows all of
                  // it, then readiness and liveness run tight on the engine's own health endpoint.
                  startupProbe: {
                    httpGet: { path: engine.healthPath, port: "http" },
                    periodSeconds: startupPeriodSeconds,
                    timeoutSeconds: 5,
                    failureThreshold: Math.ceil((args.settings.startupMinutes * 60) / startupPeriodSeconds),
                  },
                  readinessProbe: {
                    httpGet: { path: engine.healthPath, port: "http" },
                    periodSeconds: 10,
                    timeoutSeconds: 5,
                    failureThreshold: 3,
                  },
                  livenessProbe: {
                    httpGet: { path: engine.healthPath, port: "http" },
                    periodSeconds: 30,
                    timeoutSeconds: 10,
                    failureThreshold: 3,
                  },
                },
              ],
              volumes: [
                { name: "model-cache", persistentVolumeClaim: { claimName: this.cache.metadata.name } },
                { name: "tmp", emptyDir: { sizeLimit: MODEL_SERVER_TMP_SIZE } },
                // vLLM's workers (and Triton's Python backend) use shared memory; the container default of 64Mi is too small.
                ...(engine.sharedMemory ? [{ name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "2Gi" } }] : []),
              ],
            },
          },
        },
      },
      // customTimeouts is what the provider's await reads first (metadata.TimeoutDuration, then the
      // pulumi.com/timeoutSeconds annotation, then the 10-minute default); an update (new image or model) pulls too.
      { ...childOpts, customTimeouts: { create: `${rollout}m`, update: `${rollout}m` } },
    );

    this.service = new k8s.core.v1.Service(
      name,
      {
        metadata,
        spec: { selector, ports: [{ name: "http", port: engine.port, targetPort: "http", protocol: "TCP" }] },
      },
      childOpts,
    );

    // Where more than one replica always runs, voluntary disruptions (a node drained by Karpenter's expiry, an
    // upgrade) take one pod at a time. A single replica is left without a budget, as the app's workloads are: one of
    // zero would block every drain, and one of one would change nothing; the backend's fallback covers its gap. A
    // spot interruption waits for no budget: the interruption queue buys its two minutes.
    const alwaysRunning = args.scaling ? args.scaling.settings.min : args.settings.replicas;
    if (alwaysRunning > 1) {
      new k8s.policy.v1.PodDisruptionBudget(name, { metadata, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } }, childOpts);
    }

    if (args.canary) {
      // Two pods of one server (the stable and the canary) mount the cache at once, often on two nodes.
      if (cache.accessMode !== "ReadWriteMany") throw new pulumi.ResourceError("expected a ReadWriteMany cache for a model-server canary", this);
      // Its analysis reads vLLM's own series; no other engine publishes them (config/model-server-canary.ts).
      if (args.engine !== "vllm") throw new pulumi.ResourceError(`expected engine vllm for a model-server canary, found ${args.engine}`, this);
      const canary = args.canary;
      const crOpts = { ...childOpts, dependsOn: canary.dependsOn };
      this.analysisTemplate = analysisTemplate(
        `${name}-canary`,
        { ...metadata, name: `${args.serverName}-canary` },
        pulumi.output(args.namespace).apply((namespace) => modelServerCanaryAnalysisSpec({ ...canary.analysis, namespace, server: args.serverName })),
        crOpts,
      );
      this.rollout = workloadRollout(
        name,
        {
          metadata,
          replicas: args.scaling ? undefined : args.settings.replicas,
          selector,
          deployment: this.deployment,
          // No traffic router: the Service sends to every ready pod, so a weight is a share of the pods. One pod more
          // than the wanted count, never one less: with one replica the canary's pod runs beside the stable one
          // (Argo Rollouts v1.9.0 utils/replicaset/canary.go approximateWeightedCanaryStableReplicaCounts: 1 and 1,
          // half the requests each, until 100), and that second pod is the canary's GPU.
          canary: { maxSurge: 1, maxUnavailable: 0, steps: canarySteps(canary, this.analysisTemplate.metadata.name) },
          // A new version's pod may first pull the image (and weights, for a new model) and load them.
          progressDeadlineSeconds: rollout * 60,
        },
        crOpts,
      );
    }

    if (args.scaling) {
      const scaling = args.scaling;
      new k8s.apiextensions.CustomResource(
        `${name}-scaling`,
        {
          apiVersion: SCALED_OBJECT_API,
          kind: "ScaledObject",
          metadata,
          spec: pulumi
            .output(args.namespace)
            .apply((namespace) => scaledObjectSpec({ serverName: args.serverName, engine: args.engine, models: args.models, namespace, rollout: this.rollout !== undefined }, scaling.settings)),
        },
        { ...childOpts, dependsOn: [...scaling.dependsOn, this.deployment, ...(this.rollout ? [this.rollout] : [])] },
      );
    }

    if (args.networkPolicies) {
      const port = [tcp(engine.port)];
      const ingress: PolicyRule[] = [{ peers: [podPeer(args.network.clients)], ports: port }];
      // vLLM and Triton serve metrics on their port; Ollama's port is for the backend alone.
      if (args.network.scraper && engine.servesMetrics) ingress.push({ peers: [podPeer(args.network.scraper)], ports: port });
      const egress: PolicyRule[] = args.network.modelHub ? [{ peers: args.network.modelHub, ports: [tcp(443)] }] : [];
      workloadNetworkPolicy(name, args.serverName, { namespace: args.namespace, labels, podLabels: selector, rules: { ingress, egress } }, childOpts);
    }

    this.url = pulumi.interpolate`http://${this.service.metadata.name}.${args.namespace}.svc.cluster.local:${engine.port}${engine.apiPath}`;
    this.registerOutputs({ url: this.url });
  }
}
