import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { WorkloadConfig } from "../../config/workload";
import { recommendedLabels, runningLabels, selectorLabels, WorkloadIdentity } from "../../lib/labels";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../../lib/pod-security";
import { HealthPaths, httpProbes, ProbeTiming } from "../../lib/probes";
import { IMAGE_PULL_POLICY, LocalStorage, withEphemeralStorage } from "../../lib/local-storage";
import { PolicyRules, workloadNetworkPolicy } from "../../lib/network-policy";
import { preStopHook, TERMINATION_GRACE_SECONDS } from "./shutdown";
import { CanaryDelivery, canaryStrategy, rolloutHashSpreadKey } from "./canary";
import { analysisTemplate, scaleTarget, workloadRollout } from "../../lib/rollout";

type EnvVar = k8s.types.input.core.v1.EnvVar;
type EnvFromSource = k8s.types.input.core.v1.EnvFromSource;

/** What every app component built on {@link AppWorkload} (frontend, backend) is given. */
export interface AppComponentArgs {
  /** Provider of the target cluster; never the ambient kubeconfig. */
  provider: k8s.Provider;
  /** Namespace to run in (the stack's, already created). */
  namespace: pulumi.Input<string>;
  /** Stack name, for the `app.kubernetes.io/instance` label. */
  stack: string;
  /** Size, replicas and autoscaling from the stack config. */
  workload: WorkloadConfig;
  /** Image reference to run (a registry reference, or the digest of an image the stack built). */
  image: pulumi.Input<string>;
  /** Version for the `app.kubernetes.io/version` label, usually the image tag. */
  version?: string;
  /** Production: pods spread across zones and nodes. */
  production: boolean;
  /** Whether the namespace runs NetworkPolicies; then the workload's own policy opens exactly its paths. */
  networkPolicies: boolean;
  /** The cluster runs the native `sleep` lifecycle action (Kubernetes 1.30 or later; see ./shutdown.ts). */
  nativeSleep: boolean;
  /** A canary (Argo Rollouts) instead of the Deployment's rolling update (./canary.ts, docs/delivery.md). */
  canary?: CanaryDelivery;
}

/** What a component on AppWorkload passes through unchanged: its cluster, namespace, size, image and posture. */
export function passedThrough(args: AppComponentArgs): Omit<AppComponentArgs, "stack" | "version"> {
  const { provider, namespace, workload, image, production, networkPolicies, nativeSleep, canary } = args;
  return { provider, namespace, workload, image, production, networkPolicies, nativeSleep, canary };
}

export interface AppWorkloadArgs extends Omit<AppComponentArgs, "stack" | "version"> {
  /** Who this workload is; becomes its labels and object names. */
  identity: WorkloadIdentity;
  /** Port the container listens on; the Service exposes it under the name `http`. */
  port: number;
  /** Paths of the readiness and liveness checks. */
  health: HealthPaths;
  /** How fast it becomes ready and how long its first start may take. */
  probeTiming: ProbeTiming;
  /** Environment variables of the container. */
  env?: pulumi.Input<pulumi.Input<EnvVar>[]>;
  /** ConfigMaps or Secrets whose keys become environment variables. */
  envFrom?: pulumi.Input<pulumi.Input<EnvFromSource>[]>;
  /** Directories the process writes to; each gets an emptyDir, as the root filesystem is read-only. */
  writablePaths?: string[];
  /**
   * ConfigMaps mounted read-only as directories. Never a subPath: kubelet updates a mounted ConfigMap's files in
   * place (a symlink swap), except under subPath.
   */
  configDirectories?: { name: string; configMap: pulumi.Input<string>; mountPath: string }[];
  /** Pod annotations, e.g. a checksum of mounted config so that a config change rolls the pods. */
  podAnnotations?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** `LoadBalancer` to expose the Service outside the cluster; `ClusterIP` (default) otherwise. */
  serviceType?: "ClusterIP" | "LoadBalancer";
  /** Annotations of the Service (load balancer settings). */
  serviceAnnotations?: Record<string, string>;
  /** Client ranges a LoadBalancer Service admits. */
  loadBalancerSourceRanges?: string[];
  /** Who may reach the workload and whom it may reach; used when `networkPolicies` is on. */
  networkRules: PolicyRules;
  /** What must answer before the pods are created (an admission webhook that injects into them). */
  podsAfter?: pulumi.Resource[];
}

/** The pods of one app workload of a stack, for NetworkPolicy peers. */
export function appPods(component: "frontend" | "backend", stack: string): { podLabels: Record<string, string> } {
  return { podLabels: selectorLabels({ component, stack }) };
}

/** Size limit of each writable emptyDir (/tmp and the like): scratch space, never data. */
export const WRITABLE_DIR_SIZE = "128Mi";
/** The container's own disk: its writable dirs plus logs. */
export const APP_LOCAL_STORAGE: LocalStorage = { request: "64Mi", limit: "512Mi" };

/**
 * Production pods spread over zones (a zone outage leaves pods serving) and nodes (a drain takes one pod at a time).
 * Zones are a hard rule, nodes a preference, so a scale-up never waits for a node to be free. `pod-template-hash`
 * keeps a rollout's new pods spread among themselves instead of counting the old ones being replaced.
 */
function topologySpread(selector: Record<string, string>, hashKey: string) {
  const constraint = (topologyKey: string, whenUnsatisfiable: string) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable,
    labelSelector: { matchLabels: selector },
    matchLabelKeys: [hashKey],
  });
  return [constraint("topology.kubernetes.io/zone", "DoNotSchedule"), constraint("kubernetes.io/hostname", "ScheduleAnyway")];
}

/**
 * A stateless HTTP workload: its own ServiceAccount, Deployment, Service, HorizontalPodAutoscaler (when autoscaling is
 * on), a PodDisruptionBudget (when more than one replica always runs, so that node drains keep one pod serving) and
 * its NetworkPolicy. With a canary, an Argo Rollout runs the Deployment's template in steps (the HPA scales the
 * Rollout), with its AnalysisTemplate and, behind an ALB, the canary and stable Services (./canary.ts).
 */
export class AppWorkload extends pulumi.ComponentResource {
  public readonly deployment: k8s.apps.v1.Deployment;
  public readonly service: k8s.core.v1.Service;
  public readonly autoscaler?: k8s.autoscaling.v2.HorizontalPodAutoscaler;
  public readonly disruptionBudget?: k8s.policy.v1.PodDisruptionBudget;
  public readonly serviceAccount: k8s.core.v1.ServiceAccount;
  public readonly networkPolicy?: k8s.networking.v1.NetworkPolicy;
  /** With a canary: the Rollout that runs the Deployment's pod template in steps, and what it needs. */
  public readonly rollout?: k8s.apiextensions.CustomResource;
  public readonly analysisTemplate?: k8s.apiextensions.CustomResource;
  /** With a canary behind an ALB: the Services Argo Rollouts points at the canary's and the stable pods. */
  public readonly canaryServices?: { canary: k8s.core.v1.Service; stable: k8s.core.v1.Service };
  /** Cluster-internal base URL, e.g. http://backend.ai-assistant.svc.cluster.local:8080. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: AppWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:kubernetes:AppWorkload", name, {}, opts);
    const { identity, workload } = args;
    const childOpts = { parent: this, provider: args.provider };
    const labels = recommendedLabels(identity);
    const selector = selectorLabels(identity);
    const metadata = { name: identity.component, namespace: args.namespace, labels };
    // The version only where the image runs: it moves with the image and with nothing else.
    const running = runningLabels(identity);
    const writablePaths = args.writablePaths ?? ["/tmp"];
    const configDirectories = args.configDirectories ?? [];
    const autoscaling = workload.autoscaling.enabled ? workload.autoscaling : undefined;

    // Its own identity, without an API token: neither app workload talks to the Kubernetes API or to AWS, so there is
    // no token to steal and no IRSA role to attach.
    this.serviceAccount = new k8s.core.v1.ServiceAccount(name, { metadata, automountServiceAccountToken: false }, childOpts);

    const { canary } = args;
    this.deployment = new k8s.apps.v1.Deployment(
      name,
      {
        metadata: { ...metadata, labels: running },
        spec: {
          // With an HPA the replica count is the HPA's to set; a value here would fight it on every `pulumi up`.
          // With a canary the Deployment is only the pod template the Rollout runs: Argo Rollouts scales it to zero
          // once the Rollout's pods are healthy (workloadRef scaleDown onsuccess), and a value here would undo that.
          replicas: autoscaling || canary ? undefined : workload.replicas,
          selector: { matchLabels: selector },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
          template: {
            metadata: { labels: running, annotations: args.podAnnotations },
            spec: {
              serviceAccountName: this.serviceAccount.metadata.name,
              automountServiceAccountToken: false,
              // preStop sleep, the server's drain and grace, and the exit (./shutdown.ts).
              terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
              securityContext: restrictedPodSecurityContext(),
              // A Rollout's ReplicaSets label their pods rollouts-pod-template-hash instead of pod-template-hash.
              ...(args.production && { topologySpreadConstraints: topologySpread(selector, canary ? rolloutHashSpreadKey : "pod-template-hash") }),
              containers: [
                {
                  name: identity.component,
                  image: args.image,
                  imagePullPolicy: IMAGE_PULL_POLICY,
                  ports: [{ name: "http", containerPort: args.port, protocol: "TCP" }],
                  env: args.env,
                  envFrom: args.envFrom,
                  resources: withEphemeralStorage(workload.resources, APP_LOCAL_STORAGE),
                  securityContext: restrictedContainerSecurityContext(),
                  ...httpProbes(args.health, "http", args.probeTiming),
                  lifecycle: { preStop: preStopHook(args.nativeSleep) },
                  volumeMounts: [
                    ...writablePaths.map((mountPath, i) => ({ name: `writable-${i}`, mountPath })),
                    ...configDirectories.map(({ name, mountPath }) => ({ name, mountPath, readOnly: true })),
                  ],
                },
              ],
              volumes: [
                ...writablePaths.map((_, i) => ({ name: `writable-${i}`, emptyDir: { sizeLimit: WRITABLE_DIR_SIZE } })),
                ...configDirectories.map(({ name, configMap }) => ({ name, configMap: { name: configMap } })),
              ],
            },
          },
        },
      },
      { ...childOpts, dependsOn: args.podsAfter ?? [] },
    );

    this.service = new k8s.core.v1.Service(
      name,
      {
        metadata: { ...metadata, annotations: args.serviceAnnotations },
        spec: {
          type: args.serviceType ?? "ClusterIP",
          loadBalancerSourceRanges: args.serviceType === "LoadBalancer" ? args.loadBalancerSourceRanges : undefined,
          selector,
          ports: [{ name: "http", port: args.port, targetPort: "http", protocol: "TCP" }],
        },
      },
      childOpts,
    );

    if (canary) {
      // The Rollout makes the pods now: after the chart (its CRDs) and after what must answer before pods are made.
      const crOpts = { ...childOpts, dependsOn: [...canary.dependsOn, ...(args.podsAfter ?? [])] };
      if (canary.analysis) {
        this.analysisTemplate = analysisTemplate(`${name}-canary`, { ...metadata, name: `${identity.component}-canary` }, canary.analysis, crOpts);
      }
      if (canary.alb) {
        // Same selector and port as the main Service; Argo Rollouts adds the hash of the canary's or the stable pods.
        const routed = (role: "canary" | "stable") =>
          new k8s.core.v1.Service(
            `${name}-${role}`,
            { metadata: { ...metadata, name: `${identity.component}-${role}` }, spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: args.port, targetPort: "http", protocol: "TCP" }] } },
            childOpts,
          );
        this.canaryServices = { canary: routed("canary"), stable: routed("stable") };
      }
      this.rollout = workloadRollout(
        name,
        {
          // Without the version label: a new image changes the Deployment's template, not the Rollout.
          metadata,
          replicas: autoscaling ? undefined : workload.replicas,
          selector,
          deployment: this.deployment,
          canary: canaryStrategy(canary, {
            port: args.port,
            analysisTemplate: this.analysisTemplate?.metadata.name,
            services: this.canaryServices && { canary: this.canaryServices.canary.metadata.name, stable: this.canaryServices.stable.metadata.name, root: this.service.metadata.name },
          }),
          progressDeadlineSeconds: 600,
        },
        crOpts,
      );
    }

    if (autoscaling) {
      this.autoscaler = new k8s.autoscaling.v2.HorizontalPodAutoscaler(
        name,
        {
          metadata,
          spec: {
            // A Rollout has the scale subresource a Deployment has (Argo Rollouts docs/features/hpa-support.md).
            scaleTargetRef: this.rollout ? scaleTarget(this.rollout.metadata.name, true) : scaleTarget(this.deployment.metadata.name, false),
            minReplicas: autoscaling.minReplicas,
            maxReplicas: autoscaling.maxReplicas,
            metrics: [
              {
                type: "Resource",
                resource: { name: "cpu", target: { type: "Utilization", averageUtilization: autoscaling.targetCpuPercent } },
              },
            ],
          },
        },
        childOpts,
      );
    }

    // A budget protects only what always runs: with one pod (even one that can scale to more) there is nothing to keep
    // serving during a drain, and a budget would either block the drain or allow everything.
    const minReplicas = autoscaling ? autoscaling.minReplicas : workload.replicas;
    if (minReplicas > 1) {
      this.disruptionBudget = new k8s.policy.v1.PodDisruptionBudget(
        name,
        { metadata, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } },
        childOpts,
      );
    }

    if (args.networkPolicies) {
      this.networkPolicy = workloadNetworkPolicy(
        name,
        identity.component,
        { namespace: args.namespace, labels, podLabels: selector, rules: args.networkRules },
        childOpts,
      );
    }

    this.url = pulumi.interpolate`http://${this.service.metadata.name}.${args.namespace}.svc.cluster.local:${args.port}`;
    this.registerOutputs({ url: this.url });
  }
}
