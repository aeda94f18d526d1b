/**
 * Cost: GPU-hours and what they cost. GPUs are counted from the nodes' capacity (kube-state-metrics), because an
 * idle GPU costs as much as a busy one; DCGM's utilisation shows how much of that is put to use.
 */
import { BACKEND_METRICS, DCGM_METRICS, VLLM_METRICS } from "../../../lib/metrics-contract";
import { cacheHitRatio } from "./shared-state";
import { GPU_CAPACITY } from "../promql";
import { dashboard, Dashboard } from "./grafana";
import { DashboardParams, RATE } from "./params";

/** Share of the semantic cache's lookups over `window` that answered again from an earlier answer. */
export function semanticCacheHitRatio(ns: string, window: string): string {
  const lookups = BACKEND_METRICS.semanticCache.name;
  return `sum(rate(${lookups}{namespace="${ns}", result="hit"}[${window}])) / sum(rate(${lookups}{namespace="${ns}"}[${window}]))`;
}

/** Hours in an average month, for the monthly projection. */
const HOURS_PER_MONTH = 730;

/** USD the cache's hits saved over `window`, at the hosted API's prices (tokens the hosted provider first answered). */
export function cacheSavingsUsd(ns: string, window: string, prices: NonNullable<DashboardParams["tokenPrices"]>): string {
  const saved = (kind: string) => `sum(increase(${BACKEND_METRICS.cacheSavedTokens.name}{namespace="${ns}", provider="${prices.provider}", kind="${kind}"}[${window}]))`;
  return `(${saved("prompt")} * ${prices.prompt} + ${saved("completion")} * ${prices.completion}) / 1e6`;
}

export function costDashboard({ appNamespace: ns, gpuHourlyCostUsd: price, tokenPrices }: DashboardParams): Dashboard {
  // One sample per hour over the dashboard's range: each counts the GPUs present in that hour.
  const gpuHours = `sum_over_time(${GPU_CAPACITY}[$__range:1h])`;
  return dashboard(
    "ai-assistant-cost",
    "AI Assistant / Cost",
    `GPU-hours and estimated GPU spend at $${price} per GPU-hour (config monitoring.gpuHourlyCostUsd); control plane, CPU nodes and hosted APIs are not included.`,
    [
      { title: "GPUs in the cluster", type: "stat", unit: "short", queries: [{ expr: GPU_CAPACITY }] },
      { title: "GPU-hours in range", type: "stat", unit: "short", queries: [{ expr: gpuHours }] },
      { title: "Estimated GPU spend in range", type: "stat", unit: "currencyUSD", queries: [{ expr: `${gpuHours} * ${price}` }] },
      { title: "Projected monthly GPU spend", type: "stat", unit: "currencyUSD", queries: [{ expr: `${GPU_CAPACITY} * ${price} * ${HOURS_PER_MONTH}` }] },
      {
        title: "GPUs paid for and GPUs busy",
        type: "timeseries",
        unit: "short",
        description: "The gap between the lines is idle capacity that is paid for anyway.",
        queries: [
          { expr: GPU_CAPACITY, legend: "GPUs on nodes" },
          { expr: `sum(${DCGM_METRICS.gpuUtil}) / 100`, legend: "GPU-equivalents busy" },
        ],
      },
      {
        title: "GPU cost per 1k generated tokens",
        type: "timeseries",
        unit: "currencyUSD",
        queries: [{ expr: `(${GPU_CAPACITY} * ${price} / 3600) / (sum(rate(${VLLM_METRICS.generationTokens}{namespace="${ns}"}[${RATE}])) / 1000)`, legend: "USD per 1k tokens" }],
      },
      { title: "Spend rate", type: "timeseries", unit: "currencyUSD", width: 24, queries: [{ expr: `${GPU_CAPACITY} * ${price}`, legend: "USD per hour" }] },
      // The response cache: each hit is a model call not made (docs/shared-state.md).
      { title: "Cache hit rate in range", type: "stat", unit: "percentunit", queries: [{ expr: cacheHitRatio(ns, "$__range") }] },
      // The semantic cache (docs/knowledge.md): a hit answers a question close enough to an earlier one, without a model call.
      { title: "Semantic cache hit rate in range", type: "stat", unit: "percentunit", queries: [{ expr: semanticCacheHitRatio(ns, "$__range") }] },
      {
        title: "Tokens the cache saved in range",
        type: "stat",
        unit: "short",
        queries: [{ expr: `sum(increase(${BACKEND_METRICS.cacheSavedTokens.name}{namespace="${ns}"}[$__range]))` }],
      },
      ...(tokenPrices
        ? [
            {
              title: "Hosted API spend the cache saved in range",
              type: "stat" as const,
              unit: "currencyUSD",
              description: `At ${tokenPrices.provider}'s $${tokenPrices.prompt} (prompt) and $${tokenPrices.completion} (completion) per million tokens (config hostedApi.usdPerMillionTokens).`,
              queries: [{ expr: cacheSavingsUsd(ns, "$__range", tokenPrices) }],
            },
          ]
        : []),
    ],
  );
}
