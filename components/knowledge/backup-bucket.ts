import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { OidcIdentity, serviceAccountTrustPolicy } from "../cluster/iam";
import { IamRole } from "../cluster/iam-role";

/** Days the bucket keeps objects beyond Barman's own retention, so that Barman's deletions, not S3's, come first. */
export const LIFECYCLE_MARGIN_DAYS = 7;

export interface BackupBucketArgs {
  /** AWS provider of the stack's account and region. */
  provider: aws.Provider;
  /** The EKS cluster's name: the bucket and key are named after it. */
  clusterName: pulumi.Input<string>;
  /** The cluster's OIDC provider: the role is assumed by the Postgres pods' service account (IRSA). */
  oidc: OidcIdentity;
  /** `namespace:name` of that service account (CloudNativePG names it after the Cluster). */
  serviceAccount: string;
  /** Barman's retention, in days: the lifecycle rules follow it. */
  retentionDays: number;
  /** Production: the bucket and key are kept on destroy (the backups outlive the stack). */
  production: boolean;
}

/**
 * Where the knowledge database's backups go: an S3 bucket encrypted with its own KMS key, versioned, closed to the
 * public and to plain HTTP, with lifecycle rules a week behind Barman's retention (CloudNativePG's advice in
 * docs/src/appendixes/object_stores.md, "S3 lifecycle policy": expire current versions a few days after Barman's
 * retention, keep versioning on, expire non-current versions, so the workload may delete objects without the power to
 * delete them permanently); and the IRSA role the Postgres pods write with, limited to that bucket and that key.
 */
export class BackupBucket extends pulumi.ComponentResource {
  public readonly bucket: aws.s3.Bucket;
  public readonly key: aws.kms.Key;
  public readonly role: IamRole;
  /** `s3://<bucket>/`: Barman Cloud's destination path. */
  public readonly destinationPath: pulumi.Output<string>;

  constructor(name: string, args: BackupBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:knowledge:BackupBucket", name, {}, opts);
    const awsOpts = { parent: this, provider: args.provider, retainOnDelete: args.production };

    this.key = new aws.kms.Key(
      `${name}-key`,
      { description: pulumi.interpolate`Backups of the knowledge database of EKS cluster ${args.clusterName}`, enableKeyRotation: true, deletionWindowInDays: 30 },
      awsOpts,
    );
    this.bucket = new aws.s3.Bucket(`${name}`, { bucketPrefix: pulumi.interpolate`${args.clusterName}-knowledge-`, forceDestroy: false }, awsOpts);
    const bucket = this.bucket.id;
    new aws.s3.BucketPublicAccessBlock(`${name}-public-access`, { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, awsOpts);
    new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } }, awsOpts);
    const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, { bucket, versioningConfiguration: { status: "Enabled" } }, awsOpts);
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      { bucket, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: this.key.arn }, bucketKeyEnabled: true }] },
      awsOpts,
    );
    const days = args.retentionDays + LIFECYCLE_MARGIN_DAYS;
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket,
        rules: [
          {
            id: "expire-after-retention",
            status: "Enabled",
            filter: { prefix: "" },
            expiration: { days },
            noncurrentVersionExpiration: { noncurrentDays: LIFECYCLE_MARGIN_DAYS },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      },
      { ...awsOpts, dependsOn: [versioning] },
    );
    new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket,
        policy: this.bucket.arn.apply((arn) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Sid: "DenyHTTP", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [arn, `${arn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } }],
          }),
        ),
      },
      awsOpts,
    );

    this.role = new IamRole(
      `${name}-writer`,
      {
        provider: args.provider,
        trustPolicy: serviceAccountTrustPolicy(args.oidc, [args.serviceAccount]),
        managedPolicyArns: [],
        inlinePolicy: backupWriterPolicy(this.bucket.arn, this.key.arn),
        description: "Knowledge database backups (Barman Cloud, IRSA): its bucket and key only",
      },
      { parent: this },
    );
    this.destinationPath = pulumi.interpolate`s3://${this.bucket.id}/`;
    this.registerOutputs({ destinationPath: this.destinationPath, roleArn: this.role.arn });
  }
}

/**
 * What Barman Cloud does with the bucket: list it, read and write objects, delete expired ones (Barman's retention).
 * No `s3:DeleteObjectVersion`: with versioning a deletion leaves a version behind, which only the lifecycle removes.
 */
export function backupWriterPolicy(bucketArn: pulumi.Input<string>, keyArn: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.all([bucketArn, keyArn]).apply(([bucket, key]) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Sid: "ListBucket", Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: bucket },
        { Sid: "Objects", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: `${bucket}/*` },
        { Sid: "Key", Effect: "Allow", Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], Resource: key },
      ],
    }),
  );
}
