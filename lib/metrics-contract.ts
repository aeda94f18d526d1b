/**
 * The metric names the alert rules and dashboards query, in one place. The backend's part is a contract: the
 * backend serves these on `GET /metrics` (port `http`), or the alerts about it can never fire. docs/monitoring.md
 * repeats the table for the people who write the backend.
 */

/** One metric the backend must expose. */
export interface ContractMetric {
  name: string;
  type: "counter" | "histogram" | "gauge";
  /** Labels every series carries; values are free-form unless noted in `help`. */
  labels: readonly string[];
  help: string;
}

/**
 * Upper bounds (seconds) the inference histogram must have at least. The alert thresholds (5 s, 10 s) are bucket
 * bounds, so `histogram_quantile` crosses them exactly instead of interpolating across a wide bucket.
 */
export const INFERENCE_BUCKETS = [0.25, 0.5, 1, 2.5, 5, 7.5, 10, 15, 30, 60] as const;

/**
 * How a request ended: exactly one of these per request, the same in the `outcome` label of
 * `ai_assistant_requests_total`, the `outcome` field of its log line, and what the response said.
 * - `ok`: answered by the model it asked for (or, outside the chat route, a 2xx/3xx answer).
 * - `fallback`: answered, but by a provider of the fallback chain (the mock's canned text included); the HTTP status
 *   is 200, and the request still counts as an error in the alerts.
 * - `client_error`: refused as the client's fault (4xx: bad body, unknown model or path, wrong method, too large,
 *   rate limited by the gateway itself).
 * - `upstream_error`: no provider answered; the response is 4xx/5xx with the kind (UPSTREAM_ERROR_KINDS) as its code.
 * - `interrupted`: a stream broke off after its 200 was sent (the client got an error event, then `[DONE]`).
 * - `aborted`: the client went away before the answer was complete.
 * - `internal_error`: a bug in the gateway turned into a 500 for that request alone.
 * Later outcomes (e.g. `cached`) are added here, and the alert rules and dashboards follow.
 */
/** `cached`: answered from the response cache (docs/shared-state.md) or the semantic cache (docs/knowledge.md), no model called. */
export const REQUEST_OUTCOMES = ["ok", "cached", "fallback", "client_error", "upstream_error", "interrupted", "aborted", "internal_error"] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];

/** Outcomes that count as failures in the error-rate alerts: a fallback answer is a failure of the provider asked. */
export const FAILED_OUTCOMES = ["fallback", "upstream_error", "interrupted", "internal_error"] as const satisfies readonly RequestOutcome[];

/**
 * Why an upstream call failed (`kind` of `ai_assistant_upstream_errors_total`, and of an `upstream_error` outcome):
 * `timeout` (no answer, or a gap in a stream, longer than LLM_TIMEOUT_SECONDS), `rate_limited` (429), `rejected` (the
 * provider refused this request as malformed or too long: 400, 413, 422) and `failed` (anything else: 401/403 from a
 * bad key, 5xx, refused connections, unreadable answers, an open circuit).
 */
export const UPSTREAM_ERROR_KINDS = ["timeout", "rate_limited", "rejected", "failed"] as const;
export type UpstreamErrorKind = (typeof UPSTREAM_ERROR_KINDS)[number];

/** Values of `ai_assistant_circuit_state`: closed (calls go through), half-open (one trial call), open (skipped). */
export const CIRCUIT_STATE_VALUES = { closed: 0, "half-open": 1, open: 2 } as const;

/** HTTP status recorded when the client left before any status was sent (nginx's convention). */
export const CLIENT_CLOSED_STATUS = 499;

/** What the backend must serve. Probe (`/healthz`, `/readyz`) and `/metrics` requests are not counted. */
export const BACKEND_METRICS = {
  requests: {
    name: "ai_assistant_requests_total",
    type: "counter",
    labels: ["route", "status", "outcome"],
    help:
      "HTTP API requests, by route template (/v1/chat/completions, /v1/models, /v1/knowledge/documents and /v1/knowledge/search when the knowledge base is on, other), the HTTP status sent (499 when the client left before one was sent) " +
      `and outcome (${REQUEST_OUTCOMES.join(", ")}). A fallback answer is status 200 with outcome fallback, a stream that broke off is status 200 with outcome interrupted: ` +
      "alerts count errors by outcome, never by status alone.",
  },
  upstreamErrors: {
    name: "ai_assistant_upstream_errors_total",
    type: "counter",
    labels: ["provider", "kind"],
    help: `Failed calls to a model provider, every attempt (retried or not, with a fallback answering or not); kind is one of ${UPSTREAM_ERROR_KINDS.join(", ")}.`,
  },
  retries: {
    name: "ai_assistant_upstream_retries_total",
    type: "counter",
    labels: ["provider"],
    help: "Calls to a model provider repeated after a 429, 5xx or refused connection (LLM_MAX_RETRIES).",
  },
  fallbacks: {
    name: "ai_assistant_fallbacks_total",
    type: "counter",
    labels: ["from", "to"],
    help: "Chat requests answered by a fallback provider: from is the provider of the requested model, to the one that answered.",
  },
  circuitState: {
    name: "ai_assistant_circuit_state",
    type: "gauge",
    labels: ["provider", "upstream"],
    help: "Circuit breaker per upstream (upstream is its base URL without credentials or query): 0 closed, 1 half-open, 2 open.",
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
      "Chat requests meant for an in-cluster model server (LLM_PROVIDER vllm, triton or ollama), whoever answered them; model is the model name the backend routes on. " +
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
  apiKeyRequests: {
    name: "ai_assistant_api_key_requests_total",
    type: "counter",
    labels: ["key"],
    help: "Requests made with a client API key, by the key's configured name (never the key); created at 0 for every configured key.",
  },
  apiKeyTokens: {
    name: "ai_assistant_api_key_tokens_total",
    type: "counter",
    labels: ["key", "kind"],
    help: "Tokens used by the answers to a client API key's requests, by key name; kind is prompt or completion. Answers from the response cache used no tokens and add none.",
  },
  cacheRequests: {
    name: "ai_assistant_cache_requests_total",
    type: "counter",
    labels: ["result"],
    help: "Chat requests the response cache was asked about (those CACHE_MODE makes cacheable); result is hit (answered from the cache, no model call) or miss.",
  },
  cacheSavedTokens: {
    name: "ai_assistant_cache_saved_tokens_total",
    type: "counter",
    labels: ["provider", "model", "kind"],
    help: "Tokens the cache's hits did not buy again: the usage the provider reported for the cached answer, by the provider and model that first answered; kind is prompt or completion.",
  },
  sharedStateErrors: {
    name: "ai_assistant_shared_state_errors_total",
    type: "counter",
    labels: ["operation"],
    help: "Valkey commands that failed or timed out, by operation (limit, spend, cache-get, cache-set); limits then apply VALKEY_FAILURE_POLICY, the cache counts a miss. Created at 0 when Valkey is configured.",
  },
  featureFlagEvaluations: {
    name: "ai_assistant_feature_flag_evaluations_total",
    type: "counter",
    labels: ["flag", "variant", "outcome"],
    help:
      "Feature-flag evaluations of chat requests (FEATURE_FLAGS_FILE set; docs/feature-flags.md), by flag and the variant the request got: on or off for knowledge, responseCache and semanticCache, as-asked or a model name for model. " +
      "outcome is ok, or error (the flag file is missing, unreadable or lacks the flag, or names a model not served): the request then got the default, the stack's own setting, as variant.",
  },
} as const satisfies Record<string, ContractMetric>;

/** Values of the `outcome` label of {@link BACKEND_METRICS.featureFlagEvaluations}. */
export const FLAG_EVALUATION_OUTCOMES = ["ok", "error"] as const;

/** Values of the `outcome` label of {@link BACKEND_METRICS.knowledgeRetrievals}. */
export const KNOWLEDGE_RETRIEVAL_OUTCOMES = ["hit", "miss", "failed"] as const;
/** Buckets of {@link BACKEND_METRICS.knowledgeRetrievalDuration}. */
export const RETRIEVAL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;
/** Values of the `result` label of {@link BACKEND_METRICS.cacheRequests}. */
export const CACHE_RESULTS = ["hit", "miss"] as const;
/** Values of the `operation` label of {@link BACKEND_METRICS.sharedStateErrors}. */
export const SHARED_STATE_OPERATIONS = ["limit", "spend", "cache-get", "cache-set"] as const;

/** Values of the `reason` label of {@link BACKEND_METRICS.localModelRequests}. */
export const LOCAL_MODEL_REQUEST_REASONS = ["served", "asleep", "failed"] as const;

/**
 * vLLM's own metrics on its `/metrics` (Ollama has no such endpoint). Names as v0.30.0 (the pinned image) registers
 * them: vllm/v1/metrics/loggers.py PrometheusStatLogger (labels model_name, engine), and the HTTP counter of
 * prometheus-fastapi-instrumentator (vllm/entrypoints/serve/instrumentator/metrics.py attaches it; read in the
 * v0.30.0 wheel from PyPI, commit ced6857af).
 */
export const VLLM_METRICS = {
  waiting: "vllm:num_requests_waiting",
  running: "vllm:num_requests_running",
  generationTokens: "vllm:generation_tokens_total",
  promptTokens: "vllm:prompt_tokens_total",
  timeToFirstToken: "vllm:time_to_first_token_seconds",
  e2eLatency: "vllm:e2e_request_latency_seconds",
  kvCacheUsage: "vllm:kv_cache_usage_perc",
  /**
   * Requests the engine finished, by `finished_reason` (stop, length, abort, error, repetition; vllm/v1/engine
   * FinishReason): despite its name it counts every finished request. `error` is vLLM's internal request error; on a
   * stream that has sent its 200 already, it is the only trace of the failure.
   */
  requestsFinished: "vllm:request_success_total",
  /**
   * HTTP requests by `handler`, `method` and `status` grouped as 2xx/4xx/5xx (prometheus-fastapi-instrumentator
   * 8.x metrics.default and middleware.py, which vLLM requires >= 8.0.0); /metrics, /health and the like excluded.
   */
  httpRequests: "http_requests_total",
} as const;

/**
 * Triton's own metrics (server docs/user_guide/metrics.md at r26.07), served by its OpenAI frontend's `/metrics`.
 * Per model (labels `model`, `version`) unless noted; the GPU ones per GPU (label `gpu_uuid`), in bytes.
 */
export const TRITON_METRICS = {
  /** Requests enqueued and not yet handed to the backend (a gauge): Triton's queue. */
  pending: "nv_inference_pending_request_count",
  /** Cumulative microseconds requests waited in the scheduling queue (a counter). */
  queueDurationUs: "nv_inference_queue_duration_us",
  /** Failed and successful inference requests (counters). */
  failures: "nv_inference_request_failure",
  successes: "nv_inference_request_success",
  /** Requests received (a counter): the queue time per request divides by its rate. */
  requests: "nv_inference_count",
  gpuMemoryUsed: "nv_gpu_memory_used_bytes",
  gpuMemoryTotal: "nv_gpu_memory_total_bytes",
} as const;

/** NVIDIA DCGM exporter fields (framebuffer sizes are in MiB). */
export const DCGM_METRICS = {
  gpuUtil: "DCGM_FI_DEV_GPU_UTIL",
  fbUsed: "DCGM_FI_DEV_FB_USED",
  fbFree: "DCGM_FI_DEV_FB_FREE",
  gpuTemp: "DCGM_FI_DEV_GPU_TEMP",
  power: "DCGM_FI_DEV_POWER_USAGE",
} as const;

/**
 * redis_exporter's series for Valkey (its metric maps: `maxmemory` -> memory_max_bytes, `evicted_keys` ->
 * evicted_keys_total, `rejected_connections` -> rejected_connections_total, … under the `redis` namespace, seen in
 * oliver006/redis_exporter's exporter source). The exporter runs beside Valkey (components/shared-state/valkey.ts).
 */
export const VALKEY_METRICS = {
  up: "redis_up",
  memoryUsed: "redis_memory_used_bytes",
  memoryMax: "redis_memory_max_bytes",
  evictedKeys: "redis_evicted_keys_total",
  rejectedConnections: "redis_rejected_connections_total",
  commandsProcessed: "redis_commands_processed_total",
  connectedClients: "redis_connected_clients",
} as const;

/** `app.kubernetes.io/name` of Valkey's pods and Services: the scrape target's job label. */
export const VALKEY_NAME = "valkey";

/**
 * The knowledge database's series, from CloudNativePG's instance manager on each Postgres pod's `metrics` port
 * (9187). Names verified in cloudnative-pg/cloudnative-pg v1.30.0: docs/src/monitoring.md (the example scrape:
 * cnpg_collector_up, cnpg_pg_database_size_bytes, …) and the default queries of the chart cloudnative-pg 0.29.0
 * values.yaml `monitoringQueriesConfigMap` (backends -> cnpg_backends_total / _max_tx_duration_seconds,
 * pg_replication -> cnpg_pg_replication_lag / _in_recovery / _is_wal_receiver_up, pg_stat_archiver).
 */
export const CNPG_METRICS = {
  up: "cnpg_collector_up",
  backends: "cnpg_backends_total",
  maxTransactionSeconds: "cnpg_backends_max_tx_duration_seconds",
  replicationLag: "cnpg_pg_replication_lag",
  inRecovery: "cnpg_pg_replication_in_recovery",
  walReceiverUp: "cnpg_pg_replication_is_wal_receiver_up",
  databaseSize: "cnpg_pg_database_size_bytes",
  archiverLastFailed: "cnpg_pg_stat_archiver_last_failed_time",
  archiverLastArchived: "cnpg_pg_stat_archiver_last_archived_time",
  /** Unix time of the newest completed / failed base backup (pkg/management/postgres/webserver/metricserver/pg_collector.go). */
  lastAvailableBackup: "cnpg_collector_last_available_backup_timestamp",
  lastFailedBackup: "cnpg_collector_last_failed_backup_timestamp",
} as const;

/** Name of the knowledge base's CloudNativePG `Cluster`: its pods carry `cnpg.io/cluster: <this>`. */
export const KNOWLEDGE_DATABASE_NAME = "knowledge-db";
/** The label CloudNativePG puts on every pod of a Cluster (pkg/utils/labels_annotations.go ClusterLabelName, v1.30.0). */
export const CNPG_CLUSTER_LABEL = "cnpg.io/cluster";
/** Namespace the stack installs the CloudNativePG operator in (the chart's documented default). */
export const CNPG_NAMESPACE = "cnpg-system";

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
