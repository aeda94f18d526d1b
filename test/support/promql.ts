/** Just enough PromQL reading for tests: the metric names an expression selects. */
import { BACKEND_METRICS, CLUSTER_METRICS, DCGM_METRICS, TRITON_METRICS, VALKEY_METRICS, CNPG_METRICS, VLLM_METRICS } from "../../lib/metrics-contract";

const KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset"]);

/** Metric names selected by `expr` (histogram series reduced to their base name). */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, "") // label matchers
    .replace(/\[[^\]]*\]/g, "") // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "") // grouping label lists
    .replace(/[a-zA-Z_][a-zA-Z0-9_]*\s*\(/g, "("); // function calls
  const names = stripped.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return [...new Set(names.filter((name) => !KEYWORDS.has(name)).map((name) => name.replace(/_bucket$/, "")))];
}

/** Every metric name the contract module knows: the backend's, vLLM's, DCGM's and the cluster's. */
export const KNOWN_METRICS = new Set<string>([
  ...Object.values(BACKEND_METRICS).map((m) => m.name),
  ...Object.values(VLLM_METRICS),
  ...Object.values(TRITON_METRICS),
  ...Object.values(DCGM_METRICS),
  ...Object.values(CLUSTER_METRICS),
  ...Object.values(VALKEY_METRICS),
  ...Object.values(CNPG_METRICS),
  "up",
  "ALERTS",
]);
