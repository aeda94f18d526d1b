/** The estimate of one rendered stack, with the settings its config gives (config/cost.ts). */
import { parseStackConfig } from "../../config/load";
import { ParsedStackConfig } from "../../config/schema";
import type { RenderResult } from "../render";
import { CLUSTER_PRICERS } from "./cluster-pricers";
import { CostEstimate, CostSettings, estimateCost, Pricer } from "./estimate";
import { karpenterNodePool } from "./karpenter-pricer";
import { KUBERNETES_PRICERS } from "./kubernetes-pricers";

export const PRICERS: Pricer[] = [...CLUSTER_PRICERS, karpenterNodePool, ...KUBERNETES_PRICERS];

/** What an existing cluster's additions are priced as when the stack names no region. */
export const DEFAULT_ADDITIONS_REGION = "us-west-2";

export function costSettings(config: ParsedStackConfig): CostSettings {
  const eks = config.cluster.type === "eks";
  return {
    region: config.cluster.type === "eks" ? config.cluster.region : config.cost.region ?? DEFAULT_ADDITIONS_REGION,
    gpuHoursPerDay: config.cost.gpuHoursPerDay,
    spotDiscount: config.cost.spotDiscount,
    modelServerCanariesPerMonth: config.cost.modelServerCanariesPerMonth,
    scope: eks ? "stack" : "additions",
  };
}

/**
 * Estimates a render from the same config it was rendered with (full keys, `ai-assistant:…`, as the engine passes
 * them). The config has passed validation in the render already; this reads it through the one config reader.
 */
export function stackCost(result: RenderResult, config: Record<string, string>): CostEstimate {
  const prefix = "ai-assistant:";
  const values = Object.fromEntries(Object.entries(config).filter(([key]) => key.startsWith(prefix)).map(([key, value]) => [key.slice(prefix.length), value]));
  const parsed = parseStackConfig({ values, secretKeys: new Set() }, result.stack);
  return estimateCost(result.resources, costSettings(parsed), PRICERS);
}
