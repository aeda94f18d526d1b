/** Overview: is the assistant answering, how often does it fail (by outcome), how long do answers take. */
import { THRESHOLDS } from "../alert-rules";
import { BACKEND_METRICS } from "../../../lib/metrics-contract";
import { chatOutcomeRatio, circuitState, errorRatio, inferenceQuantile, requestRate } from "../promql";
import { ROLLOUT_HASH_SERIES_LABEL } from "../../../lib/rollout";
import { dashboard, Dashboard } from "./grafana";
import { DashboardParams, RATE } from "./params";

export function overviewDashboard({ appNamespace: ns }: DashboardParams): Dashboard {
  const requests = BACKEND_METRICS.requests.name;
  const flags = BACKEND_METRICS.featureFlagEvaluations.name;
  const m = BACKEND_METRICS;
  return dashboard("ai-assistant-overview", "AI Assistant / Overview", "Request rate, error rate and inference latency of the backend.", [
    { title: "Request rate", type: "stat", unit: "reqps", queries: [{ expr: requestRate(ns, RATE) }] },
    { title: "Error rate (failed outcomes)", type: "stat", unit: "percentunit", threshold: THRESHOLDS.errorRatioHigh, queries: [{ expr: errorRatio(ns, RATE) }] },
    { title: "Fallback answers", type: "stat", unit: "percentunit", threshold: THRESHOLDS.fallbackRatio, queries: [{ expr: chatOutcomeRatio("fallback", ns, RATE) }] },
    { title: "p95 inference latency", type: "stat", unit: "s", threshold: THRESHOLDS.p95LatencySeconds, queries: [{ expr: inferenceQuantile(0.95, ns, RATE) }] },
    { title: "p99 inference latency", type: "stat", unit: "s", threshold: THRESHOLDS.p99LatencySeconds, queries: [{ expr: inferenceQuantile(0.99, ns, RATE) }] },
    {
      title: "Requests by outcome",
      type: "timeseries",
      unit: "reqps",
      description: "ok, fallback (answered by a fallback provider), client_error, upstream_error, interrupted (stream broke after it started), aborted (client left), internal_error. See docs/monitoring.md.",
      queries: [{ expr: `sum by (outcome) (rate(${requests}{namespace="${ns}"}[${RATE}]))`, legend: "{{outcome}}" }],
    },
    {
      title: "Upstream errors by provider and kind",
      type: "timeseries",
      unit: "reqps",
      description: "Every failed call to a model provider, retried or not; kind is timeout, rate_limited, rejected or failed.",
      queries: [
        { expr: `sum by (provider, kind) (rate(${m.upstreamErrors.name}{namespace="${ns}"}[${RATE}]))`, legend: "{{provider}} {{kind}}" },
        { expr: `sum by (provider) (rate(${m.retries.name}{namespace="${ns}"}[${RATE}]))`, legend: "{{provider}} retries" },
        { expr: `sum by (from, to) (rate(${m.fallbacks.name}{namespace="${ns}"}[${RATE}]))`, legend: "fallback {{from}} → {{to}}" },
      ],
    },
    {
      title: "Circuit state per upstream",
      type: "timeseries",
      unit: "none",
      description: "0 closed, 1 half-open, 2 open (the highest over the backend pods). Alert: not closed for 5 minutes.",
      queries: [{ expr: circuitState(ns), legend: "{{provider}} {{upstream}}" }],
    },
    {
      title: "Interrupted streams",
      type: "timeseries",
      unit: "percentunit",
      threshold: THRESHOLDS.interruptedRatio,
      queries: [{ expr: chatOutcomeRatio("interrupted", ns, RATE), legend: "interrupted share" }],
    },
    {
      title: "Requests by status",
      type: "timeseries",
      unit: "reqps",
      queries: [{ expr: `sum by (status) (rate(${requests}{namespace="${ns}"}[${RATE}]))`, legend: "{{status}}" }],
    },
    {
      title: "Error rate",
      type: "timeseries",
      unit: "percentunit",
      threshold: THRESHOLDS.errorRatioHigh,
      description: "Failed outcomes (fallback, upstream_error, interrupted, internal_error) over all requests. Alerts: above 5% for 5 minutes (warning), above 10% for 1 minute (critical).",
      queries: [{ expr: errorRatio(ns, RATE), legend: "failed share" }],
    },
    {
      title: "Error rate by rollout revision",
      type: "timeseries",
      unit: "percentunit",
      threshold: THRESHOLDS.errorRatioHigh,
      description:
        "The error rate per pod-template hash: during an Argo Rollouts canary (docs/delivery.md) one line for the canary and one for the stable pods, the canary's being what its analysis judges; one line otherwise.",
      queries: [{ expr: errorRatio(ns, RATE, "", ["namespace", ROLLOUT_HASH_SERIES_LABEL]), legend: `{{${ROLLOUT_HASH_SERIES_LABEL}}}` }],
    },
    {
      title: "Inference latency",
      type: "timeseries",
      unit: "s",
      threshold: THRESHOLDS.p95LatencySeconds,
      description: "Alerts: p95 above 5 s for 2 minutes (warning), p99 above 10 s for 1 minute (critical).",
      queries: [
        { expr: inferenceQuantile(0.5, ns, RATE), legend: "p50" },
        { expr: inferenceQuantile(0.95, ns, RATE), legend: "p95" },
        { expr: inferenceQuantile(0.99, ns, RATE), legend: "p99" },
      ],
    },
    {
      title: "Requests by route",
      type: "timeseries",
      unit: "reqps",
      queries: [{ expr: `sum by (route) (rate(${requests}{namespace="${ns}"}[${RATE}]))`, legend: "{{route}}" }],
    },
    {
      title: "Feature-flag variants",
      type: "timeseries",
      unit: "reqps",
      description: "Chat requests by feature flag and the variant they got (docs/feature-flags.md): a rollout's share shows here. Empty without `features` in the stack.",
      queries: [{ expr: `sum by (flag, variant) (rate(${flags}{namespace="${ns}", outcome="ok"}[${RATE}]))`, legend: "{{flag}} {{variant}}" }],
    },
    {
      title: "Feature-flag errors",
      type: "timeseries",
      unit: "reqps",
      description: "Evaluations that fell back to the default (the flag file missing or unreadable, a flag absent from it, a model not served); the backend logs why.",
      queries: [{ expr: `sum by (flag) (rate(${flags}{namespace="${ns}", outcome="error"}[${RATE}]))`, legend: "{{flag}}" }],
    },
  ]);
}
