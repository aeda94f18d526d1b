import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KARPENTER_REPLICAS, KARPENTER_RESOURCES } from "../../config/system-pool";
import { SYSTEM_NODE_LABEL } from "../../lib/gpu";
import { NODE_ROLE_POLICIES, OidcIdentity, serviceAccountTrustPolicy, serviceTrustPolicy } from "./iam";
import { IamRole } from "./iam-role";
import { INTERRUPTION_EVENTS, karpenterControllerPolicy } from "./karpenter-policy";

/** Where the chart is published (aws/karpenter-provider-aws, v1.14 getting-started step08-apply-helm-chart.sh). */
export const KARPENTER_CHART = "oci://public.ecr.aws/karpenter/karpenter";
/** Karpenter runs in kube-system, as its getting-started guide installs it; its service account is the chart's. */
export const KARPENTER_NAMESPACE = "kube-system";
export const KARPENTER_SERVICE_ACCOUNT = "karpenter";

export interface KarpenterArgs {
  /** AWS provider of the stack's account and region. */
  provider: aws.Provider;
  /** Provider of the cluster the chart goes into. */
  kubernetesProvider: k8s.Provider;
  /** Name of the EKS cluster whose nodes Karpenter launches. */
  clusterName: pulumi.Input<string>;
  /** AWS region of the cluster. */
  region: string;
  /** The cluster's OIDC provider: the controller's role is assumed by its service account (IRSA). */
  oidc: OidcIdentity;
  /** Exact chart version. */
  chartVersion: string;
  /** Nodes of the managed system node group: Karpenter runs there, never on nodes it launched itself. */
  systemNodeCount: number;
}

/**
 * Karpenter, from its official chart, with what it needs around it: a controller role (IRSA) with the permissions
 * Karpenter documents, a node role for the instances it launches (with an EC2_LINUX access entry, so they can join),
 * and the SQS interruption queue EventBridge feeds, so spot reclaims and maintenance drain nodes ahead of time.
 * Its CRDs (NodePool, EC2NodeClass, NodeClaim) come with the chart; custom resources of those kinds depend on `chart`.
 */
export class Karpenter extends pulumi.ComponentResource {
  public readonly chart: k8s.helm.v4.Chart;
  /** Role of the nodes it launches; EC2NodeClasses name it. */
  public readonly nodeRole: IamRole;
  /** The access entry that lets those nodes join; NodePools must exist only after it. */
  public readonly nodeAccess: aws.eks.AccessEntry;
  public readonly interruptionQueue: aws.sqs.Queue;

  constructor(name: string, args: KarpenterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:cluster:Karpenter", name, {}, opts);
    const awsOpts = { parent: this, provider: args.provider };

    // Its own node role rather than the managed node groups': EKS made those groups' access entry already, and a
    // second entry for the same role would be refused.
    this.nodeRole = new IamRole(`${name}-node`, {
      provider: args.provider,
      trustPolicy: serviceTrustPolicy("ec2.amazonaws.com"),
      managedPolicyArns: NODE_ROLE_POLICIES,
      description: "Nodes Karpenter launches in the ai-assistant cluster",
    }, { parent: this });
    this.nodeAccess = new aws.eks.AccessEntry(`${name}-node`, { clusterName: args.clusterName, principalArn: this.nodeRole.arn, type: "EC2_LINUX" }, awsOpts);

    this.interruptionQueue = new aws.sqs.Queue(`${name}-interruption`, {
      name: pulumi.interpolate`${args.clusterName}-karpenter`,
      // A warning older than five minutes is past acting on (a spot notice gives two).
      messageRetentionSeconds: 300,
      sqsManagedSseEnabled: true,
    }, awsOpts);
    const queue = this.interruptionQueue;
    new aws.sqs.QueuePolicy(`${name}-interruption`, {
      queueUrl: queue.url,
      policy: queue.arn.apply((queueArn) => JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Sid: "EventBridgeSends", Effect: "Allow", Principal: { Service: ["events.amazonaws.com", "sqs.amazonaws.com"] }, Action: "sqs:SendMessage", Resource: queueArn },
          { Sid: "DenyHTTP", Effect: "Deny", Principal: "*", Action: "sqs:*", Resource: queueArn, Condition: { Bool: { "aws:SecureTransport": "false" } } },
        ],
      })),
    }, awsOpts);
    for (const event of INTERRUPTION_EVENTS) {
      const rule = new aws.cloudwatch.EventRule(`${name}-${event.name}`, {
        description: `Karpenter interruption handling: ${event.detailType}`,
        eventPattern: JSON.stringify({ source: [event.source], "detail-type": [event.detailType] }),
      }, awsOpts);
      new aws.cloudwatch.EventTarget(`${name}-${event.name}`, { rule: rule.name, targetId: "KarpenterInterruptionQueueTarget", arn: queue.arn }, awsOpts);
    }

    const identity = aws.getCallerIdentityOutput({}, awsOpts);
    const partition = aws.getPartitionOutput({}, awsOpts);
    const controllerRole = new IamRole(`${name}-controller`, {
      provider: args.provider,
      trustPolicy: serviceAccountTrustPolicy(args.oidc, [`${KARPENTER_NAMESPACE}:${KARPENTER_SERVICE_ACCOUNT}`]),
      managedPolicyArns: [],
      inlinePolicy: pulumi
        .all([partition.partition, identity.accountId, args.clusterName, this.nodeRole.arn, queue.arn])
        .apply(([partitionName, accountId, clusterName, nodeRoleArn, queueArn]) =>
          karpenterControllerPolicy({ partition: partitionName, region: args.region, accountId, clusterName, nodeRoleArn, queueArn }),
        ),
      description: "Karpenter's controller (IRSA)",
    }, { parent: this });

    this.chart = new k8s.helm.v4.Chart(`${name}-chart`, {
      chart: KARPENTER_CHART,
      version: args.chartVersion,
      name: "karpenter",
      namespace: KARPENTER_NAMESPACE,
      values: {
        settings: { clusterName: args.clusterName, interruptionQueue: queue.name },
        serviceAccount: { name: KARPENTER_SERVICE_ACCOUNT, annotations: { "eks.amazonaws.com/role-arn": controllerRole.arn } },
        // Two replicas spread over nodes (the chart's anti-affinity), as many as the system pool has nodes.
        replicas: Math.max(1, Math.min(KARPENTER_REPLICAS, args.systemNodeCount)),
        // On the managed system node group. The chart's own affinity already keeps it off nodes that carry
        // karpenter.sh/nodepool; the selector also keeps it off a fixed GPU group.
        nodeSelector: { "kubernetes.io/os": "linux", [SYSTEM_NODE_LABEL.key]: SYSTEM_NODE_LABEL.value },
        controller: { resources: KARPENTER_RESOURCES },
      },
    }, { parent: this, provider: args.kubernetesProvider, dependsOn: [controllerRole, queue] });

    this.registerOutputs({ queue: queue.name });
  }
}
