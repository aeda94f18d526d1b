/**
 * IAM policy documents and the AWS-managed policies the stack attaches. Every role gets only the managed policies
 * its job needs; they are named here so that a reviewer sees the whole list in one place.
 */
import * as pulumi from "@pulumi/pulumi";

const managed = (path: string) => `arn:aws:iam::aws:policy/${path}`;

/** AWS-managed policies, by the job that needs them. */
export const MANAGED_POLICIES = {
  /** The EKS control plane managing ENIs, load balancers and security groups for the cluster. */
  eksCluster: managed("AmazonEKSClusterPolicy"),
  /** kubelet describing EC2 resources and joining the cluster. */
  eksWorkerNode: managed("AmazonEKSWorkerNodePolicy"),
  /** kubelet pulling images from ECR (pull only: nodes never push). */
  ecrPullOnly: managed("AmazonEC2ContainerRegistryPullOnly"),
  /** The VPC CNI assigning pod IPs; on its own IRSA role rather than on every node. */
  eksCni: managed("AmazonEKS_CNI_Policy"),
  /** The EBS CSI controller creating, attaching and deleting volumes. */
  ebsCsiDriver: managed("service-role/AmazonEBSCSIDriverPolicy"),
  /** The EFS CSI controller creating and deleting access points. */
  efsCsiDriver: managed("service-role/AmazonEFSCSIDriverPolicy"),
} as const;

/**
 * What every node role of the cluster carries, managed node groups' and Karpenter's alike: joining the cluster and
 * pulling images. The VPC CNI's permissions are on its own IRSA role, so a compromised pod on a node cannot rewire
 * the network.
 */
export const NODE_ROLE_POLICIES = [MANAGED_POLICIES.eksWorkerNode, MANAGED_POLICIES.ecrPullOnly];

/** Trust policy that lets an AWS service (eks.amazonaws.com, ec2.amazonaws.com) assume a role. */
export function serviceTrustPolicy(service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });
}

/** The cluster's OIDC identity provider, which IRSA roles trust. */
export interface OidcIdentity {
  /** ARN of the IAM OpenID Connect provider. */
  providerArn: pulumi.Input<string>;
  /** Issuer URL, e.g. https://oidc.eks.us-west-2.amazonaws.com/id/ABC. */
  issuerUrl: pulumi.Input<string>;
}

/**
 * Trust policy for IAM roles for service accounts (IRSA): only tokens the cluster issued for the given service
 * accounts (`namespace:name`, `*` allowed in the name) and meant for STS can assume the role.
 */
export function serviceAccountTrustPolicy(oidc: OidcIdentity, serviceAccounts: string[]): pulumi.Output<string> {
  return pulumi.all([oidc.providerArn, oidc.issuerUrl]).apply(([providerArn, issuerUrl]) => {
    const issuer = issuerUrl.replace(/^https:\/\//, "");
    const subjects = serviceAccounts.map((account) => `system:serviceaccount:${account}`);
    const wildcard = subjects.some((subject) => subject.includes("*"));
    return JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: providerArn },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: { [`${issuer}:aud`]: "sts.amazonaws.com", ...(!wildcard && { [`${issuer}:sub`]: subjects }) },
            ...(wildcard && { StringLike: { [`${issuer}:sub`]: subjects } }),
          },
        },
      ],
    });
  });
}
