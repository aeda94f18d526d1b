import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KarpenterConfig } from "../../config/cluster";
import { amiAlias, CAPACITY_TYPE, NODE_CLASS_API, NODE_POOL_API } from "./gpu-node-pool";

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

    this.nodeClass = new k8s.apiextensions.CustomResource(`${name}-class`, {
      apiVersion: NODE_CLASS_API,
      kind: "EC2NodeClass",
      metadata: { name: CPU_POOL_NAME },
      spec: {
        role: args.nodeRoleName,
        amiSelectorTerms: [{ alias: amiAlias(args.amiVersion) }],
        subnetSelectorTerms: args.subnetIds.map((id) => ({ id })),
        securityGroupSelectorTerms: [{ id: args.securityGroupId }],
        blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: `${pool.diskSizeGiB}Gi`, volumeType: "gp3", encrypted: true, deleteOnTermination: true } }],
        // IMDSv2 only, and one hop: pods cannot borrow the node role's credentials.
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
        tags: args.tags,
      },
    }, childOpts);

    this.nodePool = new k8s.apiextensions.CustomResource(`${name}-pool`, {
      apiVersion: NODE_POOL_API,
      kind: "NodePool",
      metadata: { name: CPU_POOL_NAME },
      spec: {
        template: {
          metadata: { labels: { [CPU_POOL_LABEL.key]: CPU_POOL_LABEL.value } },
          spec: {
            nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: CPU_POOL_NAME },
            requirements: [
              { key: "node.kubernetes.io/instance-type", operator: "In", values: pool.instanceTypes },
              // With both, Karpenter prefers spot and falls back to on-demand (concepts/nodepools.md, v1.14).
              { key: "karpenter.sh/capacity-type", operator: "In", values: pool.capacityTypes.map((type) => CAPACITY_TYPE[type]) },
              { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
              { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
            ],
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
