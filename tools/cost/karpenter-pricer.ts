/**
 * A Karpenter NodePool: instances exist only while pods need them, so it is priced from the GPU pods that select
 * it (their replicas, or their ScaledObject's bounds) for `cost.gpuHoursPerDay` hours a day, and at its `limits`
 * around the clock for the maximum. Its nodes' root volumes come from the EC2NodeClass it names.
 */
import { parseQuantity } from "../../config/quantity";
import type { PlannedResource } from "../render";
import { CostLine, Pricer, PricingContext, Range } from "./estimate";
import { Inputs, KubernetesObject, objectName } from "./plan-index";
import { GpuInstanceSpec, gpuInstanceSpec, HOURS_PER_MONTH } from "./prices";
import { gibibytes } from "./storage";
import { instanceSize } from "../../config/system-pool";

const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
const round = (hours: number) => Math.round(hours * 100) / 100;
type Requirement = { key: string; operator: string; values?: string[] };
type Container = { resources?: { requests?: Record<string, string>; limits?: Record<string, string> } };

const isNodePool = (resource: PlannedResource) => /^kubernetes:karpenter\.sh\/v1:NodePool$/.test(resource.type);

function requirementValues(requirements: Requirement[], key: string): string[] | undefined {
  return requirements.find((r) => r.key === key && r.operator === "In")?.values;
}

/** GPUs one pod of a workload asks for (a GPU is requested as a limit; the request, when set, equals it). */
function gpusPerPod(podSpec: Inputs): number {
  const containers = (podSpec.containers ?? []) as Container[];
  return containers.reduce((sum, c) => sum + Number(c.resources?.limits?.["nvidia.com/gpu"] ?? c.resources?.requests?.["nvidia.com/gpu"] ?? 0), 0);
}

interface GpuDemand {
  name: string;
  gpus: number;
  /** Pods at the smallest and the expected size, and at most. */
  pods: Range;
  /** With a canary (an Argo Rollout of the Deployment): the pods it adds, and for how many hours a month. */
  canary?: { pods: number; hoursPerMonth: number };
}

/** A Go duration as Argo Rollouts writes them here (30s, 1m, 2h), in hours. */
function durationHours(text: unknown): number {
  const match = /^(\d+)(s|m|h)$/.exec(String(text ?? ""));
  if (!match) return 0;
  return Number(match[1]) / { s: 3600, m: 60, h: 1 }[match[2] as "s" | "m" | "h"];
}

/**
 * The extra pods of a Rollout that runs `deployment` as a canary, and their hours a month: `canariesPerMonth`
 * releases, each running its pods (maxSurge of them) for the new version's start (progressDeadlineSeconds, the most
 * it may take) and every analysis step (the template's count x interval, its longest metric).
 */
function canaryDemand(rollout: KubernetesObject | undefined, context: PricingContext): GpuDemand["canary"] {
  const spec = rollout?.spec as { strategy?: { canary?: { maxSurge?: unknown; steps?: Inputs[] } }; progressDeadlineSeconds?: number } | undefined;
  const canary = spec?.strategy?.canary;
  if (!canary || context.settings.modelServerCanariesPerMonth === 0) return undefined;
  const templates = context.plan.objectsOfKind("AnalysisTemplate");
  const analysisHours = (canary.steps ?? []).reduce((sum, step) => {
    const name = ((step.analysis as Inputs | undefined)?.templates as { templateName?: string }[] | undefined)?.[0]?.templateName;
    const template = templates.find((t) => t.metadata.name === name && t.metadata.namespace === rollout!.metadata.namespace);
    const metrics = ((template?.spec as Inputs | undefined)?.metrics ?? []) as { count?: number; interval?: string }[];
    return sum + Math.max(0, ...metrics.map((m) => (m.count ?? 1) * durationHours(m.interval)));
  }, 0);
  const hoursPerCanary = (spec!.progressDeadlineSeconds ?? 600) / 3600 + analysisHours;
  const pods = typeof canary.maxSurge === "number" ? canary.maxSurge : 1;
  return { pods, hoursPerMonth: context.settings.modelServerCanariesPerMonth * hoursPerCanary };
}

/**
 * Deployments whose pods need a GPU and whose node selector this pool's labels satisfy, with their replica range
 * (KEDA's bounds when a ScaledObject scales them, or the Rollout that runs them) and their canary's extra pods.
 */
function demandOn(poolLabels: Record<string, string>, context: PricingContext): GpuDemand[] {
  const scaledObjects = context.plan.objectsOfKind("ScaledObject");
  const rollouts = context.plan.objectsOfKind("Rollout");
  return context.plan.objectsOfKind("Deployment").flatMap((deployment) => {
    const podSpec = ((deployment.spec as Inputs | undefined)?.template as Inputs | undefined)?.spec as Inputs | undefined;
    if (!podSpec) return [];
    const gpus = gpusPerPod(podSpec);
    const selector = (podSpec.nodeSelector ?? {}) as Record<string, string>;
    if (gpus === 0 || !Object.entries(selector).every(([key, value]) => poolLabels[key] === value)) return [];
    const rollout = rollouts.find((r) => {
      const ref = ((r.spec as Inputs | undefined)?.workloadRef ?? {}) as { kind?: string; name?: string };
      return r.metadata.namespace === deployment.metadata.namespace && ref.kind === "Deployment" && ref.name === deployment.metadata.name;
    });
    const canary = canaryDemand(rollout, context);
    const scaled = scaledObjects.find((so) => {
      const target = ((so.spec as Inputs).scaleTargetRef ?? {}) as { name?: string; kind?: string };
      if (so.metadata.namespace !== deployment.metadata.namespace) return false;
      return (target.kind ?? "Deployment") === "Deployment" ? target.name === deployment.metadata.name : target.kind === "Rollout" && target.name === rollout?.metadata.name;
    });
    if (scaled) {
      const spec = scaled.spec as { minReplicaCount?: number; maxReplicaCount?: number };
      // KEDA's defaults: 0 and 100 (keda.sh ScaledObject spec).
      const min = spec.minReplicaCount ?? 0;
      const max = spec.maxReplicaCount ?? 100;
      // A server that may sleep is priced awake (one replica at least) for the hours a day it runs.
      return [{ name: objectName(deployment), gpus, pods: { min, expected: Math.max(min, 1), max }, canary }];
    }
    const replicas = Number((rollout?.spec as Inputs | undefined)?.replicas ?? (deployment.spec as Inputs).replicas ?? 1);
    return [{ name: objectName(deployment), gpus, pods: { min: replicas, expected: replicas, max: replicas }, canary }];
  });
}

/** Nodes of `spec` the pool may hold under its limits (nvidia.com/gpu, cpu, memory). */
function nodesWithinLimits(limits: Record<string, unknown>, spec: GpuInstanceSpec): number {
  const bound = (quantity: unknown, perNode: number) => (quantity === undefined ? Infinity : Math.floor((parseQuantity(String(quantity)) ?? Infinity) / perNode));
  const nodes = Math.min(bound(limits["nvidia.com/gpu"], spec.gpus), bound(limits.cpu, spec.vcpu), bound(limits.memory, spec.memoryGiB * 2 ** 30));
  return Number.isFinite(nodes) ? nodes : 0;
}

/** The root volume of the pool's nodes, from its EC2NodeClass (Karpenter's AL2023 default is 20 GiB of gp3). */
function rootVolume(nodeClass: KubernetesObject | undefined): { gib: number; volumeType: string } {
  const mappings = (((nodeClass?.spec as Inputs | undefined)?.blockDeviceMappings ?? []) as { ebs?: { volumeSize?: string; volumeType?: string } }[]);
  const ebs = mappings[0]?.ebs;
  return { gib: gibibytes(ebs?.volumeSize) ?? 20, volumeType: ebs?.volumeType ?? "gp3" };
}

export const karpenterNodePool: Pricer = {
  scope: "cluster",
  appliesTo: isNodePool,
  lines(resource, context) {
    const { prices, settings } = context;
    const pool = resource.inputs as KubernetesObject;
    const spec = pool.spec as PoolSpec;
    const requirements = spec.template.spec.requirements ?? [];
    const types = requirementValues(requirements, "node.kubernetes.io/instance-type") ?? [];
    if (!types.some((type) => gpuInstanceSpec(type))) return cpuPoolLines(pool, spec, requirements, types, context);
    const priced = types.filter((type) => prices.ec2[type] !== undefined && gpuInstanceSpec(type));
    // Config refuses unpriced types; a NodePool that still has none is a bug in the estimate, not a $0 pool.
    if (priced.length === 0) throw new Error(`no ${settings.region} price for the instance types of NodePool ${pool.metadata.name} (${types.join(", ") || "none listed"})`);
    // Karpenter launches the cheapest type that fits (on-demand: lowest price; spot: price-capacity-optimized).
    const instanceType = [...priced].sort((a, b) => prices.ec2[a] - prices.ec2[b])[0];
    const instance = gpuInstanceSpec(instanceType)!;
    const spot = (requirementValues(requirements, "karpenter.sh/capacity-type") ?? ["on-demand"]).includes("spot");

    const demand = demandOn(spec.template.metadata?.labels ?? {}, context);
    const nodesFor = (pick: (pods: Range) => number) =>
      demand.reduce((sum, d) => sum + Math.ceil(pick(d.pods) / Math.max(1, Math.floor(instance.gpus / d.gpus))), 0);
    const ceiling = nodesWithinLimits(spec.limits ?? {}, instance);
    const hoursPerDay = settings.gpuHoursPerDay;
    // A canary's pods need nodes of their own for its hours, on top of the expected ones (a month without a release
    // is the minimum; the maximum already has the pool's limits around the clock).
    const canaryNodeHours = demand.reduce((sum, d) => sum + (d.canary ? Math.ceil(d.canary.pods / Math.max(1, Math.floor(instance.gpus / d.gpus))) * d.canary.hoursPerMonth : 0), 0);
    const nodeHours: Range = {
      min: Math.min(nodesFor((p) => p.min), ceiling) * hoursPerDay * DAYS_PER_MONTH,
      expected: Math.min(nodesFor((p) => p.expected), ceiling) * hoursPerDay * DAYS_PER_MONTH + canaryNodeHours,
      max: ceiling * HOURS_PER_MONTH,
    };
    context.note(
      `Karpenter NodePool ${pool.metadata.name}: ${types.length > 1 ? `priced at ${instanceType}, the cheapest type it may launch; ` : ""}` +
        `nodes for the GPU pods that select it (${demand.map((d) => d.name).join(", ") || "none"}) for ${hoursPerDay} h a day (cost.gpuHoursPerDay), ` +
        `its limits (${ceiling} x ${instanceType}) around the clock at the maximum.`,
    );
    for (const d of demand.filter((x) => x.canary)) {
      context.note(
        `${d.name} runs as a canary (delivery.canary.modelServers): ${d.canary!.pods} more GPU pod for up to ${round(d.canary!.hoursPerMonth / settings.modelServerCanariesPerMonth)} h per release ` +
          `(its start allowance and analysis steps), ${settings.modelServerCanariesPerMonth} releases a month (cost.modelServerCanariesPerMonth): ${round(d.canary!.hoursPerMonth)} node-hours at the expected size.`,
      );
    }
    if (spot) context.note(`Karpenter NodePool ${pool.metadata.name} allows spot: priced at cost.spotDiscount (${settings.spotDiscount}) off on-demand; it falls back to on-demand when spot has no capacity.`);

    return poolLines(pool, spec.template.spec.nodeClassRef?.name, instanceType, spot, nodeHours, context);
  },
};

type PoolSpec = { template: { metadata?: { labels?: Record<string, string> }; spec: { requirements: Requirement[]; nodeClassRef?: { name?: string } } }; limits?: Record<string, unknown> };

/**
 * A CPU NodePool (no GPU type): its nodes exist only while a load peak outgrows the system pool, so it costs
 * nothing at the minimum and the expected load (the HPAs' lower bounds fit the system pool: the capacity rule in
 * config/schema.ts sees to that) and its limits around the clock at the maximum.
 */
function cpuPoolLines(pool: KubernetesObject, spec: PoolSpec, requirements: Requirement[], types: string[], context: PricingContext): CostLine[] {
  const { prices, settings } = context;
  const priced = types.filter((type) => prices.ec2[type] !== undefined && instanceSize(type));
  if (priced.length === 0) throw new Error(`no ${settings.region} price for the instance types of NodePool ${pool.metadata.name} (${types.join(", ") || "none listed"})`);
  const instanceType = [...priced].sort((a, b) => prices.ec2[a] - prices.ec2[b])[0];
  const size = instanceSize(instanceType)!;
  const ceiling = nodesWithinLimits(spec.limits ?? {}, { gpus: 0, vcpu: size.vcpu, memoryGiB: size.memoryGiB });
  const spot = (requirementValues(requirements, "karpenter.sh/capacity-type") ?? ["on-demand"]).includes("spot");
  context.note(
    `Karpenter NodePool ${pool.metadata.name}: CPU nodes only while a load peak outgrows the system pool (none at the expected load); ` +
      `its limits (${ceiling} x ${instanceType}, the cheapest type it may launch) around the clock at the maximum.`,
  );
  if (spot) context.note(`Karpenter NodePool ${pool.metadata.name} allows spot: priced at cost.spotDiscount (${settings.spotDiscount}) off on-demand; it falls back to on-demand when spot has no capacity.`);
  return poolLines(pool, spec.template.spec.nodeClassRef?.name, instanceType, spot, { min: 0, expected: 0, max: ceiling * HOURS_PER_MONTH }, context);
}

/** The instance-hours of a pool's nodes and their root volumes (from the EC2NodeClass it names). */
function poolLines(pool: KubernetesObject, nodeClassName: string | undefined, instanceType: string, spot: boolean, nodeHours: Range, context: PricingContext): CostLine[] {
  const { prices, settings, plan } = context;
  const onDemand = prices.ec2[instanceType];
  const nodeClass = plan.objectsOfKind("EC2NodeClass").find((c) => c.metadata.name === nodeClassName);
  const disk = rootVolume(nodeClass);
  const diskMonths = (hours: number) => (hours / HOURS_PER_MONTH) * disk.gib;
  const name = objectName(pool);
  const lines: CostLine[] = [
    {
      resource: name,
      type: `EC2 ${instanceType} ${spot ? "spot" : "on-demand"} instance-hour`,
      unitPrice: spot ? Math.round(onDemand * (1 - settings.spotDiscount) * 1e6) / 1e6 : onDemand,
      quantity: nodeHours,
    },
    {
      resource: name,
      type: `EBS ${disk.volumeType === "gp2" ? "gp2" : "gp3"} GiB-month (node root volumes)`,
      unitPrice: disk.volumeType === "gp2" ? prices.ebs.gp2GiBMonth : prices.ebs.gp3GiBMonth,
      quantity: { min: diskMonths(nodeHours.min), expected: diskMonths(nodeHours.expected), max: diskMonths(nodeHours.max) },
    },
  ];
  return lines;
}
