import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EksClusterConfig } from "../../config/cluster";
import { GPU_TAINT, SYSTEM_NODE_LABEL } from "../../lib/gpu";
import { NODE_ROLE_POLICIES, serviceTrustPolicy } from "./iam";
import { IamRole } from "./iam-role";

type NodeGroupConfig = EksClusterConfig["systemNodes"];

export interface NodePoolsArgs {
  /** AWS provider of the stack's account and region. */
  provider: aws.Provider;
  /** Name of the EKS cluster the nodes join. */
  clusterName: pulumi.Input<string>;
  /** Private subnets the nodes run in. */
  subnetIds: pulumi.Input<string>[];
  /** Size and instance types of the CPU pool. */
  systemNodes: NodeGroupConfig;
  /** Size and instance types of the fixed GPU pool; none when `enabled` is false (Karpenter brings GPU nodes). */
  gpuNodes: EksClusterConfig["gpuNodes"];
  /** Labels every GPU node carries; the model server's node selector. */
  gpuNodeLabels: Record<string, string>;
}

// The EKS API spells taint effects in upper snake case.
const EKS_TAINT_EFFECT = { NoSchedule: "NO_SCHEDULE", NoExecute: "NO_EXECUTE", PreferNoSchedule: "PREFER_NO_SCHEDULE" } as const;
const EKS_CAPACITY_TYPE = { "on-demand": "ON_DEMAND", spot: "SPOT" } as const;

/**
 * Managed node groups: a CPU pool for the assistant and the cluster's add-ons (and Karpenter), and optionally a
 * fixed GPU pool, tainted so that only pods that tolerate `nvidia.com/gpu` (the model server, NVIDIA's device plugin)
 * land on the costly nodes. Without it, GPU nodes come from Karpenter's NodePool (gpu-node-pool.ts).
 */
export class NodePools extends pulumi.ComponentResource {
  public readonly role: IamRole;
  public readonly system: aws.eks.NodeGroup;
  /** The fixed GPU node group, when configured. */
  public readonly gpu?: aws.eks.NodeGroup;

  constructor(name: string, args: NodePoolsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:aws:NodePools", name, {}, opts);
    if (Object.keys(args.gpuNodeLabels).length === 0) {
      throw new pulumi.ResourceError("expected at least one GPU node label, or the model server could not select GPU nodes", this);
    }
    const childOpts = { parent: this, provider: args.provider };

    this.role = new IamRole(`${name}-node`, {
      provider: args.provider,
      trustPolicy: serviceTrustPolicy("ec2.amazonaws.com"),
      managedPolicyArns: NODE_ROLE_POLICIES,
      description: "EKS nodes of the ai-assistant cluster",
    }, { parent: this });

    const group = (groupName: string, config: NodeGroupConfig, extra: Pick<aws.eks.NodeGroupArgs, "amiType" | "labels" | "taints"> & { subnetIds?: pulumi.Input<string>[] }) =>
      new aws.eks.NodeGroup(`${name}-${groupName}`, {
        clusterName: args.clusterName,
        nodeRoleArn: this.role.arn,
        instanceTypes: config.instanceTypes,
        capacityType: EKS_CAPACITY_TYPE[config.capacityType],
        diskSize: config.diskSizeGiB,
        scalingConfig: { minSize: config.minSize, maxSize: config.maxSize, desiredSize: config.desiredSize },
        // One node at a time, so that a GPU model server keeps serving from the other node(s) during an upgrade.
        updateConfig: { maxUnavailable: 1 },
        ...extra,
        subnetIds: extra.subnetIds ?? args.subnetIds,
      }, { ...childOpts, dependsOn: [this.role] });

    this.system = group("system", args.systemNodes, {
      amiType: "AL2023_x86_64_STANDARD",
      labels: { [SYSTEM_NODE_LABEL.key]: SYSTEM_NODE_LABEL.value },
    });
    if (!args.gpuNodes.enabled) {
      this.registerOutputs({});
      return;
    }
    this.gpu = group("gpu", args.gpuNodes, {
      // Amazon Linux 2023 with the NVIDIA driver and container toolkit installed.
      amiType: "AL2023_x86_64_NVIDIA",
      // nvidia.com/gpu.present is the label NVIDIA's device plugin chart schedules on by default.
      labels: { ...args.gpuNodeLabels, "nvidia.com/gpu.present": "true" },
      taints: [{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: EKS_TAINT_EFFECT[GPU_TAINT.effect] }],
      // One zone: the model cache is an EBS volume, which lives in one zone. A replacement GPU node in another zone
      // would leave the server Pending ("volume node affinity conflict"), so every GPU node joins the zone of the
      // first private subnet, where the cache is created (gp3 binds where the first pod lands).
      subnetIds: [args.subnetIds[0]],
    });
    this.registerOutputs({});
  }
}
