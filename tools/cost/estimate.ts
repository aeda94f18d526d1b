/**
 * The monthly cost of a rendered plan: every priced resource becomes one or more lines (a quantity of one priced
 * unit at the stack's smallest, expected and largest size), and the estimate is their sum. Each kind of resource has
 * a pricer (cluster-pricers.ts, kubernetes-pricers.ts); a new kind (a Karpenter NodePool, say) is one more pricer.
 */
import type { PlannedResource } from "../render";
import { PlanIndex } from "./plan-index";
import { PRICES_AS_OF, pricesFor, RegionPrices } from "./prices";

/** What cost.json lists per priced quantity, at the expected size. `monthlyUsd` = quantity × unitPrice, in cents. */
export interface CostItem {
  /** The resource as the plan names it (a Pulumi name, or `Kind namespace/name` for Kubernetes objects). */
  resource: string;
  /** What is priced, with its unit: "EC2 g5.xlarge on-demand instance-hour", "EBS gp3 GiB-month", … */
  type: string;
  quantity: number;
  /** USD per unit of `type`. */
  unitPrice: number;
  monthlyUsd: number;
}

/** `cost.json`: USD a month at the expected size (`total`), at the smallest and largest sizes the config allows. */
export interface CostEstimate {
  total: number;
  min: number;
  max: number;
  items: CostItem[];
  pricesAsOf: string;
  region: string;
  /** `stack`: everything the stack creates; `additions`: what it adds to a cluster that exists already. */
  scope: "stack" | "additions";
  /** Assumptions behind the usage-based items, and what is left out. */
  notes: string[];
}

/** A quantity at the smallest size (min node counts), the expected one, and the largest (max node counts). */
export interface Range {
  min: number;
  expected: number;
  max: number;
}

export const fixed = (quantity: number): Range => ({ min: quantity, expected: quantity, max: quantity });

/** One priced quantity of one resource. */
export interface CostLine {
  resource: string;
  type: string;
  unitPrice: number;
  quantity: Range;
}

export interface CostSettings {
  /** Region whose prices apply. */
  region: string;
  /** Hours a day GPU nodes run (expected and minimum sizes). */
  gpuHoursPerDay: number;
  /** Fraction off the on-demand price for spot capacity. */
  spotDiscount: number;
  /** Model-server releases a month that run a canary's extra GPU pod (with `delivery.canary.modelServers`). */
  modelServerCanariesPerMonth: number;
  /** Whether the stack creates its cluster (`stack`) or adds to an existing one (`additions`). */
  scope: CostEstimate["scope"];
}

export interface PricingContext {
  prices: RegionPrices;
  settings: CostSettings;
  plan: PlanIndex;
  /** Adds an assumption to the estimate's notes (each once). */
  note(text: string): void;
}

/** Prices one kind of planned resource. */
export interface Pricer {
  /** `cluster`: cloud resources a stack creates with its cluster; `workload`: what any stack adds to a cluster. */
  scope: "cluster" | "workload";
  appliesTo(resource: PlannedResource): boolean;
  lines(resource: PlannedResource, context: PricingContext): CostLine[];
}

const cents = (usd: number) => Math.round(usd * 100);
/** Quantities keep four decimals: enough for fractional hours, few enough to read. */
const roundQuantity = (quantity: number) => Math.round(quantity * 10_000) / 10_000;

/** Runs every pricer over the plan; a stack on an existing cluster is priced for its workload resources only. */
export function estimateCost(resources: PlannedResource[], settings: CostSettings, pricers: Pricer[]): CostEstimate {
  const notes: string[] = [];
  const context: PricingContext = {
    prices: pricesFor(settings.region),
    settings,
    plan: new PlanIndex(resources),
    note: (text) => void (notes.includes(text) || notes.push(text)),
  };
  if (settings.scope === "additions") {
    context.note(`Only what the stack adds to an existing cluster (volumes, load balancers), at ${settings.region} AWS prices; the cluster itself is not priced.`);
  }
  const active = pricers.filter((pricer) => settings.scope === "stack" || pricer.scope === "workload");
  const lines = resources.flatMap((resource) => active.filter((p) => p.appliesTo(resource)).flatMap((p) => p.lines(resource, context)));

  const sums = { min: 0, expected: 0, max: 0 };
  const items = lines.map((line) => {
    const quantity = { min: roundQuantity(line.quantity.min), expected: roundQuantity(line.quantity.expected), max: roundQuantity(line.quantity.max) };
    const monthly = { min: cents(quantity.min * line.unitPrice), expected: cents(quantity.expected * line.unitPrice), max: cents(quantity.max * line.unitPrice) };
    sums.min += monthly.min;
    sums.expected += monthly.expected;
    sums.max += monthly.max;
    return { resource: line.resource, type: line.type, quantity: quantity.expected, unitPrice: line.unitPrice, monthlyUsd: monthly.expected / 100 };
  });
  // Sums are kept in whole cents, so `total` is exactly the sum of the items' `monthlyUsd`.
  return {
    total: sums.expected / 100,
    min: sums.min / 100,
    max: sums.max / 100,
    items,
    pricesAsOf: PRICES_AS_OF,
    region: settings.region,
    scope: settings.scope,
    notes,
  };
}
