/**
 * The metric names the alert rules and dashboards query, in one place. The backend's part is a contract: the
 * backend serves these on `GET /metrics` (port `http`), or the alerts about it can never fire. docs/monitoring.md
 * repeats the table for the people who write the backend.
 */

/** One metric the backend must expose. */
export interface ContractMetric {
  name: string;
  type: "counter" | "histogram";
  /** Labels every series carries; values are free-form unless noted in `help`. */
  labels: readonly string[];
  help: string;
}

/**
 * Upper bounds (seconds) the inference histogram must have at least. The alert thresholds (5 s, 10 s) are bucket
 * bounds, so `histogram_quantile` crosses them exactly instead of interpolating across a wide bucket.
 */
export const INFERENCE_BUCKETS = [0.25, 0.5, 1, 2.5, 5, 7.5, 10, 15, 30, 60] as const;

/** What the backend must serve. Probe (`/healthz`, `/readyz`) and `/metrics` requests are not counted. */
export const BACKEND_METRICS = {
  requests: {
    name: "ai_assistant_requests_total",
    type: "counter",
    labels: ["route", "status"],
    help: "HTTP API requests answered, by route template (/api/chat) and HTTP status code (200, 503). 5xx counts as an error.",
  },
  inferenceDuration: {
    name: "ai_assistant_inference_duration_seconds",
    type: "histogram",
    labels: ["provider", "model"],
    help: `Time from a chat request's arrival to the last byte of its answer, mock and fallback answers included. Buckets include ${INFERENCE_BUCKETS.join(", ")}.`,
  },
  tokens: {
    name: "ai_assistant_tokens_total",
    type: "counter",
    labels: ["provider", "model", "kind"],
    help: "Tokens exchanged with the language model; kind is prompt or completion (from the provider's usage report, or Ollama's eval_count).",
  },
  localModelRequests: {
    name: "ai_assistant_local_model_requests_total",
    type: "counter",
    labels: ["model", "reason"],
    help:
      "Chat requests meant for an in-cluster model server (LLM_PROVIDER vllm or ollama), whoever answered them; model is the model name the backend routes on. " +
      "reason says what happened: served (the local model answered), asleep (it was scaled to zero or not ready yet: connection refused, no endpoints, 503; the fallback answered), failed (it answered with another error; the fallback answered). " +
      "KEDA wakes a sleeping model server on this counter's rate, so it must count a request before the fallback is tried.",
  },
  knowledgeRetrievals: {
    name: "ai_assistant_knowledge_retrievals_total",
    type: "counter",
    labels: ["outcome"],
    help: "Knowledge-base lookups for chat requests; outcome is hit (passages above the similarity threshold were put before the question), miss (none was close enough) or failed (the database or the embedder failed; the question was answered without sources).",
  },
  knowledgeRetrievalDuration: {
    name: "ai_assistant_knowledge_retrieval_duration_seconds",
    type: "histogram",
    labels: [],
    help: "Time to embed a question and find its nearest passages, failures included.",
  },
  semanticCache: {
    name: "ai_assistant_semantic_cache_requests_total",
    type: "counter",
    labels: ["result"],
    help: "Chat requests the semantic cache was asked about; result is hit (an earlier answer to a question this close was sent again) or miss.",
  },
} as const satisfies Record<string, ContractMetric>;

/** Values of the `outcome` label of {@link BACKEND_METRICS.knowledgeRetrievals}. */
export const KNOWLEDGE_RETRIEVAL_OUTCOMES = ["hit", "miss", "failed"] as const;
/** Buckets of {@link BACKEND_METRICS.knowledgeRetrievalDuration}. */
export const RETRIEVAL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;

/** Values of the `reason` label of {@link BACKEND_METRICS.localModelRequests}. */
export const LOCAL_MODEL_REQUEST_REASONS = ["served", "asleep", "failed"] as const;

/** vLLM's own metrics on its `/metrics` (Ollama has no such endpoint). */
export const VLLM_METRICS = {
  waiting: "vllm:num_requests_waiting",
  running: "vllm:num_requests_running",
  generationTokens: "vllm:generation_tokens_total",
  promptTokens: "vllm:prompt_tokens_total",
  timeToFirstToken: "vllm:time_to_first_token_seconds",
  e2eLatency: "vllm:e2e_request_latency_seconds",
  kvCacheUsage: "vllm:kv_cache_usage_perc",
} as const;

/** NVIDIA DCGM exporter fields (framebuffer sizes are in MiB). */
export const DCGM_METRICS = {
  gpuUtil: "DCGM_FI_DEV_GPU_UTIL",
  fbUsed: "DCGM_FI_DEV_FB_USED",
  fbFree: "DCGM_FI_DEV_FB_FREE",
  gpuTemp: "DCGM_FI_DEV_GPU_TEMP",
  power: "DCGM_FI_DEV_POWER_USAGE",
} as const;

/** kube-state-metrics, node-exporter and kubelet series the chart scrapes out of the box. */
export const CLUSTER_METRICS = {
  podReady: "kube_pod_status_ready",
  /** Needs the pod labels on the kube-state-metrics allowlist; lib/monitoring-values.ts sets it. */
  podLabels: "kube_pod_labels",
  nodeCapacity: "kube_node_status_capacity",
  memAvailable: "node_memory_MemAvailable_bytes",
  memTotal: "node_memory_MemTotal_bytes",
  fsAvailable: "node_filesystem_avail_bytes",
  fsSize: "node_filesystem_size_bytes",
  volumeUsed: "kubelet_volume_stats_used_bytes",
  volumeCapacity: "kubelet_volume_stats_capacity_bytes",
  nodeCpu: "node_cpu_seconds_total",
  containerCpu: "container_cpu_usage_seconds_total",
  containerMemory: "container_memory_working_set_bytes",
  restarts: "kube_pod_container_status_restarts_total",
} as const;

/** Pod labels kube-state-metrics copies into `kube_pod_labels` (as label_app_kubernetes_io_name, …). */
export const ALLOWLISTED_POD_LABELS = ["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component"] as const;

/** `app.kubernetes.io/name` of the model server's pods and Services (set by the local-model phase). */
export const MODEL_SERVER_NAME = "model-server";
