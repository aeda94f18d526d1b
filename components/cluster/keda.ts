import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KEDA_PODS, KEDA_RESOURCES } from "../../config/system-pool";
import { stackLabels } from "../../lib/labels";
import { podSecurityLabels } from "../../lib/pod-security";

/** kedacore/charts, published at https://kedacore.github.io/charts (chart `keda`). */
export const KEDA_CHART = { chart: "keda", repo: "https://kedacore.github.io/charts" } as const;
export const KEDA_NAMESPACE = "keda";

export interface KedaArgs {
  /** Provider of the cluster. */
  provider: k8s.Provider;
  /** Exact chart version. */
  chartVersion: string;
  /** Node labels KEDA's pods run on (EKS: the system pool); any node when absent. */
  nodeSelector?: Record<string, string>;
  /** Stack name, for the namespace's labels. */
  stack: string;
}

/**
 * KEDA, which turns a ScaledObject's triggers (here: Prometheus queries) into a HorizontalPodAutoscaler, and scales
 * a Deployment to and from zero itself (an HPA cannot go below one). Its CRDs come with the chart
 * (`crds.install`, on by default); ScaledObjects depend on `chart`.
 */
export class Keda extends pulumi.ComponentResource {
  public readonly chart: k8s.helm.v4.Chart;

  constructor(name: string, args: KedaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:cluster:Keda", name, {}, opts);
    const childOpts = { parent: this, provider: args.provider };
    // The chart's pods drop every capability, run as non-root with a read-only root and RuntimeDefault seccomp
    // (values.yaml securityContext/podSecurityContext, 2.20.2): the restricted level holds.
    const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, {
      metadata: {
        name: KEDA_NAMESPACE,
        labels: { ...stackLabels(args.stack), ...podSecurityLabels("restricted", ["enforce"]) },
      },
    }, childOpts);
    const resources = Object.fromEntries(KEDA_PODS.map((pod) => [pod, KEDA_RESOURCES]));
    this.chart = new k8s.helm.v4.Chart(`${name}-chart`, {
      chart: KEDA_CHART.chart,
      version: args.chartVersion,
      repositoryOpts: { repo: KEDA_CHART.repo },
      name: "keda",
      namespace: namespace.metadata.name,
      values: {
        resources,
        ...(args.nodeSelector && { nodeSelector: args.nodeSelector }),
      },
    }, { ...childOpts, dependsOn: [namespace] });
    this.registerOutputs({});
  }
}
