/**
 * Shared state (docs/shared-state.md): the response cache's hit rate and the tokens it saved, Valkey's memory against
 * its maxmemory, its operations, evictions and clients, failed Valkey commands, and usage per client API key.
 */
import { THRESHOLDS } from "../alert-rules";
import { BACKEND_METRICS, VALKEY_METRICS } from "../../../lib/metrics-contract";
import { dashboard, Dashboard } from "./grafana";
import { DashboardParams, RATE } from "./params";

/** Share of cacheable requests answered from the cache (NaN, shown as no data, while there are none). */
export function cacheHitRatio(ns: string, window: string): string {
  const lookups = BACKEND_METRICS.cacheRequests.name;
  return `sum(rate(${lookups}{namespace="${ns}", result="hit"}[${window}])) / sum(rate(${lookups}{namespace="${ns}"}[${window}]))`;
}

export function sharedStateDashboard({ appNamespace: ns }: DashboardParams): Dashboard {
  const m = BACKEND_METRICS;
  const V = VALKEY_METRICS;
  const sel = `{namespace="${ns}"}`;
  return dashboard("ai-assistant-shared-state", "AI Assistant / Shared state", "Response cache, Valkey, and usage per client API key.", [
    { title: "Cache hit rate", type: "stat", unit: "percentunit", queries: [{ expr: cacheHitRatio(ns, "$__range") }] },
    { title: "Tokens saved in range", type: "stat", unit: "short", queries: [{ expr: `sum(increase(${m.cacheSavedTokens.name}${sel}[$__range]))` }] },
    { title: "Valkey memory used", type: "stat", unit: "percentunit", threshold: THRESHOLDS.valkeyMemoryUsedRatio, queries: [{ expr: `max(${V.memoryUsed}${sel}) / max(${V.memoryMax}${sel} > 0)` }] },
    { title: "Failed Valkey commands (1h)", type: "stat", unit: "short", threshold: 1, queries: [{ expr: `sum(increase(${m.sharedStateErrors.name}${sel}[1h]))` }] },
    {
      title: "Cache hits and misses",
      type: "timeseries",
      unit: "reqps",
      queries: [{ expr: `sum by (result) (rate(${m.cacheRequests.name}${sel}[${RATE}]))`, legend: "{{result}}" }],
    },
    {
      title: "Valkey memory",
      type: "timeseries",
      unit: "bytes",
      queries: [
        { expr: `max(${V.memoryUsed}${sel})`, legend: "used" },
        { expr: `max(${V.memoryMax}${sel})`, legend: "maxmemory" },
      ],
    },
    { title: "Valkey operations", type: "timeseries", unit: "ops", queries: [{ expr: `sum(rate(${V.commandsProcessed}${sel}[${RATE}]))`, legend: "commands/s" }] },
    {
      title: "Valkey evictions and clients",
      type: "timeseries",
      unit: "short",
      description: "Evictions drop cache entries and rate-limit buckets early; clients are the backend replicas' connections.",
      queries: [
        { expr: `sum(rate(${V.evictedKeys}${sel}[${RATE}]))`, legend: "evicted keys/s" },
        { expr: `sum(${V.connectedClients}${sel})`, legend: "clients" },
      ],
    },
    {
      title: "Failed Valkey commands by operation",
      type: "timeseries",
      unit: "ops",
      description: "Limits then follow valkey.failurePolicy (open: each replica alone; closed: 503); the cache counts a miss.",
      queries: [{ expr: `sum by (operation) (rate(${m.sharedStateErrors.name}${sel}[${RATE}]))`, legend: "{{operation}}" }],
    },
    { title: "Requests by API key", type: "timeseries", unit: "reqps", queries: [{ expr: `sum by (key) (rate(${m.apiKeyRequests.name}${sel}[${RATE}]))`, legend: "{{key}}" }] },
    {
      title: "Tokens by API key",
      type: "timeseries",
      unit: "short",
      width: 24,
      queries: [{ expr: `sum by (key, kind) (rate(${m.apiKeyTokens.name}${sel}[${RATE}])) * 60`, legend: "{{key}} {{kind}} per minute" }],
    },
  ]);
}
