import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** The Karpenter APIs of chart 1.14 (karpenter.sh_nodepools.yaml, karpenter.k8s.aws_ec2nodeclasses.yaml: served v1). */
export const NODE_POOL_API = "karpenter.sh/v1";
export const NODE_CLASS_API = "karpenter.k8s.aws/v1";

export const CAPACITY_TYPE = { "on-demand": "on-demand", spot: "spot" } as const;

/** `al2023@<version>`: Karpenter resolves it per instance type, and picks the NVIDIA variant for GPU instances. */
export function amiAlias(version: string): string {
  // verified: aws/karpenter-provider-aws pkg/providers/amifamily/al2023.go (DescribeImageQuery: the standard,
  // nvidia and neuron variants of the alias; types.go gives the nvidia variant the instance-gpu-manufacturer
  // requirement) and website/content/en/v1.14/concepts/nodeclasses.md ("alias is formatted as family@version").
  return `al2023@${version}`;
}

/** What a pool's EC2NodeClass is made of: the same for every pool of the stack but its name, subnets and disk. */
export interface NodeClassArgs {
  /** The NodeClass's name, which its NodePool refers to. */
  name: string;
  /** AL2023 AMI release for the `al2023@<version>` alias (`latest`, or `v20260801`). */
  amiVersion: string;
  /** Name of the IAM role of the nodes (Karpenter makes their instance profile from it). */
  nodeRoleName: pulumi.Input<string>;
  /** Subnets the nodes launch in. */
  subnetIds: pulumi.Input<string>[];
  /** The cluster security group EKS made: nodes need it to reach the control plane and each other. */
  securityGroupId: pulumi.Input<string>;
  /** Size of each node's root volume. */
  diskSizeGiB: number;
  /** Tags on the instances and volumes Karpenter launches. */
  tags: Record<string, string>;
}

/** An EC2NodeClass: which AMI, subnets, security group and root disk a pool's nodes get, with IMDS locked down. */
export function ec2NodeClass(resourceName: string, args: NodeClassArgs, opts: pulumi.CustomResourceOptions): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(resourceName, {
    apiVersion: NODE_CLASS_API,
    kind: "EC2NodeClass",
    metadata: { name: args.name },
    spec: {
      role: args.nodeRoleName,
      amiSelectorTerms: [{ alias: amiAlias(args.amiVersion) }],
      subnetSelectorTerms: args.subnetIds.map((id) => ({ id })),
      securityGroupSelectorTerms: [{ id: args.securityGroupId }],
      blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: `${args.diskSizeGiB}Gi`, volumeType: "gp3", encrypted: true, deleteOnTermination: true } }],
      // IMDSv2 only, and one hop: pods cannot borrow the node role's credentials.
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
      tags: args.tags,
    },
  }, opts);
}

/** A NodePool's requirements: the listed instance types and capacity types, on amd64 Linux, plus any more. */
export function nodeRequirements(pool: { instanceTypes: string[]; capacityTypes: (keyof typeof CAPACITY_TYPE)[] }, more: object[] = []): object[] {
  return [
    { key: "node.kubernetes.io/instance-type", operator: "In", values: pool.instanceTypes },
    // With both, Karpenter prefers spot and falls back to on-demand (concepts/nodepools.md, v1.14).
    { key: "karpenter.sh/capacity-type", operator: "In", values: pool.capacityTypes.map((type) => CAPACITY_TYPE[type]) },
    ...more,
    { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
    { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
  ];
}
