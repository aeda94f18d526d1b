import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { METRICS_SERVER_RESOURCES } from "../../config/system-pool";

/** verified: kubernetes-sigs/metrics-server gh-pages index.yaml (generated 2026-06-11) lists chart 3.13.1 (app 0.8.1). */
export const METRICS_SERVER_CHART = { chart: "metrics-server", repo: "https://kubernetes-sigs.github.io/metrics-server/", version: "3.13.1" } as const;

/** The EKS community add-on's name (awsdocs/amazon-eks-user-guide, latest/ug/workloads/community-addons.adoc). */
export const METRICS_SERVER_ADDON = "metrics-server";

export type MetricsServerArgs =
  | {
      /** An EKS cluster: the `metrics-server` community add-on, which EKS keeps compatible with the cluster version. */
      kind: "eks-addon";
      /** AWS provider of the stack's account and region. */
      provider: aws.Provider;
      /** The EKS cluster to install it in. */
      clusterName: pulumi.Input<string>;
      /** Node groups its pod runs on; the add-on would report degraded until they exist. */
      dependsOn: pulumi.Input<pulumi.Resource>[];
    }
  | {
      /** An existing cluster that lacks one: the project's own chart, pinned. */
      kind: "chart";
      /** Provider of the cluster. */
      provider: k8s.Provider;
      /** Skip verifying kubelets' serving certificates (kind and minikube sign them with no CA metrics-server trusts). */
      kubeletInsecureTls: boolean;
    };

/**
 * metrics-server: the resource metrics API that HorizontalPodAutoscalers read. EKS and kind ship none, and without
 * it every HPA reports `<unknown>` and never scales.
 */
export class MetricsServer extends pulumi.ComponentResource {
  constructor(name: string, args: MetricsServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:cluster:MetricsServer", name, {}, opts);
    if (args.kind === "eks-addon") {
      new aws.eks.Addon(name, {
        clusterName: args.clusterName,
        addonName: METRICS_SERVER_ADDON,
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "OVERWRITE",
      }, { parent: this, provider: args.provider, dependsOn: args.dependsOn });
    } else {
      new k8s.helm.v4.Chart(name, {
        chart: METRICS_SERVER_CHART.chart,
        version: METRICS_SERVER_CHART.version,
        repositoryOpts: { repo: METRICS_SERVER_CHART.repo },
        namespace: "kube-system",
        values: {
          // Appended to the chart's defaultArgs (--cert-dir, --kubelet-preferred-address-types, ...).
          args: args.kubeletInsecureTls ? ["--kubelet-insecure-tls"] : [],
          resources: METRICS_SERVER_RESOURCES,
        },
      }, { parent: this, provider: args.provider });
    }
    this.registerOutputs({});
  }
}
