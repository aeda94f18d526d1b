/** Pricers for the cloud resources an EKS stack creates with its cluster. */
import type { PlannedResource } from "../render";
import { ASSUMED, NOTES } from "./assumptions";
import { fixed, Pricer, PricingContext, Range } from "./estimate";
import { Inputs } from "./plan-index";
import { HOURS_PER_MONTH, inExtendedSupport, isGpuInstanceType } from "./prices";

const ofType = (type: string) => (resource: PlannedResource) => resource.type === type;
const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

const eksCluster: Pricer = {
  scope: "cluster",
  appliesTo: ofType("aws:eks/cluster:Cluster"),
  lines(resource, { prices }) {
    const version = String(resource.inputs.version ?? "");
    const extended = version !== "" && inExtendedSupport(version);
    return [{
      resource: resource.name,
      type: extended ? `EKS cluster-hour (Kubernetes ${version}, extended support)` : "EKS cluster-hour (standard support)",
      unitPrice: extended ? prices.eks.extendedSupportClusterHour : prices.eks.clusterHour,
      quantity: fixed(HOURS_PER_MONTH),
    }];
  },
};

/** EKS launches t3.medium when neither the node group nor its launch template names a type. */
const EKS_DEFAULT_INSTANCE_TYPE = "t3.medium";

interface RootVolume {
  sizeGiB: number;
  volumeType: string;
}

/**
 * A node group's root volume: from its launch template when it has one, else `diskSize` (20 GiB by default), which
 * EKS creates as gp2 (aws/containers-roadmap#1417: managed node groups without a launch template get gp2 disks).
 */
function rootVolume(nodeGroup: Inputs, launchTemplate: PlannedResource | undefined): RootVolume {
  const mappings = (launchTemplate?.inputs.blockDeviceMappings ?? []) as { ebs?: { volumeSize?: number; volumeType?: string } }[];
  const ebs = mappings.find((mapping) => mapping.ebs?.volumeSize !== undefined)?.ebs;
  // An EBS block device without a volume type gets EC2's API default, gp2.
  if (ebs) return { sizeGiB: Number(ebs.volumeSize), volumeType: ebs.volumeType ?? "gp2" };
  return { sizeGiB: Number(nodeGroup.diskSize ?? 20), volumeType: "gp2" };
}

const nodeGroup: Pricer = {
  scope: "cluster",
  appliesTo: ofType("aws:eks/nodeGroup:NodeGroup"),
  lines(resource, context) {
    const { prices, settings, plan } = context;
    const inputs = resource.inputs;
    const launchTemplate = inputs.launchTemplate ? plan.referenced("aws:ec2/launchTemplate:LaunchTemplate", inputs.launchTemplate as Inputs) : undefined;
    const types = (inputs.instanceTypes as string[] | undefined) ?? [String(launchTemplate?.inputs.instanceType ?? EKS_DEFAULT_INSTANCE_TYPE)];
    if (types.length > 1) context.note(NOTES.nodeTypes);
    const instanceType = types[0];
    const onDemand = prices.ec2[instanceType];
    // Config refuses unpriced types; a plan that still has one is a bug in the estimate, not a $0 node.
    if (onDemand === undefined) throw new Error(`no ${settings.region} price for instance type ${instanceType} (node group ${resource.name})`);
    const spot = inputs.capacityType === "SPOT";
    const gpu = isGpuInstanceType(instanceType);
    if (gpu) context.note(NOTES.gpuHours(settings.gpuHoursPerDay));
    const hoursPerDay = gpu ? settings.gpuHoursPerDay : 24;
    const scaling = (inputs.scalingConfig ?? {}) as { minSize?: number; desiredSize?: number; maxSize?: number };
    // Node-hours: the expected and smallest pools for their hours a day, the largest around the clock.
    const nodeHours: Range = {
      min: (scaling.minSize ?? 0) * hoursPerDay * DAYS_PER_MONTH,
      expected: (scaling.desiredSize ?? scaling.minSize ?? 0) * hoursPerDay * DAYS_PER_MONTH,
      max: (scaling.maxSize ?? 0) * HOURS_PER_MONTH,
    };
    const disk = rootVolume(inputs, launchTemplate);
    // A node's root volume lives and dies with the node, so it is billed for the node's hours.
    const diskMonths = (hours: number) => (hours / HOURS_PER_MONTH) * disk.sizeGiB;
    const diskPrice = disk.volumeType === "gp3" ? prices.ebs.gp3GiBMonth : prices.ebs.gp2GiBMonth;
    return [
      {
        resource: resource.name,
        type: `EC2 ${instanceType} ${spot ? "spot" : "on-demand"} instance-hour`,
        unitPrice: spot ? Math.round(onDemand * (1 - settings.spotDiscount) * 1e6) / 1e6 : onDemand,
        quantity: nodeHours,
      },
      {
        resource: resource.name,
        type: `EBS ${disk.volumeType === "gp3" ? "gp3" : "gp2"} GiB-month (node root volumes)`,
        unitPrice: diskPrice,
        quantity: { min: diskMonths(nodeHours.min), expected: diskMonths(nodeHours.expected), max: diskMonths(nodeHours.max) },
      },
    ];
  },
};

const hourly = (type: string, label: string, price: (context: PricingContext) => number, note?: string): Pricer => ({
  scope: "cluster",
  appliesTo: ofType(type),
  lines(resource, context) {
    if (note) context.note(note);
    return [{ resource: resource.name, type: label, unitPrice: price(context), quantity: fixed(HOURS_PER_MONTH) }];
  },
});

const natGateway = hourly("aws:ec2/natGateway:NatGateway", "NAT gateway-hour", ({ prices }) => prices.vpc.natGatewayHour, NOTES.natData);
const elasticIp = hourly("aws:ec2/eip:Eip", "public IPv4 address-hour", ({ prices }) => prices.vpc.publicIpv4Hour);

const kmsKey: Pricer = {
  scope: "cluster",
  appliesTo: ofType("aws:kms/key:Key"),
  lines: (resource, { prices }) => [{ resource: resource.name, type: "KMS key-month", unitPrice: prices.kms.keyMonth, quantity: fixed(1) }],
};

const logGroup: Pricer = {
  scope: "cluster",
  appliesTo: ofType("aws:cloudwatch/logGroup:LogGroup"),
  lines(resource, context) {
    const { prices, plan } = context;
    context.note(NOTES.logs);
    const name = String(resource.inputs.name ?? "");
    // EKS writes its control-plane logs to /aws/eks/<cluster>/cluster, one stream per enabled log type.
    const cluster = plan.ofType("aws:eks/cluster:Cluster").find((c) => name === `/aws/eks/${String(c.inputs.name)}/cluster`);
    const ingestedGB = cluster
      ? ((cluster.inputs.enabledClusterLogTypes as string[] | undefined) ?? []).length * ASSUMED.controlPlaneLogGBPerTypeMonth
      : ASSUMED.logGroupGBMonth;
    const retentionDays = Number(resource.inputs.retentionInDays ?? 0) || ASSUMED.unlimitedRetentionDays;
    // Once the group has filled, it holds `retention` worth of a month's intake.
    const storedGB = ingestedGB * (retentionDays / DAYS_PER_MONTH);
    return [
      { resource: resource.name, type: "CloudWatch Logs GB ingested", unitPrice: prices.cloudwatch.logsIngestedGB, quantity: fixed(ingestedGB) },
      { resource: resource.name, type: "CloudWatch Logs GB-month stored", unitPrice: prices.cloudwatch.logsStoredGBMonth, quantity: fixed(storedGB) },
    ];
  },
};

const ecrRepository: Pricer = {
  scope: "cluster",
  appliesTo: ofType("aws:ecr/repository:Repository"),
  lines(resource, context) {
    context.note(NOTES.ecr);
    return [{ resource: resource.name, type: "ECR GB-month", unitPrice: context.prices.ecr.storageGBMonth, quantity: fixed(ASSUMED.ecrGBPerRepository) }];
  },
};

const s3Bucket: Pricer = {
  scope: "cluster",
  appliesTo: ofType("aws:s3/bucket:Bucket"),
  lines(resource, context) {
    context.note(NOTES.s3);
    return [{ resource: resource.name, type: "S3 Standard GB-month", unitPrice: context.prices.s3.standardGBMonth, quantity: fixed(ASSUMED.s3GBPerBucket) }];
  },
};

/** An EFS file system costs what its volumes store; those are priced on the volumes (kubernetes-pricers.ts). */
const efsFileSystem: Pricer = {
  scope: "cluster",
  appliesTo: ofType("aws:efs/fileSystem:FileSystem"),
  lines(resource, context) {
    context.note(`EFS file system ${resource.name}: its storage is priced on the volumes of its storage class; elastic-throughput reads and writes ($0.03/$0.06 per GB) are not estimated.`);
    return [];
  },
};

export const CLUSTER_PRICERS: Pricer[] = [eksCluster, nodeGroup, natGateway, elasticIp, kmsKey, logGroup, ecrRepository, s3Bucket, efsFileSystem];
