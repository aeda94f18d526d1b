import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface IamRoleArgs {
  /** AWS provider of the stack's account and region. */
  provider: aws.Provider;
  /** Who may assume the role: a trust policy document (JSON). */
  trustPolicy: pulumi.Input<string>;
  /** ARNs of the AWS-managed policies the role needs, and nothing more (see `lib/iam.ts`). */
  managedPolicyArns: string[];
  /** Extra permissions no managed policy grants narrowly enough, scoped to named resources (no `*`). */
  inlinePolicy?: pulumi.Input<string>;
  /** What the role is for, shown in the IAM console. */
  description: string;
}

/** An IAM role with exactly the managed policies given, each attached by its own resource so a diff names it. */
export class IamRole extends pulumi.ComponentResource {
  public readonly role: aws.iam.Role;
  public readonly arn: pulumi.Output<string>;
  public readonly name: pulumi.Output<string>;

  constructor(name: string, args: IamRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:aws:IamRole", name, {}, opts);
    if (args.managedPolicyArns.some((arn) => /AdministratorAccess|PowerUserAccess|FullAccess$/.test(arn))) {
      throw new pulumi.ResourceError(`expected least-privilege managed policies for role ${name}, not ${args.managedPolicyArns.join(", ")}`, this);
    }
    const childOpts = { parent: this, provider: args.provider };
    this.role = new aws.iam.Role(name, { assumeRolePolicy: args.trustPolicy, description: args.description }, childOpts);
    for (const arn of args.managedPolicyArns) {
      const policyName = arn.split("/").pop()!;
      new aws.iam.RolePolicyAttachment(`${name}-${policyName}`, { role: this.role.name, policyArn: arn }, childOpts);
    }
    if (args.inlinePolicy !== undefined) {
      new aws.iam.RolePolicy(name, { role: this.role.name, policy: args.inlinePolicy }, childOpts);
    }
    this.arn = this.role.arn;
    this.name = this.role.name;
    this.registerOutputs({ arn: this.arn });
  }
}
