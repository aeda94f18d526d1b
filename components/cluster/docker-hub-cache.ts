import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface DockerHubCacheArgs {
  /** AWS provider of the stack's account and region. */
  provider: aws.Provider;
  /** Stack name: the cache's repository prefix and secret name carry it, so two stacks in one account never clash. */
  stack: string;
  region: string;
  /** The Docker Hub login ECR pulls as (Pulumi secrets). */
  username: pulumi.Input<string>;
  accessToken: pulumi.Input<string>;
  /** Names of the IAM roles of the nodes that pull through the cache (the first pull of an image imports it). */
  nodeRoleNames: pulumi.Input<string>[];
}

/**
 * An ECR pull-through cache rule for Docker Hub: `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<path>` serves
 * `docker.io/<path>`, importing an image on its first pull and keeping it in ECR (same digest), so a GPU node waking
 * up pulls the ~10 GB vLLM image from ECR in the region rather than anonymously from Docker Hub through one NAT
 * address. verified: AWS ECR user guide "Creating a pull through cache rule" (Docker Hub needs credentials in a
 * Secrets Manager secret whose name begins with `ecr-pullthroughcache/`, same account and region; upstream
 * registry-1.docker.io) and "IAM permissions required to sync an upstream registry" (the puller needs
 * ecr:BatchImportUpstreamImage, and ecr:CreateRepository while the cache repository does not exist).
 */
export class DockerHubCache extends pulumi.ComponentResource {
  /** Where Docker Hub images are pulled from instead: `<registry>/<prefix>`; append the Docker Hub path. */
  public readonly mirror: pulumi.Output<string>;
  public readonly rule: aws.ecr.PullThroughCacheRule;

  constructor(name: string, args: DockerHubCacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:aws:DockerHubCache", name, {}, opts);
    const childOpts = { parent: this, provider: args.provider };
    const prefix = `docker-hub-${args.stack}`;
    const secret = new aws.secretsmanager.Secret(name, {
      name: `ecr-pullthroughcache/ai-assistant-${args.stack}-docker-hub`,
      description: `Docker Hub login of the ECR pull-through cache of ai-assistant ${args.stack}`,
      recoveryWindowInDays: 7,
    }, childOpts);
    const version = new aws.secretsmanager.SecretVersion(name, {
      secretId: secret.id,
      // The two keys ECR reads from a pull-through cache secret.
      secretString: pulumi.secret(pulumi.jsonStringify({ username: args.username, accessToken: args.accessToken })),
    }, childOpts);
    this.rule = new aws.ecr.PullThroughCacheRule(name, {
      ecrRepositoryPrefix: prefix,
      upstreamRegistryUrl: "registry-1.docker.io",
      credentialArn: secret.arn,
    }, { ...childOpts, dependsOn: [version] });

    const identity = aws.getCallerIdentityOutput({}, { parent: this, provider: args.provider });
    const cacheRepositories = pulumi.interpolate`arn:aws:ecr:${args.region}:${identity.accountId}:repository/${prefix}/*`;
    args.nodeRoleNames.forEach((role, index) => {
      new aws.iam.RolePolicy(`${name}-nodes-${index}`, {
        role,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [{ Sid: "PullThroughDockerHubCache", Effect: "Allow", Action: ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"], Resource: cacheRepositories }],
        }),
      }, childOpts);
    });
    this.mirror = pulumi.interpolate`${identity.accountId}.dkr.ecr.${args.region}.amazonaws.com/${prefix}`;
    this.registerOutputs({ mirror: this.mirror });
  }
}
