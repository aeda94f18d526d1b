/** Overview: is the assistant answering, how often does it fail, how long do answers take. */
import { THRESHOLDS } from "../alert-rules";
import { BACKEND_METRICS } from "../../../lib/metrics-contract";
import { errorRatio, inferenceQuantile, requestRate } from "../promql";
import { dashboard, Dashboard } from "./grafana";
import { DashboardParams, RATE } from "./params";

export function overviewDashboard({ appNamespace: ns }: DashboardParams): Dashboard {
  const requests = BACKEND_METRICS.requests.name;
  return dashboard("ai-assistant-overview", "AI Assistant / Overview", "Request rate, error rate and inference latency of the backend.", [
    { title: "Request rate", type: "stat", unit: "reqps", queries: [{ expr: requestRate(ns, RATE) }] },
    { title: "Error rate (5xx)", type: "stat", unit: "percentunit", threshold: THRESHOLDS.errorRatioHigh, queries: [{ expr: errorRatio(ns, RATE) }] },
    { title: "p95 inference latency", type: "stat", unit: "s", threshold: THRESHOLDS.p95LatencySeconds, queries: [{ expr: inferenceQuantile(0.95, ns, RATE) }] },
    { title: "p99 inference latency", type: "stat", unit: "s", threshold: THRESHOLDS.p99LatencySeconds, queries: [{ expr: inferenceQuantile(0.99, ns, RATE) }] },
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
      description: "Alerts: above 5% for 5 minutes (warning), above 10% for 1 minute (critical).",
      queries: [{ expr: errorRatio(ns, RATE), legend: "5xx share" }],
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
  ]);
}
