import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KarpenterConfig } from "../../config/cluster";
import { GPU_TAINT } from "../../lib/gpu";
import { ec2NodeClass, NODE_POOL_API, nodeRequirements } from "./karpenter-node-class";

export const GPU_POOL_NAME = "gpu";

export interface GpuNodePoolArgs {
  /** Provider of the cluster Karpenter runs in. */
  provider: k8s.Provider;
  /** Instance types, capacity types, disk, limits and consolidation delay from `cluster.karpenter.gpuPool`. */
  pool: KarpenterConfig["gpuPool"];
  /** AL2023 AMI release for the `al2023@<version>` alias (`latest`, or `v20260801`). */
  amiVersion: string;
  /** Name of the IAM role of the nodes (Karpenter makes their instance profile from it). */
  nodeRoleName: pulumi.Input<string>;
  /**
   * The subnets GPU nodes launch in: the first private subnet (where a gp3 cache's EBS volume lives), or the first
   * `gpuPool.zones` of them with an EFS cache.
   */
  subnetIds: pulumi.Input<string>[];
  /** Their availability zones; the NodePool requires them, so a pod bound to the cache is never offered another zone. */
  zones: pulumi.Input<string>[];
  /** The cluster security group EKS made: nodes need it to reach the control plane and each other. */
  securityGroupId: pulumi.Input<string>;
  /** Labels every GPU node carries: the model server's node selector. */
  gpuNodeLabels: Record<string, string>;
  /** Tags on the instances and volumes Karpenter launches (the stack's, as its other resources carry). */
  tags: Record<string, string>;
  /** Karpenter's chart (the CRDs) and the nodes' access entry: created first. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * GPU nodes on demand: an EC2NodeClass (AMI, subnet, security group, disk) and a NodePool (which instances, where,
 * with which label and taint, how many at most, and when an empty node goes). Karpenter launches a node when a
 * model-server pod is Pending and removes it `consolidateAfter` after the last one left.
 */
export class GpuNodePool extends pulumi.ComponentResource {
  public readonly nodeClass: k8s.apiextensions.CustomResource;
  public readonly nodePool: k8s.apiextensions.CustomResource;

  constructor(name: string, args: GpuNodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:cluster:GpuNodePool", name, {}, opts);
    const { pool } = args;
    const childOpts = { parent: this, provider: args.provider, dependsOn: args.dependsOn };

    // The root volume holds the ~10 GB vLLM image; the weights are on the cache volume.
    this.nodeClass = ec2NodeClass(`${name}-class`, { ...args, name: GPU_POOL_NAME, diskSizeGiB: pool.diskSizeGiB }, childOpts);

    this.nodePool = new k8s.apiextensions.CustomResource(`${name}-pool`, {
      apiVersion: NODE_POOL_API,
      kind: "NodePool",
      metadata: { name: GPU_POOL_NAME },
      spec: {
        template: {
          // nvidia.com/gpu.present is what NVIDIA's device plugin chart schedules on by default.
          metadata: { labels: { ...args.gpuNodeLabels, "nvidia.com/gpu.present": "true" } },
          spec: {
            nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: GPU_POOL_NAME },
            requirements: nodeRequirements(pool, [{ key: "topology.kubernetes.io/zone", operator: "In", values: args.zones }]),
            taints: [{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: GPU_TAINT.effect }],
            // Nodes are replaced after 30 days (new AMI, patched kernel); the model server's PDB paces it.
            expireAfter: "720h",
          },
        },
        // The cost ceiling: Karpenter launches nothing that would take the pool past these totals.
        limits: { "nvidia.com/gpu": String(pool.limits.gpus), cpu: String(pool.limits.cpu), memory: `${pool.limits.memoryGiB}Gi` },
        // Only empty nodes are consolidated: a loaded model is never moved to save a few cents.
        disruption: { consolidationPolicy: "WhenEmpty", consolidateAfter: pool.consolidateAfter },
      },
    }, { ...childOpts, dependsOn: [...args.dependsOn, this.nodeClass] });

    this.registerOutputs({});
  }
}
