/**
 * The IAM permissions of Karpenter's controller, as Karpenter v1.14 documents them: the managed policies its
 * getting-started CloudFormation template creates (NodeLifecycle, IAMIntegration, EKSIntegration, Interruption,
 * ResourceDiscovery), as one inline policy of the controller's own role. Zonal shift is left out because the chart
 * runs with `enableZonalShift: false`.
 *
 * verified: aws/karpenter-provider-aws website/content/en/v1.14/getting-started/getting-started-with-karpenter/
 * cloudformation.yaml (identical to docs/ at 2026-08-21, release v1.14.1).
 */

export interface KarpenterPolicyScope {
  partition: string;
  region: string;
  accountId: string;
  clusterName: string;
  /** The node role Karpenter passes to the instances it launches (and only that one). */
  nodeRoleArn: string;
  /** The interruption queue it reads. */
  queueArn: string;
}

type Statement = { Sid: string; Effect: "Allow"; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string | string[]>> };

/** The controller's policy document (JSON). Everything it creates, tags or deletes must carry this cluster's tags. */
export function karpenterControllerPolicy(scope: KarpenterPolicyScope): string {
  const { partition, region, accountId, clusterName } = scope;
  const ec2 = (resource: string, account = "*") => `arn:${partition}:ec2:${region}:${account}:${resource}`;
  const ownedTag = `kubernetes.io/cluster/${clusterName}`;
  const launched = ["fleet/*", "instance/*", "volume/*", "network-interface/*", "launch-template/*", "spot-instances-request/*"].map((r) => ec2(r));
  const instanceProfiles = `arn:${partition}:iam::${accountId}:instance-profile/*`;
  const clusterArn = `arn:${partition}:eks:${region}:${accountId}:cluster/${clusterName}`;

  const statements: Statement[] = [
    // NodeLifecycle: launch from images, snapshots, subnets and security groups of the region...
    {
      Sid: "AllowScopedEC2InstanceAccessActions",
      Effect: "Allow",
      Resource: [ec2("image/*", ""), ec2("snapshot/*", ""), ec2("security-group/*"), ec2("subnet/*"), ec2("capacity-reservation/*"), ec2("placement-group/*")],
      Action: ["ec2:RunInstances", "ec2:CreateFleet"],
    },
    // ...with launch templates it made for this cluster...
    {
      Sid: "AllowScopedEC2LaunchTemplateAccessActions",
      Effect: "Allow",
      Resource: ec2("launch-template/*"),
      Action: ["ec2:RunInstances", "ec2:CreateFleet"],
      Condition: { StringEquals: { [`aws:ResourceTag/${ownedTag}`]: "owned" }, StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" } },
    },
    // ...creating only resources tagged as this cluster's and a NodePool's...
    {
      Sid: "AllowScopedEC2InstanceActionsWithTags",
      Effect: "Allow",
      Resource: launched,
      Action: ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
      Condition: {
        StringEquals: { [`aws:RequestTag/${ownedTag}`]: "owned", "aws:RequestTag/eks:eks-cluster-name": clusterName },
        StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" },
      },
    },
    {
      Sid: "AllowScopedResourceCreationTagging",
      Effect: "Allow",
      Resource: launched,
      Action: "ec2:CreateTags",
      Condition: {
        StringEquals: {
          [`aws:RequestTag/${ownedTag}`]: "owned",
          "aws:RequestTag/eks:eks-cluster-name": clusterName,
          "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
        },
        StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" },
      },
    },
    // ...adding only its own bookkeeping tags to its instances later...
    {
      Sid: "AllowScopedResourceTagging",
      Effect: "Allow",
      Resource: ec2("instance/*"),
      Action: "ec2:CreateTags",
      Condition: {
        StringEquals: { [`aws:ResourceTag/${ownedTag}`]: "owned" },
        StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" },
        StringEqualsIfExists: { "aws:RequestTag/eks:eks-cluster-name": clusterName },
        "ForAllValues:StringEquals": { "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"] },
      },
    },
    // ...and terminating only what it launched.
    {
      Sid: "AllowScopedDeletion",
      Effect: "Allow",
      Resource: [ec2("instance/*"), ec2("launch-template/*")],
      Action: ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
      Condition: { StringEquals: { [`aws:ResourceTag/${ownedTag}`]: "owned" }, StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" } },
    },
    // IAMIntegration: pass the one node role to EC2, and manage instance profiles of its EC2NodeClasses.
    {
      Sid: "AllowPassingInstanceRole",
      Effect: "Allow",
      Resource: scope.nodeRoleArn,
      Action: "iam:PassRole",
      Condition: { StringEquals: { "iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"] } },
    },
    {
      Sid: "AllowScopedInstanceProfileCreationActions",
      Effect: "Allow",
      Resource: instanceProfiles,
      Action: ["iam:CreateInstanceProfile"],
      Condition: {
        StringEquals: { [`aws:RequestTag/${ownedTag}`]: "owned", "aws:RequestTag/eks:eks-cluster-name": clusterName, "aws:RequestTag/topology.kubernetes.io/region": region },
        StringLike: { "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*" },
      },
    },
    {
      Sid: "AllowScopedInstanceProfileTagActions",
      Effect: "Allow",
      Resource: instanceProfiles,
      Action: ["iam:TagInstanceProfile"],
      Condition: {
        StringEquals: {
          [`aws:ResourceTag/${ownedTag}`]: "owned",
          "aws:ResourceTag/topology.kubernetes.io/region": region,
          [`aws:RequestTag/${ownedTag}`]: "owned",
          "aws:RequestTag/eks:eks-cluster-name": clusterName,
          "aws:RequestTag/topology.kubernetes.io/region": region,
        },
        StringLike: { "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*", "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*" },
      },
    },
    {
      Sid: "AllowScopedInstanceProfileActions",
      Effect: "Allow",
      Resource: instanceProfiles,
      Action: ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"],
      Condition: {
        StringEquals: { [`aws:ResourceTag/${ownedTag}`]: "owned", "aws:ResourceTag/topology.kubernetes.io/region": region },
        StringLike: { "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*" },
      },
    },
    // EKSIntegration: find the API server endpoint and CA of this cluster.
    { Sid: "AllowAPIServerEndpointDiscovery", Effect: "Allow", Resource: clusterArn, Action: "eks:DescribeCluster" },
    // Interruption: read and delete the messages of its own queue.
    { Sid: "AllowInterruptionQueueActions", Effect: "Allow", Resource: scope.queueArn, Action: ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"] },
    // ResourceDiscovery: read-only look-ups (EC2 describes are not resource-scoped in IAM), in this region only.
    {
      Sid: "AllowRegionalReadActions",
      Effect: "Allow",
      Resource: "*",
      Action: [
        "ec2:DescribeCapacityReservations",
        "ec2:DescribeImages",
        "ec2:DescribeInstances",
        "ec2:DescribeInstanceStatus",
        "ec2:DescribeInstanceTypeOfferings",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeLaunchTemplates",
        "ec2:DescribePlacementGroups",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSpotPriceHistory",
        "ec2:DescribeSubnets",
      ],
      Condition: { StringEquals: { "aws:RequestedRegion": region } },
    },
    { Sid: "AllowSSMReadActions", Effect: "Allow", Resource: `arn:${partition}:ssm:${region}::parameter/aws/service/*`, Action: "ssm:GetParameter" },
    { Sid: "AllowPricingReadActions", Effect: "Allow", Resource: "*", Action: "pricing:GetProducts" },
    { Sid: "AllowUnscopedInstanceProfileListAction", Effect: "Allow", Resource: "*", Action: "iam:ListInstanceProfiles" },
    { Sid: "AllowInstanceProfileReadActions", Effect: "Allow", Resource: instanceProfiles, Action: "iam:GetInstanceProfile" },
  ];
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/**
 * What EventBridge forwards to the interruption queue, so Karpenter drains a node before EC2 takes it away: spot
 * interruption warnings (two minutes' notice), rebalance recommendations, scheduled maintenance (AWS Health) and
 * instance state changes, plus capacity-reservation interruptions (same CloudFormation template).
 */
export const INTERRUPTION_EVENTS = [
  { name: "scheduled-change", source: "aws.health", detailType: "AWS Health Event" },
  { name: "spot-interruption", source: "aws.ec2", detailType: "EC2 Spot Instance Interruption Warning" },
  { name: "rebalance", source: "aws.ec2", detailType: "EC2 Instance Rebalance Recommendation" },
  { name: "instance-state-change", source: "aws.ec2", detailType: "EC2 Instance State-change Notification" },
  { name: "capacity-reservation-interruption", source: "aws.ec2", detailType: "EC2 Capacity Reservation Instance Interruption Warning" },
] as const;
