/** Model server: throughput, time to first token and queue of vLLM; backend-reported tokens for every engine. */
import { THRESHOLDS } from "../alert-rules";
import { BACKEND_METRICS, CLUSTER_METRICS, VLLM_METRICS } from "../../../lib/metrics-contract";
import { modelServerPods, vllmEngineErrorRatio, vllmHttpErrorRatio, vllmTimeToFirstTokenQuantile } from "../promql";
import { ROLLOUT_HASH_SERIES_LABEL } from "../../../lib/rollout";
import { dashboard, Dashboard } from "./grafana";
import { DashboardParams, RATE } from "./params";

export function modelServerDashboard({ appNamespace: ns }: DashboardParams): Dashboard {
  const v = VLLM_METRICS;
  const sel = `{namespace="${ns}"}`;
  const ttft = (q: number) => vllmTimeToFirstTokenQuantile(q, ns, RATE, { by: ["model_name"] });
  return dashboard(
    "ai-assistant-model-server",
    "AI Assistant / Model server",
    "vLLM throughput, time to first token and queue (Ollama exposes none of these; see docs/monitoring.md).",
    [
      {
        title: "Ready model-server pods",
        type: "stat",
        unit: "short",
        queries: [{ expr: `count((${CLUSTER_METRICS.podReady}{namespace="${ns}", condition="true"} == 1) and on (namespace, pod) ${modelServerPods(ns)})` }],
      },
      { title: "Generated tokens/s", type: "stat", unit: "short", queries: [{ expr: `sum(rate(${v.generationTokens}${sel}[${RATE}]))` }] },
      { title: "Queued requests", type: "stat", unit: "short", threshold: THRESHOLDS.queuedRequests, queries: [{ expr: `sum(${v.waiting}${sel})` }] },
      { title: "p95 time to first token", type: "stat", unit: "s", queries: [{ expr: `max(${ttft(0.95)})` }] },
      {
        title: "Tokens per second",
        type: "timeseries",
        unit: "short",
        description: "vLLM's own counters, and the completion tokens the backend reports for any engine or hosted API.",
        queries: [
          { expr: `sum by (model_name) (rate(${v.generationTokens}${sel}[${RATE}]))`, legend: "vLLM generated {{model_name}}" },
          { expr: `sum by (model_name) (rate(${v.promptTokens}${sel}[${RATE}]))`, legend: "vLLM prompt {{model_name}}" },
          {
            expr: `sum by (provider, model) (rate(${BACKEND_METRICS.tokens.name}{namespace="${ns}", kind="completion"}[${RATE}]))`,
            legend: "backend {{provider}} {{model}}",
          },
        ],
      },
      {
        title: "Time to first token",
        type: "timeseries",
        unit: "s",
        queries: [
          { expr: ttft(0.5), legend: "p50 {{model_name}}" },
          { expr: ttft(0.95), legend: "p95 {{model_name}}" },
        ],
      },
      {
        title: "Queue",
        type: "timeseries",
        unit: "short",
        threshold: THRESHOLDS.queuedRequests,
        description: "Alert: more than 10 requests waiting for 5 minutes.",
        queries: [
          { expr: `sum by (model_name) (${v.waiting}${sel})`, legend: "waiting {{model_name}}" },
          { expr: `sum by (model_name) (${v.running}${sel})`, legend: "running {{model_name}}" },
        ],
      },
      {
        title: "KV cache usage",
        type: "timeseries",
        unit: "percentunit",
        queries: [{ expr: `max by (model_name) (${v.kvCacheUsage}${sel})`, legend: "{{model_name}}" }],
      },
      {
        title: "Requests for the local model, by who answered",
        type: "timeseries",
        unit: "reqps",
        description: "served: the local model answered; asleep: it was scaled to zero or still waking, and the fallback answered; failed: it erred, and the fallback answered.",
        queries: [{ expr: `sum by (reason) (rate(${BACKEND_METRICS.localModelRequests.name}{namespace="${ns}"}[${RATE}]))`, legend: "{{reason}}" }],
      },
      {
        title: "vLLM errors by rollout revision",
        type: "timeseries",
        unit: "percentunit",
        description:
          "5xx answers and requests vLLM's engine ended with an error, per server and pod-template hash: during a model-server canary (docs/delivery.md) one line each for the canary and the stable pods, the canary's being what its analysis judges.",
        queries: [
          { expr: vllmHttpErrorRatio(ns, RATE, { by: ["namespace", "service", ROLLOUT_HASH_SERIES_LABEL] }), legend: `5xx {{service}} {{${ROLLOUT_HASH_SERIES_LABEL}}}` },
          { expr: vllmEngineErrorRatio(ns, RATE, { by: ["namespace", "service", ROLLOUT_HASH_SERIES_LABEL] }), legend: `engine errors {{service}} {{${ROLLOUT_HASH_SERIES_LABEL}}}` },
        ],
      },
      {
        title: "vLLM request latency",
        type: "timeseries",
        unit: "s",
        queries: [{ expr: `histogram_quantile(0.95, sum by (model_name, le) (rate(${v.e2eLatency}_bucket${sel}[${RATE}])))`, legend: "p95 {{model_name}}" }],
      },
    ],
  );
}
