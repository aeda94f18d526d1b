import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EksClusterConfig } from "../../config/cluster";
import { MANAGED_POLICIES, OidcIdentity, serviceTrustPolicy } from "./iam";
import { IamRole } from "./iam-role";

export interface ControlPlaneArgs {
  /** AWS provider of the stack's account and region. */
  provider: aws.Provider;
  /** EKS cluster name; also names its log group and key alias. */
  clusterName: string;
  /** Kubernetes version, log types and log retention from the stack config. */
  config: Pick<EksClusterConfig, "kubernetesVersion" | "logTypes" | "logRetentionDays" | "adminPrincipals" | "publicAccessCidrs">;
  /** Private subnets for the control plane's network interfaces. */
  subnetIds: pulumi.Input<string>[];
  /** A production stack: the cluster cannot be deleted until protection is turned off. */
  production: boolean;
}

/** The AWS-managed EKS access policy that grants cluster-admin. */
export const CLUSTER_ADMIN_POLICY_ARN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

/**
 * The EKS control plane: Kubernetes secrets encrypted with a KMS key of its own, control-plane logs in CloudWatch
 * with a retention, access entries for authentication, and the OIDC provider that IRSA roles trust.
 */
export class ControlPlane extends pulumi.ComponentResource {
  public readonly cluster: aws.eks.Cluster;
  public readonly oidc: OidcIdentity;

  constructor(name: string, args: ControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:aws:ControlPlane", name, {}, opts);
    const { provider, clusterName, config } = args;
    const awsOpts = { parent: this, provider };

    const secretsKey = new aws.kms.Key(`${name}-secrets`, {
      description: `Envelope encryption of Kubernetes secrets in EKS cluster ${clusterName}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    }, awsOpts);
    new aws.kms.Alias(`${name}-secrets`, { name: `alias/${clusterName}-secrets`, targetKeyId: secretsKey.keyId }, awsOpts);

    // EKS writes to this group name; creating it first is what gives the logs a retention instead of "never expire".
    const logGroup = new aws.cloudwatch.LogGroup(`${name}-control-plane`, {
      name: `/aws/eks/${clusterName}/cluster`,
      retentionInDays: config.logRetentionDays,
    }, awsOpts);

    const role = new IamRole(`${name}-control-plane`, {
      provider,
      trustPolicy: serviceTrustPolicy("eks.amazonaws.com"),
      managedPolicyArns: [MANAGED_POLICIES.eksCluster],
      // No managed policy grants use of one customer-managed key; this grants exactly the secrets key.
      inlinePolicy: secretsKey.arn.apply((keyArn) => JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], Resource: keyArn }],
      })),
      description: `Control plane of EKS cluster ${clusterName}`,
    }, { parent: this });

    this.cluster = new aws.eks.Cluster(name, {
      name: clusterName,
      version: config.kubernetesVersion,
      roleArn: role.arn,
      vpcConfig: { subnetIds: args.subnetIds, endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: config.publicAccessCidrs },
      encryptionConfig: { provider: { keyArn: secretsKey.arn }, resources: ["secrets"] },
      enabledClusterLogTypes: config.logTypes,
      // Access entries instead of the aws-auth ConfigMap; whoever runs `pulumi up` first is the cluster's admin.
      accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
      deletionProtection: args.production,
    }, { ...awsOpts, dependsOn: [role, logGroup] });

    // With API authentication and no aws-auth ConfigMap, an identity without an access entry cannot reach the
    // cluster at all: the configured admins (CI's deploy role, teammates) get one with the cluster-admin policy.
    config.adminPrincipals.forEach((principalArn, i) => {
      const entry = new aws.eks.AccessEntry(`${name}-admin-${i}`, { clusterName: this.cluster.name, principalArn, type: "STANDARD" }, awsOpts);
      new aws.eks.AccessPolicyAssociation(`${name}-admin-${i}`, {
        clusterName: this.cluster.name,
        principalArn,
        policyArn: CLUSTER_ADMIN_POLICY_ARN,
        accessScope: { type: "cluster" },
      }, { ...awsOpts, dependsOn: [entry] });
    });

    const issuerUrl = this.cluster.identities.apply((identities) => identities[0].oidcs[0].issuer);
    const oidcProvider = new aws.iam.OpenIdConnectProvider(`${name}-oidc`, { url: issuerUrl, clientIdLists: ["sts.amazonaws.com"] }, awsOpts);
    this.oidc = { providerArn: oidcProvider.arn, issuerUrl };
    this.registerOutputs({ clusterName: this.cluster.name });
  }
}
