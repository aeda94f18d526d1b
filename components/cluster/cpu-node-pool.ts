import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KarpenterConfig } from "../../config/cluster";
import { ec2NodeClass, NODE_POOL_API, nodeRequirements } from "./karpenter-node-class";

export const CPU_POOL_NAME = "cpu";
/** The label every CPU pool node carries, beside the system pool's `ai-assistant.io/pool: system`. */
export const CPU_POOL_LABEL = { key: "ai-assistant.io/pool", value: "cpu" } as const;

export interface CpuNodePoolArgs {
  /** Provider of the cluster Karpenter runs in. */
  provider: k8s.Provider;
  /** Instance types, capacity types, disk, limits and consolidation delay from `cluster.karpenter.cpuPool`. */
  pool: KarpenterConfig["cpuPool"];
  /** AL2023 AMI release for the `al2023@<version>` alias (`latest`, or `v20260801`). */
  amiVersion: string;
  /** Name of the IAM role of the nodes (Karpenter makes their instance profile from it). */
  nodeRoleName: pulumi.Input<string>;
  /** Every private subnet: the app's pods spread over zones, and so may the nodes made for them. */
  subnetIds: pulumi.Input<string>[];
  /** The cluster security group EKS made: nodes need it to reach the control plane and each other. */
  securityGroupId: pulumi.Input<string>;
  /** Tags on the instances and volumes Karpenter launches (the stack's, as its other resources carry). */
  tags: Record<string, string>;
  /** Karpenter's chart (the CRDs) and the nodes' access entry: created first. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * CPU nodes on demand, for what the fixed system pool cannot hold at a load peak (the backend's and frontend's HPA
 * maxima): no taint, so any pending pod without a GPU may land there; Karpenter removes or repacks a node once
 * its pods fit elsewhere. Its limits are the cost ceiling the estimate prices as the maximum.
 */
export class CpuNodePool extends pulumi.ComponentResource {
  public readonly nodeClass: k8s.apiextensions.CustomResource;
  public readonly nodePool: k8s.apiextensions.CustomResource;

  constructor(name: string, args: CpuNodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:cluster:CpuNodePool", name, {}, opts);
    const { pool } = args;
    const childOpts = { parent: this, provider: args.provider, dependsOn: args.dependsOn };

    this.nodeClass = ec2NodeClass(`${name}-class`, { ...args, name: CPU_POOL_NAME, diskSizeGiB: pool.diskSizeGiB }, childOpts);

    this.nodePool = new k8s.apiextensions.CustomResource(`${name}-pool`, {
      apiVersion: NODE_POOL_API,
      kind: "NodePool",
      metadata: { name: CPU_POOL_NAME },
      spec: {
        template: {
          metadata: { labels: { [CPU_POOL_LABEL.key]: CPU_POOL_LABEL.value } },
          spec: {
            nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: CPU_POOL_NAME },
            requirements: nodeRequirements(pool),
            expireAfter: "720h",
          },
        },
        limits: { cpu: String(pool.limits.cpu), memory: `${pool.limits.memoryGiB}Gi` },
        // Stateless app pods may move: an underused node is emptied onto the others and removed
        // (karpenter.sh/v1 NodePool disruption.consolidationPolicy: WhenEmptyOrUnderutilized).
        disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: pool.consolidateAfter },
      },
    }, { ...childOpts, dependsOn: [...args.dependsOn, this.nodeClass] });

    this.registerOutputs({});
  }
}
