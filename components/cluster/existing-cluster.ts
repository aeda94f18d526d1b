import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { kubeconfigClusterSchema } from "../../config/cluster";
import { MetricsServer } from "./metrics-server";

export interface ExistingClusterArgs {
  /** Which kubeconfig file and context name the cluster, and whether it needs metrics-server installed. */
  cluster: z.output<typeof kubeconfigClusterSchema>;
}

/**
 * An existing cluster (a laptop cluster or a shared dev cluster), as an explicit Kubernetes provider that every
 * Kubernetes resource uses. The context is named in config, so a shell's current context never decides where
 * a stack deploys.
 */
export class ExistingCluster extends pulumi.ComponentResource {
  public readonly provider: k8s.Provider;

  constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:cluster:ExistingCluster", name, {}, opts);
    this.provider = new k8s.Provider(
      name,
      {
        context: args.cluster.context,
        kubeconfig: args.cluster.kubeconfigPath,
        // Server-side apply: the API server tracks field ownership, so an HPA and `kubectl scale` coexist.
        enableServerSideApply: true,
      },
      { parent: this },
    );
    if (args.cluster.metricsServer.install) {
      new MetricsServer(`${name}-metrics-server`, { kind: "chart", provider: this.provider, kubeletInsecureTls: args.cluster.metricsServer.kubeletInsecureTls }, { parent: this });
    }
    this.registerOutputs({});
  }
}
