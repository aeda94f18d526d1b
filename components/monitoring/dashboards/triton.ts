/**
 * Triton detail: its queue, queue time, failures and GPU memory, from Triton's own metrics (server
 * docs/user_guide/metrics.md). The source documents chart GPU memory as `nv_gpu_memory_used_mb / _total_mb`;
 * current Triton releases publish `nv_gpu_memory_used_bytes` and `nv_gpu_memory_total_bytes`, used here.
 */
import { THRESHOLDS } from "../alert-rules";
import { BACKEND_METRICS, TRITON_METRICS } from "../../../lib/metrics-contract";
import { dashboard, Dashboard } from "./grafana";
import { DashboardParams, RATE } from "./params";

export function tritonDashboard({ appNamespace: ns }: DashboardParams): Dashboard {
  const m = TRITON_METRICS;
  const sel = `{namespace="${ns}"}`;
  const perModel = (metric: string) => `sum by (model) (rate(${metric}${sel}[${RATE}]))`;
  const gpuMemoryRatio = `max by (pod, gpu_uuid) (${m.gpuMemoryUsed}${sel} / ${m.gpuMemoryTotal}${sel})`;
  return dashboard(
    "ai-assistant-triton",
    "AI Assistant / Triton detail",
    "Triton Inference Server: queue, time in queue, failed inferences and GPU memory, per model (its repository name) and GPU. Empty unless localModel.engine is triton.",
    [
      { title: "Pending requests", type: "stat", unit: "short", threshold: THRESHOLDS.queuedRequests, queries: [{ expr: `sum(${m.pending}${sel})` }] },
      { title: "Inferences/s", type: "stat", unit: "reqps", queries: [{ expr: `sum(rate(${m.successes}${sel}[${RATE}]))` }] },
      {
        title: "Failed inference ratio",
        type: "stat",
        unit: "percentunit",
        threshold: THRESHOLDS.tritonFailureRatio,
        queries: [{ expr: `sum(rate(${m.failures}${sel}[${RATE}])) / (sum(rate(${m.failures}${sel}[${RATE}])) + sum(rate(${m.successes}${sel}[${RATE}])))` }],
      },
      { title: "Highest GPU memory used", type: "stat", unit: "percentunit", threshold: THRESHOLDS.gpuMemoryUsedRatio, queries: [{ expr: `max(${gpuMemoryRatio})` }] },
      {
        title: "Queue",
        type: "timeseries",
        unit: "short",
        description: "Requests Triton has enqueued and not yet handed to the vLLM backend: what KEDA scales on (nv_inference_pending_request_count).",
        queries: [{ expr: `sum by (model) (${m.pending}${sel})`, legend: "pending {{model}}" }],
      },
      {
        title: "Time in queue per request",
        type: "timeseries",
        unit: "s",
        threshold: THRESHOLDS.tritonQueueSeconds,
        description: "Alert: above 1 s on average for 5 minutes.",
        queries: [{ expr: `(${perModel(m.queueDurationUs)} / 1000000) / ${perModel(m.successes)}`, legend: "{{model}}" }],
      },
      {
        title: "Inferences, succeeded and failed",
        type: "timeseries",
        unit: "reqps",
        description: "Alert: more than 5% failed over 5 minutes.",
        queries: [
          { expr: perModel(m.successes), legend: "succeeded {{model}}" },
          { expr: perModel(m.failures), legend: "failed {{model}}" },
        ],
      },
      {
        title: "GPU memory used",
        type: "timeseries",
        unit: "percentunit",
        threshold: THRESHOLDS.gpuMemoryUsedRatio,
        description: "Triton's own view of each GPU (used / total bytes); vLLM reserves about 90% by design.",
        queries: [{ expr: gpuMemoryRatio, legend: "{{pod}} {{gpu_uuid}}" }],
      },
      {
        title: "Completion tokens the backend counted for Triton",
        type: "timeseries",
        unit: "short",
        queries: [{ expr: `sum by (model) (rate(${BACKEND_METRICS.tokens.name}{namespace="${ns}", provider="triton", kind="completion"}[${RATE}]))`, legend: "{{model}}" }],
      },
    ],
  );
}
