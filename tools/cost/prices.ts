/**
 * Dated AWS on-demand list prices (USD, Linux, no Savings Plans or Reserved Instances) for what the stacks create.
 * One table per region; config refuses a region or an EC2 instance type that has no price here, so an estimate is
 * never a silent $0. Add a region by copying a block and checking every figure against AWS's price list.
 *
 * Where the figures come from (looked up 2026-11/12):
 * - EC2, us-east-1: Karpenter's generated on-demand table, which it pulls from the AWS Pricing API
 *   (aws/karpenter-provider-aws pkg/providers/pricing/zz_generated.pricing_aws.go, "generated at
 *   2026-07-20T13:44:30Z for us-east-1"); g5/g6/g6e agree with the product brief (g5.xlarge $1.006, g6.xlarge $0.8048,
 *   g6e.xlarge $1.861).
 * - EKS: $0.10 per cluster-hour in standard support, $0.60 in extended support (AWS containers blog "Amazon EKS
 *   extended support for Kubernetes versions pricing"; vantage.sh and cloudburn.io 2026 guides agree).
 * - EBS gp3 $0.08/GiB-month, $0.005 per IOPS-month above 3,000, $0.040 per MiB/s-month above 125 (saisci.com gp3
 *   pages quoting N. Virginia; the IOPS figure also in a public cost checker, "gp3 IOPS = $0.005 us-east-1");
 *   gp2 $0.10/GiB-month (AWS EBS list price; not re-checked here).
 * - EFS Standard $0.30/GB-month (aws.amazon.com/efs/pricing; factualminds.com June 2026 for us-east-1).
 * - NAT gateway $0.045/hour and $0.045/GB processed; public IPv4 $0.005/hour (basavytix.com, cloudburn.io 2026).
 * - ALB and NLB $0.0225/hour, ALB LCU $0.008/hour, NLB NLCU $0.006/hour, Classic LB $0.025/hour
 *   (awsnegotiations.com May 2026, cloudchipr.com).
 * - CloudWatch Logs (standard class) $0.50/GB ingested, $0.03/GB-month stored (c3x.dev "us-east-1, June 2026",
 *   hykell.com).
 * - ECR $0.10/GB-month (cloudburn.io, "US East as of March 2026"); KMS $1 per customer-managed key-month.
 * - us-west-2: NOT verified against a us-west-2 price file (none was found in the search corpora). AWS lists these
 *   services and instance families at the same price in Oregon as in N. Virginia, which is what the table below
 *   assumes; cloudpipelines.pages.dev (2026) shows NAT at ~$0.045 in both. Check before relying on it.
 */
export const PRICES_AS_OF = "2026-11";

/** A month, as AWS's pricing calculator counts it. */
export const HOURS_PER_MONTH = 730;

/** Every priced dimension; an estimate item's `type` is one of these (plus the instance type for EC2). */
export interface RegionPrices {
  eks: { clusterHour: number; extendedSupportClusterHour: number };
  /** Linux on-demand price per instance-hour. */
  ec2: Record<string, number>;
  ebs: { gp3GiBMonth: number; gp3IopsMonth: number; gp3MiBpsMonth: number; gp2GiBMonth: number };
  efs: { standardGBMonth: number };
  vpc: { natGatewayHour: number; natGatewayGB: number; publicIpv4Hour: number };
  elb: { albHour: number; albLcuHour: number; nlbHour: number; nlbLcuHour: number; clbHour: number };
  cloudwatch: { logsIngestedGB: number; logsStoredGBMonth: number };
  ecr: { storageGBMonth: number };
  kms: { keyMonth: number };
  s3: { standardGBMonth: number };
}

/** gp3's included performance: provisioned IOPS and throughput above these are billed. */
export const GP3_BASELINE = { iops: 3000, throughputMiBps: 125 };

// verified: aws/karpenter-provider-aws zz_generated.pricing_aws.go (us-east-1, 2026-07-20), AWS Pricing API figures.
const EC2_US_EAST_1: Record<string, number> = {
  // GPU: g5 (NVIDIA A10G 24 GB), g6 (NVIDIA L4 24 GB), g6e (NVIDIA L40S 48 GB).
  "g5.xlarge": 1.006, "g5.2xlarge": 1.212, "g5.4xlarge": 1.624, "g5.8xlarge": 2.448,
  "g5.12xlarge": 5.672, "g5.16xlarge": 4.096, "g5.24xlarge": 8.144, "g5.48xlarge": 16.288,
  "g6.xlarge": 0.8048, "g6.2xlarge": 0.9776, "g6.4xlarge": 1.3232, "g6.8xlarge": 2.0144,
  "g6.12xlarge": 4.6016, "g6.16xlarge": 3.3968, "g6.24xlarge": 6.6752, "g6.48xlarge": 13.3504,
  "g6e.xlarge": 1.861, "g6e.2xlarge": 2.24208, "g6e.4xlarge": 3.00424, "g6e.8xlarge": 4.52856,
  "g6e.12xlarge": 10.49264, "g6e.16xlarge": 7.57719, "g6e.24xlarge": 15.06559, "g6e.48xlarge": 30.13118,
  // CPU: the system pool's default (m6i.large) and common alternatives.
  "m6i.large": 0.096, "m6i.xlarge": 0.192, "m6i.2xlarge": 0.384, "m6i.4xlarge": 0.768,
  "m7i.large": 0.1008, "m7i.xlarge": 0.2016, "m7i.2xlarge": 0.4032, "m7i.4xlarge": 0.8064,
  "m6a.large": 0.0864, "m6a.xlarge": 0.1728, "m6a.2xlarge": 0.3456,
  "m7a.large": 0.11592, "m7a.xlarge": 0.23184, "m7a.2xlarge": 0.46368,
  "c6i.large": 0.085, "c6i.xlarge": 0.17, "c6i.2xlarge": 0.34,
  "c7i.large": 0.08925, "c7i.xlarge": 0.1785, "c7i.2xlarge": 0.357,
  "t3.medium": 0.0416, "t3.large": 0.0832, "t3.xlarge": 0.1664,
};

/** What one GPU instance offers: its NVIDIA GPUs, vCPUs and memory. */
export interface GpuInstanceSpec {
  gpus: number;
  vcpu: number;
  memoryGiB: number;
}

// verified: aws/karpenter-provider-aws website/content/en/v1.14/reference/instance-types.md (labels
// karpenter.k8s.aws/instance-gpu-count, instance-cpu, instance-memory of each type).
const GPU_SIZES: [string, number, number][] = [["xlarge", 4, 1], ["2xlarge", 8, 1], ["4xlarge", 16, 1], ["8xlarge", 32, 1], ["12xlarge", 48, 4], ["16xlarge", 64, 1], ["24xlarge", 96, 4], ["48xlarge", 192, 8]];
/** g5 (A10G) and g6 (L4) have 4 GiB per vCPU, g6e (L40S) 8. */
export const GPU_INSTANCE_SPECS: Readonly<Record<string, GpuInstanceSpec>> = Object.fromEntries(
  ([["g5", 4], ["g6", 4], ["g6e", 8]] as const).flatMap(([family, gibPerVcpu]) =>
    GPU_SIZES.map(([size, vcpu, gpus]) => [`${family}.${size}`, { gpus, vcpu, memoryGiB: vcpu * gibPerVcpu }]),
  ),
);

export function gpuInstanceSpec(instanceType: string): GpuInstanceSpec | undefined {
  return GPU_INSTANCE_SPECS[instanceType];
}

const US_EAST_1: RegionPrices = {
  eks: { clusterHour: 0.1, extendedSupportClusterHour: 0.6 },
  ec2: EC2_US_EAST_1,
  ebs: { gp3GiBMonth: 0.08, gp3IopsMonth: 0.005, gp3MiBpsMonth: 0.04, gp2GiBMonth: 0.1 },
  efs: { standardGBMonth: 0.3 },
  vpc: { natGatewayHour: 0.045, natGatewayGB: 0.045, publicIpv4Hour: 0.005 },
  elb: { albHour: 0.0225, albLcuHour: 0.008, nlbHour: 0.0225, nlbLcuHour: 0.006, clbHour: 0.025 },
  cloudwatch: { logsIngestedGB: 0.5, logsStoredGBMonth: 0.03 },
  ecr: { storageGBMonth: 0.1 },
  kms: { keyMonth: 1 },
  // S3 Standard, first 50 TB a month, us-east-1: $0.023 per GB (as quoted by handbook.vantage.sh/aws/services/s3-pricing
  // and devnotes.tech's S3 pricing breakdown, 2026; the AWS pricing page itself was not reachable from here).
  s3: { standardGBMonth: 0.023 },
};

/** Prices per region the estimate supports. us-west-2 is assumed equal to us-east-1 (see the header). */
export const REGION_PRICES: Readonly<Record<string, RegionPrices>> = {
  "us-east-1": US_EAST_1,
  "us-west-2": { ...US_EAST_1, ec2: { ...EC2_US_EAST_1 } },
};

export const PRICED_REGIONS = Object.keys(REGION_PRICES).sort();

export function pricesFor(region: string): RegionPrices {
  const prices = REGION_PRICES[region];
  if (!prices) throw new Error(`no prices for region ${region} (priced: ${PRICED_REGIONS.join(", ")})`);
  return prices;
}

export function hasInstancePrice(region: string, instanceType: string): boolean {
  return REGION_PRICES[region]?.ec2[instanceType] !== undefined;
}

/** Instance families with prices in a region, for config messages ("g5, g6, g6e, m6i, …"). */
export function pricedFamilies(region: string): string[] {
  return [...new Set(Object.keys(REGION_PRICES[region]?.ec2 ?? {}).map((type) => type.split(".")[0]))].sort();
}

/**
 * Last day of EKS standard support per Kubernetes minor version (endoflife.date/amazon-eks and the EKS version
 * calendar as quoted by aws-samples' eks-operation-review skill, "last verified 2026-04-24"; both agree). A version
 * newer than the newest here is taken to be in standard support; one older than the oldest, in extended support.
 */
export const EKS_STANDARD_SUPPORT_ENDS: Readonly<Record<string, string>> = {
  "1.29": "2025-03-23",
  "1.30": "2025-07-23",
  "1.31": "2025-11-26",
  "1.32": "2026-03-23",
  "1.33": "2026-07-29",
  "1.34": "2026-12-02",
  "1.35": "2027-03-27",
};

const minor = (version: string) => Number(version.split(".")[1]);

/**
 * Whether a Kubernetes version is billed at the extended-support rate in the month the prices are of: its standard
 * support ended before that month began (a version whose support ends during the month counts as standard).
 */
export function inExtendedSupport(version: string, asOfMonth = PRICES_AS_OF): boolean {
  const end = EKS_STANDARD_SUPPORT_ENDS[version];
  if (end) return end < `${asOfMonth}-01`;
  const known = Object.keys(EKS_STANDARD_SUPPORT_ENDS).map(minor);
  return minor(version) < Math.min(...known);
}

/** GPU instances (g and p families): priced for the hours a day the GPU runs, not around the clock. */
export function isGpuInstanceType(instanceType: string): boolean {
  return /^[gp]\d/.test(instanceType);
}
