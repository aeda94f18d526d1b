/**
 * Cost: GPU-hours and what they cost. GPUs are counted from the nodes' capacity (kube-state-metrics), because an
 * idle GPU costs as much as a busy one; DCGM's utilisation shows how much of that is put to use.
 */
import { DCGM_METRICS, VLLM_METRICS } from "../../../lib/metrics-contract";
import { GPU_CAPACITY } from "../promql";
import { dashboard, Dashboard } from "./grafana";
import { DashboardParams, RATE } from "./params";

/** Hours in an average month, for the monthly projection. */
const HOURS_PER_MONTH = 730;

export function costDashboard({ appNamespace: ns, gpuHourlyCostUsd: price }: DashboardParams): Dashboard {
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
    ],
  );
}
