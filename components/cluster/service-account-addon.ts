import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { OidcIdentity, serviceAccountTrustPolicy } from "./iam";
import { IamRole } from "./iam-role";

export interface ServiceAccountAddonArgs {
  /** AWS provider of the stack's account and region. */
  provider: aws.Provider;
  /** The EKS cluster the add-on is installed in. */
  clusterName: pulumi.Input<string>;
  /** The cluster's OIDC provider, which lets the add-on's service accounts assume the role (IRSA). */
  oidc: OidcIdentity;
  /** EKS add-on name, e.g. `aws-ebs-csi-driver`. */
  addonName: string;
  /** `namespace:name` of the service accounts that may assume the role (`*` matches a suffix). */
  serviceAccounts: string[];
  /** The one AWS-managed policy the add-on needs. */
  managedPolicyArn: string;
  /** What the role is for, shown in the IAM console. */
  description: string;
  /** The add-on's configuration values (JSON), as `aws eks describe-addon-configuration` lists them. */
  configurationValues?: string;
  /** What must exist before the add-on is installed (nodes for its pods, mount targets, …). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * An EKS add-on whose pods act with their own IAM role (IRSA) instead of the node's: the node role stays small,
 * and each add-on gets exactly the managed policy it needs.
 */
export class ServiceAccountAddon extends pulumi.ComponentResource {
  public readonly role: IamRole;
  public readonly addon: aws.eks.Addon;

  constructor(name: string, args: ServiceAccountAddonArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:aws:ServiceAccountAddon", name, {}, opts);
    this.role = new IamRole(name, {
      provider: args.provider,
      trustPolicy: serviceAccountTrustPolicy(args.oidc, args.serviceAccounts),
      managedPolicyArns: [args.managedPolicyArn],
      description: args.description,
    }, { parent: this });
    this.addon = new aws.eks.Addon(name, {
      clusterName: args.clusterName,
      addonName: args.addonName,
      serviceAccountRoleArn: this.role.arn,
      configurationValues: args.configurationValues,
      // The add-on owns its objects; an edit made by hand is overwritten rather than blocking the update.
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
    }, { parent: this, provider: args.provider, dependsOn: [this.role, ...(args.dependsOn ?? [])] });
    this.registerOutputs({});
  }
}
