/**
 * Usage the plan cannot show, as the estimate assumes it. Each figure is stated in the estimate's notes wherever an
 * item depends on it, so a reader knows which numbers are list prices and which are guesses about traffic.
 */
export const ASSUMED = {
  /** Control-plane logs ingested per enabled log type: a small cluster's api/audit/authenticator streams. */
  controlPlaneLogGBPerTypeMonth: 1,
  /** Any other log group. */
  logGroupGBMonth: 1,
  /** Log groups without a retention keep everything; priced as a year's worth once they have filled. */
  unlimitedRetentionDays: 365,
  /** Images kept per ECR repository (a few tags; untagged images expire). */
  ecrGBPerRepository: 1,
  /** What a bucket holds: for the knowledge database's backups, a month of daily base backups and WAL of a few GB of documents. */
  s3GBPerBucket: 50,
  /** Average load balancer capacity units in use: a low-traffic chat front end. */
  loadBalancerCapacityUnits: 1,
} as const;

export const NOTES = {
  natData: "NAT gateway data processing ($0.045/GB: image and model downloads, hosted-API calls) is not estimated; it depends on traffic.",
  logs: `CloudWatch Logs: ${ASSUMED.controlPlaneLogGBPerTypeMonth} GB a month per enabled control-plane log type (${ASSUMED.logGroupGBMonth} GB for other groups), stored for the group's retention (a year when unlimited); the account's free tier is not deducted.`,
  ecr: `ECR: ${ASSUMED.ecrGBPerRepository} GB of images kept per repository.`,
  s3: `S3: ${ASSUMED.s3GBPerBucket} GB stored per bucket (S3 Standard); requests and versions past the lifecycle are not estimated.`,
  loadBalancers: `Load balancers: ${ASSUMED.loadBalancerCapacityUnits} capacity unit (LCU/NLCU) in use on average; data transfer out is not estimated.`,
  volumesAtRequestedSize: "Volumes are priced at their requested size (EFS bills what is stored, which is at most that).",
  gpuHours: (hours: number) => `GPU nodes run ${hours} h a day at the expected and minimum sizes, and around the clock at the maximum.`,
  nodeTypes: "A node group with several instance types is priced at its first (the one on-demand capacity prefers).",
  unknownStorageClass: (name: string) => `Storage class ${name} is not in the plan; its volumes are priced as EBS gp3.`,
  ingressController: (name: string, className: string) => `${name} uses ingress class ${className}: its load balancer belongs to that controller and is not priced here.`,
};
