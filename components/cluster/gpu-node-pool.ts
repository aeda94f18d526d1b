import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KarpenterConfig } from "../../config/cluster";
import { GPU_TAINT } from "../../lib/gpu";

/** The Karpenter APIs of chart 1.14 (karpenter.sh_nodepools.yaml, karpenter.k8s.aws_ec2nodeclasses.yaml: served v1). */
export const NODE_POOL_API = "karpenter.sh/v1";
export const NODE_CLASS_API = "karpenter.k8s.aws/v1";
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

/** `al2023@<version>`: Karpenter resolves it per instance type, and picks the NVIDIA variant for GPU instances. */
export function amiAlias(version: string): string {
  // verified: aws/karpenter-provider-aws pkg/providers/amifamily/al2023.go (DescribeImageQuery: the standard,
  // nvidia and neuron variants of the alias; types.go gives the nvidia variant the instance-gpu-manufacturer
  // requirement) and website/content/en/v1.14/concepts/nodeclasses.md ("alias is formatted as family@version").
  return `al2023@${version}`;
}

export const CAPACITY_TYPE = { "on-demand": "on-demand", spot: "spot" } as const;

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

    this.nodeClass = new k8s.apiextensions.CustomResource(`${name}-class`, {
      apiVersion: NODE_CLASS_API,
      kind: "EC2NodeClass",
      metadata: { name: GPU_POOL_NAME },
      spec: {
        role: args.nodeRoleName,
        amiSelectorTerms: [{ alias: amiAlias(args.amiVersion) }],
        subnetSelectorTerms: args.subnetIds.map((id) => ({ id })),
        securityGroupSelectorTerms: [{ id: args.securityGroupId }],
        // The root volume holds the ~10 GB vLLM image; the weights are on the cache volume.
        blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: `${pool.diskSizeGiB}Gi`, volumeType: "gp3", encrypted: true, deleteOnTermination: true } }],
        // IMDSv2 only, and one hop: pods cannot borrow the node role's credentials.
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
        tags: args.tags,
      },
    }, childOpts);

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
            requirements: [
              { key: "node.kubernetes.io/instance-type", operator: "In", values: pool.instanceTypes },
              // With both, Karpenter prefers spot and falls back to on-demand (concepts/nodepools.md, v1.14).
              { key: "karpenter.sh/capacity-type", operator: "In", values: pool.capacityTypes.map((type) => CAPACITY_TYPE[type]) },
              { key: "topology.kubernetes.io/zone", operator: "In", values: args.zones },
              { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
              { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
            ],
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
