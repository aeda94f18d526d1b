/**
 * The alert rules, as plain objects: the single source of both the PrometheusRule the stack deploys and the rules
 * file `promtool` checks and unit-tests (tools/promtool.ts). Thresholds and durations of the brief's table are kept
 * exactly; the model-server and GPU alerts are ours. Annotations use only `{{ $labels.<name> }}` and
 * `{{ $value | <humanize function> }}`, which the promtool test cases expand to predict the exact text.
 */
import { BACKEND_METRICS, CLUSTER_METRICS, CNPG_METRICS, TRITON_METRICS, VALKEY_METRICS, VLLM_METRICS } from "../../lib/metrics-contract";
import { chatOutcomeRatio, circuitState, errorRatio, filesystemUsedRatio, gpuMemoryUsedRatio, inferenceQuantile, modelServerPods, nodeMemoryUsedRatio, volumeUsedRatio } from "./promql";

export type Severity = "warning" | "critical";

/** One Prometheus alerting rule, in the rules-file (and PrometheusRule spec) shape. */
export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: Severity };
  annotations: { summary: string; description: string };
}

export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

export interface AlertRuleParams {
  /** Namespace the assistant runs in: the backend and model-server alerts look at it only. */
  appNamespace: string;
  /** Age of the newest knowledge database backup past which `KnowledgeBackupTooOld` fires (`knowledge.backup.maxAgeHours`). */
  knowledgeBackupMaxAgeHours?: number;
}

/** `knowledge.backup.maxAgeHours`'s default: a daily schedule and two hours for the backup to run. */
export const DEFAULT_BACKUP_MAX_AGE_HOURS = 26;

/** The thresholds: the brief's table (latency in seconds, ratios as fractions), then ours. */
export const THRESHOLDS = {
  p95LatencySeconds: 5,
  p99LatencySeconds: 10,
  errorRatioHigh: 0.05,
  errorRatioCritical: 0.1,
  memoryUsedRatio: 0.9,
  diskUsedRatio: 0.85,
  queuedRequests: 10,
  gpuMemoryUsedRatio: 0.95,
  knowledgeRetrievalFailedRatio: 0.1,
  /** CloudNativePG's sample rules: replication lag (PGReplication) and transaction age (LongRunningTransaction). */
  knowledgeReplicationLagSeconds: 300,
  knowledgeTransactionSeconds: 300,
  valkeyMemoryUsedRatio: 0.9,
  fallbackRatio: 0.1,
  interruptedRatio: 0.02,
  /** Triton: mean time a request waits in its scheduling queue before its vLLM backend takes it. */
  tritonQueueSeconds: 1,
  /** Triton: share of inference requests that fail. */
  tritonFailureRatio: 0.05,
} as const;

const T = THRESHOLDS;

/** Window of every rate() in a rule; ten scrapes at the 30 s interval, so one slow request does not page anyone. */
export const RULE_RATE_WINDOW = "5m";

function rule(alert: string, severity: Severity, duration: string, expr: string, summary: string, description: string): AlertRule {
  return { alert, expr, for: duration, labels: { severity }, annotations: { summary, description } };
}

function inferenceLatency({ appNamespace: ns }: AlertRuleParams): RuleGroup {
  return {
    name: "ai-assistant.inference-latency",
    rules: [
      rule(
        "InferenceLatencyHigh",
        "warning",
        "2m",
        `${inferenceQuantile(0.95, ns, RULE_RATE_WINDOW)} > ${T.p95LatencySeconds}`,
        "p95 inference latency above 5 s in {{ $labels.namespace }}",
        "The 95th percentile of chat answer time is {{ $value | humanizeDuration }} (threshold 5s) and has been above 5 s for 2 minutes.",
      ),
      rule(
        "InferenceLatencyCritical",
        "critical",
        "1m",
        `${inferenceQuantile(0.99, ns, RULE_RATE_WINDOW)} > ${T.p99LatencySeconds}`,
        "p99 inference latency above 10 s in {{ $labels.namespace }}",
        "The 99th percentile of chat answer time is {{ $value | humanizeDuration }} (threshold 10s) and has been above 10 s for 1 minute.",
      ),
    ],
  };
}

function availability({ appNamespace: ns }: AlertRuleParams): RuleGroup {
  return {
    name: "ai-assistant.availability",
    rules: [
      rule(
        "ErrorRateHigh",
        "warning",
        "5m",
        `${errorRatio(ns, RULE_RATE_WINDOW)} > ${T.errorRatioHigh}`,
        "More than 5% of requests fail in {{ $labels.namespace }}",
        "{{ $value | humanizePercentage }} of backend requests failed over the last 5 minutes (threshold 5%): upstream errors (fallback answers included), broken streams, gateway errors.",
      ),
      rule(
        "ErrorRateCritical",
        "critical",
        "1m",
        `${errorRatio(ns, RULE_RATE_WINDOW)} > ${T.errorRatioCritical}`,
        "More than 10% of requests fail in {{ $labels.namespace }}",
        "{{ $value | humanizePercentage }} of backend requests failed over the last 5 minutes (threshold 10%): upstream errors (fallback answers included), broken streams, gateway errors.",
      ),
      rule(
        "ServiceDown",
        "critical",
        "1m",
        `up{namespace="${ns}"} == 0`,
        "{{ $labels.job }} target {{ $labels.instance }} is down",
        "Prometheus cannot scrape {{ $labels.job }} at {{ $labels.instance }} in {{ $labels.namespace }}: the pod is gone, not listening or not serving /metrics.",
      ),
    ],
  };
}

/**
 * The model providers behind the gateway. A fallback answer is a 200 that the user reads as an answer, so its share
 * is watched on its own (the error-rate alerts count it too); a circuit that stays open means a provider is down or
 * refuses the key; a stream that breaks after its 200 leaves the user with half an answer.
 */
function upstreams({ appNamespace: ns }: AlertRuleParams): RuleGroup {
  return {
    name: "ai-assistant.upstreams",
    rules: [
      rule(
        "FallbackAnswersHigh",
        "warning",
        "5m",
        `${chatOutcomeRatio("fallback", ns, RULE_RATE_WINDOW)} > ${T.fallbackRatio}`,
        "More than 10% of chat answers come from a fallback in {{ $labels.namespace }}",
        "{{ $value | humanizePercentage }} of chat requests over the last 5 minutes were answered by a fallback provider (threshold 10%): the configured model is failing, and users get the fallback's answers (the mock's say the model is unavailable).",
      ),
      // A circuit that keeps failing alternates open and half-open (each trial fails) and never closes: >= 1.
      rule(
        "ProviderCircuitOpen",
        "warning",
        "5m",
        `${circuitState(ns)} >= 1`,
        "The circuit of {{ $labels.provider }} has stayed open for 5 minutes",
        "Calls to {{ $labels.provider }} at {{ $labels.upstream }} keep failing, so the gateway skips it (fallback or 503): check the provider's status, the key and the network path.",
      ),
      rule(
        "StreamsInterrupted",
        "warning",
        "5m",
        `${chatOutcomeRatio("interrupted", ns, RULE_RATE_WINDOW)} > ${T.interruptedRatio}`,
        "More than 2% of chat streams break off in {{ $labels.namespace }}",
        "{{ $value | humanizePercentage }} of chat requests over the last 5 minutes ended with a stream that broke after it started (threshold 2%): users see half an answer and an error.",
      ),
    ],
  };
}

function resources(): RuleGroup {
  return {
    name: "ai-assistant.resources",
    rules: [
      rule(
        "MemoryPressure",
        "warning",
        "5m",
        `${nodeMemoryUsedRatio()} > ${T.memoryUsedRatio}`,
        "Node {{ $labels.instance }} has used more than 90% of its memory",
        "{{ $value | humanizePercentage }} of the memory of {{ $labels.instance }} is in use (threshold 90%); its pods are about to be evicted or OOM-killed.",
      ),
      rule(
        "DiskSpaceLow",
        "warning",
        "10m",
        `${filesystemUsedRatio()} > ${T.diskUsedRatio}`,
        "Filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} is more than 85% full",
        "{{ $value | humanizePercentage }} of {{ $labels.mountpoint }} on {{ $labels.instance }} is used (threshold 85%).",
      ),
      rule(
        "VolumeSpaceLow",
        "warning",
        "10m",
        `${volumeUsedRatio()} > ${T.diskUsedRatio}`,
        "Volume {{ $labels.persistentvolumeclaim }} in {{ $labels.namespace }} is more than 85% full",
        "{{ $value | humanizePercentage }} of PersistentVolumeClaim {{ $labels.persistentvolumeclaim }} is used (threshold 85%); model weights or metrics stop being written when it fills.",
      ),
    ],
  };
}

function modelServer({ appNamespace: ns }: AlertRuleParams): RuleGroup {
  return {
    name: "ai-assistant.model-server",
    rules: [
      // Longer than the brief's 5-10 min first start (weights download and load), so a cold start stays quiet.
      // kube-state-metrics sees both engines, so this covers Ollama too, which has no metrics of its own.
      rule(
        "ModelServerNotReady",
        "critical",
        "15m",
        `(${CLUSTER_METRICS.podReady}{namespace="${ns}", condition="true"} == 0) and on (namespace, pod) ${modelServerPods(ns)}`,
        "Model server pod {{ $labels.pod }} is not ready",
        "{{ $labels.pod }} in {{ $labels.namespace }} has not been ready for 15 minutes: local-model answers fail or fall back.",
      ),
      // vLLM batches continuously, so a queue that persists means it is out of KV cache or sequence slots.
      rule(
        "ModelServerQueueBacklog",
        "warning",
        "5m",
        `sum by (namespace, model_name) (${VLLM_METRICS.waiting}{namespace="${ns}"}) > ${T.queuedRequests}`,
        "More than 10 requests wait for the model {{ $labels.model_name }}",
        "{{ $value | humanize }} requests are queued in vLLM for {{ $labels.model_name }} (threshold 10) for 5 minutes: add replicas or GPUs.",
      ),
    ],
  };
}

function gpu(): RuleGroup {
  return {
    name: "ai-assistant.gpu",
    rules: [
      // vLLM reserves 90% of GPU memory by design (gpu_memory_utilization), so the threshold sits above that.
      rule(
        "GpuMemoryNearlyFull",
        "warning",
        "10m",
        `${gpuMemoryUsedRatio()} > ${T.gpuMemoryUsedRatio}`,
        "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} has less than 5% memory free",
        "{{ $value | humanizePercentage }} of the framebuffer of GPU {{ $labels.gpu }} on {{ $labels.Hostname }} is used (threshold 95%); the next model load or batch may fail with out-of-memory.",
      ),
    ],
  };
}

/**
 * Retrieval failures never fail a chat request (the answer goes out without sources), so only this alert tells that
 * answers have stopped being grounded. Silent while knowledge is off: the counter has no series then.
 */
function knowledge({ appNamespace: ns }: AlertRuleParams): RuleGroup {
  const retrievals = BACKEND_METRICS.knowledgeRetrievals.name;
  const rate = (filter: string) => `sum by (namespace) (rate(${retrievals}{namespace="${ns}"${filter}}[${RULE_RATE_WINDOW}]))`;
  return {
    name: "ai-assistant.knowledge",
    rules: [
      rule(
        "KnowledgeRetrievalFailing",
        "warning",
        "10m",
        `${rate(', outcome="failed"')} / ${rate("")} > ${T.knowledgeRetrievalFailedRatio}`,
        "Knowledge retrieval fails for more than 10% of questions in {{ $labels.namespace }}",
        "{{ $value | humanizePercentage }} of knowledge-base lookups failed over the last 5 minutes (threshold 10%): those answers went out without the team's documents. Check the knowledge database and the embeddings server.",
      ),
    ],
  };
}

/**
 * The knowledge database: CloudNativePG's own sample alerts (cloudnative-pg v1.30.0
 * docs/src/samples/monitoring/prometheusrule.yaml: LongRunningTransaction, PGReplication, ReplicaFailingReplication),
 * with their expressions and thresholds, scoped to this stack's namespace and named for what they mean here, plus an
 * instance whose Postgres is down (`cnpg_collector_up`, docs/src/monitoring.md); then the backups: the newest older than
 * the schedule allows, a failed backup, WAL archiving failing (the sample's LastFailedArchiveTime). Silent while
 * knowledge is off: no instance, no series.
 */
function knowledgeDatabase({ appNamespace: ns, knowledgeBackupMaxAgeHours: maxAgeHours = DEFAULT_BACKUP_MAX_AGE_HOURS }: AlertRuleParams): RuleGroup {
  const C = CNPG_METRICS;
  const sel = `{namespace="${ns}"}`;
  return {
    name: "ai-assistant.knowledge-database",
    rules: [
      rule(
        "KnowledgeDatabaseDown",
        "critical",
        "1m",
        `max by (namespace, pod) (${C.up}${sel}) == 0`,
        "Postgres is down on knowledge database instance {{ $labels.pod }}",
        "The instance manager of {{ $labels.pod }} in {{ $labels.namespace }} cannot reach its Postgres: if it is the primary, ingestion fails (503) and answers go out without sources until the operator fails over.",
      ),
      rule(
        "KnowledgeDatabaseReplicationLag",
        "warning",
        "1m",
        `max by (namespace, pod) (${C.replicationLag}${sel}) > ${T.knowledgeReplicationLagSeconds}`,
        "Knowledge database replica {{ $labels.pod }} lags behind the primary",
        "{{ $labels.pod }} in {{ $labels.namespace }} is {{ $value | humanizeDuration }} behind the primary (threshold 5m): a failover to it would lose those writes.",
      ),
      rule(
        "KnowledgeDatabaseReplicaNotStreaming",
        "warning",
        "1m",
        `${C.inRecovery}${sel} > ${C.walReceiverUp}${sel}`,
        "Knowledge database replica {{ $labels.pod }} does not stream from the primary",
        "{{ $labels.pod }} in {{ $labels.namespace }} is a replica without a WAL receiver: it falls behind until replication resumes (check the NetworkPolicy and the primary).",
      ),
      rule(
        "KnowledgeDatabaseLongTransaction",
        "warning",
        "1m",
        `max by (namespace, pod) (${C.maxTransactionSeconds}${sel}) > ${T.knowledgeTransactionSeconds}`,
        "A transaction on knowledge database instance {{ $labels.pod }} runs longer than 5 minutes",
        "The oldest open transaction on {{ $labels.pod }} in {{ $labels.namespace }} has run for {{ $value | humanizeDuration }}: it holds back vacuum and replication slots.",
      ),
      // Backups (in-tree Barman Cloud): the collector's backup timestamps, which CloudNativePG keeps updating for the
      // in-tree object store (docs/src/monitoring.md, v1.30.0; 0 until the first backup completes, hence the `unless`).
      rule(
        "KnowledgeBackupTooOld",
        "warning",
        "10m",
        `(time() - max by (namespace) (${C.lastAvailableBackup}${sel}) > ${maxAgeHours * 3600}) unless on (namespace) (max by (namespace) (${C.lastAvailableBackup}${sel}) == 0)`,
        "The newest knowledge database backup is older than the schedule allows",
        `The last completed base backup in {{ $labels.namespace }} is more than ${maxAgeHours}h old (knowledge.backup.maxAgeHours): a restore would replay more WAL than planned, and a scheduled backup may be failing. Check \`kubectl get backups\`.`,
      ),
      rule(
        "KnowledgeBackupFailed",
        "warning",
        "1m",
        `max by (namespace) (${C.lastFailedBackup}${sel}) > max by (namespace) (${C.lastAvailableBackup}${sel})`,
        "The last knowledge database backup failed",
        "The newest base backup attempt in {{ $labels.namespace }} failed after the last one that completed: check `kubectl get backups` and the Postgres pods' logs (bucket permissions, the NetworkPolicy's path to S3).",
      ),
      rule(
        "KnowledgeWalArchivingFailing",
        "warning",
        "1m",
        `max by (namespace, pod) (${C.archiverLastFailed}${sel} - ${C.archiverLastArchived}${sel}) > 1`,
        "Knowledge database instance {{ $labels.pod }} fails to archive WAL",
        "WAL archiving last failed after it last succeeded on {{ $labels.pod }} in {{ $labels.namespace }}: point-in-time recovery stops at the last archived segment, and WAL piles up on the volume.",
      ),
    ],
  };
}

/**
 * The shared Valkey (docs/shared-state.md), from redis_exporter's series. With an LRU eviction policy, memory at
 * `maxmemory` means evicting, which drops old cache entries and, worse, rate-limit buckets (limits reset early):
 * so memory near the bound and steady evictions warn. Valkey down fails limits open or closed (the backend's policy).
 */
function valkey({ appNamespace: ns }: AlertRuleParams): RuleGroup {
  const V = VALKEY_METRICS;
  const sel = `{namespace="${ns}"}`;
  return {
    name: "ai-assistant.valkey",
    rules: [
      rule(
        "ValkeyDown",
        "critical",
        "1m",
        `max by (namespace, pod) (${V.up}${sel}) == 0`,
        "Valkey {{ $labels.pod }} does not answer its exporter",
        "The exporter beside {{ $labels.pod }} in {{ $labels.namespace }} cannot reach Valkey: rate limits fall back to each replica (failure policy open) or refuse requests (closed), and the cache misses.",
      ),
      rule(
        "ValkeyMemoryNearMax",
        "warning",
        "10m",
        `max by (namespace, pod) (${V.memoryUsed}${sel}) / max by (namespace, pod) (${V.memoryMax}${sel} > 0) > ${T.valkeyMemoryUsedRatio}`,
        "Valkey {{ $labels.pod }} is near its maxmemory",
        "{{ $value | humanizePercentage }} of maxmemory is used (threshold 90%) in {{ $labels.namespace }}: Valkey evicts soon; raise valkey.maxmemory (and its memory limit) or shorten backend.responseCache.ttlSeconds.",
      ),
      rule(
        "ValkeyEvictingKeys",
        "warning",
        "15m",
        `sum by (namespace, pod) (rate(${V.evictedKeys}${sel}[${RULE_RATE_WINDOW}])) > 0`,
        "Valkey {{ $labels.pod }} is evicting keys",
        "{{ $value | humanize }} keys/s evicted for 15 minutes in {{ $labels.namespace }}: cache entries and rate-limit buckets are dropped early; raise valkey.maxmemory.",
      ),
      rule(
        "ValkeyRejectingConnections",
        "warning",
        "1m",
        `sum by (namespace, pod) (increase(${V.rejectedConnections}${sel}[${RULE_RATE_WINDOW}])) > 0`,
        "Valkey {{ $labels.pod }} rejects connections",
        "Valkey in {{ $labels.namespace }} refused connections in the last 5 minutes (maxclients reached): backend replicas cannot reach their limits and cache.",
      ),
    ],
  };
}

/**
 * Triton's own signals (server docs/user_guide/metrics.md): queue time, failed requests, GPU memory. Per model
 * (`model`, its repository name) or per GPU (`gpu_uuid`). They match nothing unless a Triton server is scraped.
 */
function triton({ appNamespace: ns }: AlertRuleParams): RuleGroup {
  const m = TRITON_METRICS;
  const sel = `{namespace="${ns}"}`;
  const perModel = (metric: string) => `sum by (namespace, model) (rate(${metric}${sel}[${RULE_RATE_WINDOW}]))`;
  return {
    name: "ai-assistant.triton",
    rules: [
      // The queue counter is cumulative microseconds over all requests; per answered request, in seconds. The vLLM
      // backend batches on its own, so time in Triton's queue means the model instance is saturated.
      rule(
        "TritonQueueTimeHigh",
        "warning",
        "5m",
        `(${perModel(m.queueDurationUs)} / 1000000) / ${perModel(m.successes)} > ${T.tritonQueueSeconds}`,
        "Requests for {{ $labels.model }} wait more than 1 s in Triton's queue",
        "Requests for {{ $labels.model }} in {{ $labels.namespace }} wait {{ $value | humanizeDuration }} on average in Triton's queue (threshold 1s) for 5 minutes: add replicas or GPUs.",
      ),
      rule(
        "TritonInferenceFailures",
        "warning",
        "5m",
        `${perModel(m.failures)} / (${perModel(m.failures)} + ${perModel(m.successes)}) > ${T.tritonFailureRatio}`,
        "More than 5% of Triton's inferences for {{ $labels.model }} fail",
        "{{ $value | humanizePercentage }} of the inference requests for {{ $labels.model }} in {{ $labels.namespace }} failed over the last 5 minutes (threshold 5%); see the server's log.",
      ),
      // The same 95% as the DCGM rule, from Triton's own view of the GPU (on clusters without the DCGM exporter too).
      rule(
        "TritonGpuMemoryNearlyFull",
        "warning",
        "10m",
        `(${m.gpuMemoryUsed}${sel} / ${m.gpuMemoryTotal}${sel}) > ${T.gpuMemoryUsedRatio}`,
        "GPU {{ $labels.gpu_uuid }} of Triton pod {{ $labels.pod }} has less than 5% memory free",
        "{{ $value | humanizePercentage }} of the memory of GPU {{ $labels.gpu_uuid }} used by {{ $labels.pod }} in {{ $labels.namespace }} is in use (threshold 95%); the next batch may fail with out-of-memory.",
      ),
    ],
  };
}

/** Every rule group, for one stack's app namespace. */
export function alertRuleGroups(params: AlertRuleParams): RuleGroup[] {
  return [inferenceLatency(params), availability(params), upstreams(params), resources(), modelServer(params), gpu(), triton(params), valkey(params), knowledge(params), knowledgeDatabase(params)];
}

/** Every alerting rule, flattened. */
export function alertRules(params: AlertRuleParams): AlertRule[] {
  return alertRuleGroups(params).flatMap((group) => group.rules);
}
