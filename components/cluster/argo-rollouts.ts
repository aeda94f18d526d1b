import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ARGO_ROLLOUTS_REPLICAS, ARGO_ROLLOUTS_RESOURCES } from "../../config/system-pool";
import { stackLabels } from "../../lib/labels";
import { podSecurityLabels } from "../../lib/pod-security";

/** argoproj/argo-helm, published at https://argoproj.github.io/argo-helm (chart `argo-rollouts`). */
export const ARGO_ROLLOUTS_CHART = { chart: "argo-rollouts", repo: "https://argoproj.github.io/argo-helm" } as const;
export const ARGO_ROLLOUTS_NAMESPACE = "argo-rollouts";

export interface ArgoRolloutsArgs {
  /** Provider of the cluster. */
  provider: k8s.Provider;
  /** Exact chart version (config/delivery.ts ARGO_ROLLOUTS_CHART_VERSION). */
  chartVersion: string;
  /** Node labels the controller runs on (EKS: the system pool); any node when absent. */
  nodeSelector?: Record<string, string>;
  /** Stack name, for the namespace's labels. */
  stack: string;
}

/**
 * Argo Rollouts' controller and CRDs (Rollout, AnalysisTemplate, AnalysisRun, …), which turn the app's Rollouts into
 * canary steps and run their analysis against Prometheus (docs/delivery.md). The CRDs come with the chart
 * (`installCRDs`, on by default) and stay when it is uninstalled (`keepCRDs`); Rollouts and AnalysisTemplates
 * depend on `chart`.
 */
export class ArgoRollouts extends pulumi.ComponentResource {
  public readonly chart: k8s.helm.v4.Chart;

  constructor(name: string, args: ArgoRolloutsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:cluster:ArgoRollouts", name, {}, opts);
    const childOpts = { parent: this, provider: args.provider };
    // The chart's pod runs as non-root, and its container drops every capability with a read-only root, no privilege
    // escalation and RuntimeDefault seccomp (values.yaml podSecurityContext/containerSecurityContext, 2.41.0, which
    // templates/controller/deployment.yaml puts on the pod and its container): the restricted level holds, so the
    // namespace enforces it.
    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      { metadata: { name: ARGO_ROLLOUTS_NAMESPACE, labels: { ...stackLabels(args.stack), ...podSecurityLabels("restricted", ["enforce"]) } } },
      childOpts,
    );
    this.chart = new k8s.helm.v4.Chart(
      `${name}-chart`,
      {
        chart: ARGO_ROLLOUTS_CHART.chart,
        version: args.chartVersion,
        repositoryOpts: { repo: ARGO_ROLLOUTS_CHART.repo },
        name: "argo-rollouts",
        namespace: namespace.metadata.name,
        values: {
          controller: {
            replicas: ARGO_ROLLOUTS_REPLICAS,
            // The chart sets none; ours keep the controller schedulable and bounded (config/system-pool.ts counts them).
            resources: ARGO_ROLLOUTS_RESOURCES,
            ...(args.nodeSelector && { nodeSelector: args.nodeSelector }),
          },
          // The dashboard stays off (the chart's default): `kubectl argo rollouts` reads the same objects.
          dashboard: { enabled: false },
        },
      },
      { ...childOpts, dependsOn: [namespace] },
    );
    this.registerOutputs({});
  }
}
