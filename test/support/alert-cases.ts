/**
 * Hand-written inputs for the promtool unit tests of the alert rules: for every alert, series that cross its
 * threshold (and the exact alert that must result) and series that stay just under it. The rules themselves are
 * never written here; tools/promtool.ts generates them from lib/alert-rules.ts and derives the evaluation times
 * from each rule's `for`.
 *
 * Series are sampled every minute. `gauge(before, after)` holds `before` for three samples (0-2m), then `after`, so
 * a gauge condition first holds at 3m. Counters grow from 0 at a constant rate, so a rate() condition first holds at
 * 1m, the first time rate() has two samples.
 */

/** Namespace the rules are generated for in these tests. */
export const NS = "ai-assistant";

export interface InputSeries {
  series: string;
  values: string;
}

export interface ExpectedAlert {
  /** Labels of the firing alert, without alertname and the rule's own labels (severity). */
  labels: Record<string, string>;
  /** What `{{ $value | humanize… }}` prints in the annotations, when they use it. */
  value?: string;
}

export interface AlertCase {
  alert: string;
  /** Series over the threshold from `breachAt` on, and the alerts that fire once `for` has passed. */
  over: { series: InputSeries[]; breachAt: string; firing: ExpectedAlert[] };
  /** Series just under the threshold (and decoys the rule must ignore): nothing fires, however long. */
  under: { series: InputSeries[] };
}

const SAMPLES = 45;
/** CloudNativePG's instance manager's labels as the knowledge-db PodMonitor scrapes them. */
const dbPod = (pod: string, namespace = NS) => ({ namespace, pod, job: "knowledge-db", instance: "10.0.1.20:9187" });
/** redis_exporter's labels as the ServiceMonitor scrapes them beside Valkey. */
const valkeyPod = { namespace: "ai-assistant", pod: "valkey-6f8d9c7b5-q4x2m", job: "valkey", instance: "10.0.1.9:9121" };

/** A counter growing by `perMinute` every minute. */
const counter = (perMinute: number) => `0+${perMinute}x${SAMPLES}`;
/** A gauge at `before` for 0-2m, then at `after`. */
const gauge = (before: number, after: number) => `${before}x2 ${after}x${SAMPLES}`;
const constant = (value: number) => `${value}x${SAMPLES}`;
const series = (name: string, labels: Record<string, string>, values: string): InputSeries => ({
  series: `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(", ")}}`,
  values,
});

/** Cumulative per-minute counts of the inference histogram's buckets. */
function histogram(counts: Record<string, number>): InputSeries[] {
  return Object.entries(counts).map(([le, n]) =>
    series("ai_assistant_inference_duration_seconds_bucket", { namespace: NS, provider: "vllm", model: "qwen", le }, counter(n)),
  );
}

const CHAT = "/v1/chat/completions";
const chatRequests = (status: string, outcome: string, perMinute: number) =>
  series("ai_assistant_requests_total", { namespace: NS, route: CHAT, status, outcome }, counter(perMinute));

/**
 * `ok` good answers and `failed` failures, spread over the failed outcomes (a fallback answer is a 200, a broken
 * stream too), with client errors and aborted requests as decoys that count in the total but never as failures.
 */
function requests(ok: number, failed: number): InputSeries[] {
  const share = failed / 4;
  return [
    chatRequests("200", "ok", ok - 2),
    chatRequests("404", "client_error", 1),
    chatRequests("499", "aborted", 1),
    chatRequests("200", "fallback", share),
    chatRequests("502", "upstream_error", share),
    chatRequests("200", "interrupted", share),
    chatRequests("500", "internal_error", share),
  ];
}

function retrievals(namespace: string, perMinute: Record<"hit" | "miss" | "failed", number>): InputSeries[] {
  return Object.entries(perMinute).map(([outcome, n]) => series("ai_assistant_knowledge_retrievals_total", { namespace, outcome }, counter(n)));
}

/** Chat requests of which `n` per 100 ended in `outcome`; upstream errors and client errors as decoys. */
function chatShare(outcome: string, n: number): InputSeries[] {
  return [chatRequests("200", "ok", 90 - n), chatRequests("200", outcome, n), chatRequests("502", "upstream_error", 5), chatRequests("400", "client_error", 5)];
}

const circuit = (upstream: string, values: string) => series("ai_assistant_circuit_state", { namespace: NS, pod: "backend-1", provider: "openai", upstream }, values);

const node = { instance: "node-a", job: "node-exporter" };
const rootFs = { ...node, device: "/dev/nvme0n1p1", fstype: "ext4", mountpoint: "/" };
const tmpFs = { ...node, device: "tmpfs", fstype: "tmpfs", mountpoint: "/run" };
const pvc = { namespace: NS, persistentvolumeclaim: "model-cache" };
const gpu0 = { Hostname: "gpu-node-1", gpu: "0", UUID: "GPU-0", modelName: "NVIDIA A10G" };
const vllm = { namespace: NS, model_name: "Qwen/Qwen2.5-1.5B-Instruct" };
const tritonModel = { namespace: NS, model: "Qwen--Qwen2.5-1.5B-Instruct" };
const tritonSeries = (labels: Record<string, string>) => ({ ...labels, version: "1", pod: "model-server-0" });
const tritonGpu = { namespace: NS, pod: "model-server-0", gpu_uuid: "GPU-0" };

function podReady(pod: string, name: string, ready: string): InputSeries[] {
  return [
    series("kube_pod_status_ready", { namespace: NS, pod, condition: "true" }, ready),
    series("kube_pod_labels", { namespace: NS, pod, label_app_kubernetes_io_name: name }, constant(1)),
  ];
}

export const ALERT_CASES: AlertCase[] = [
  {
    alert: "InferenceLatencyHigh",
    // p95 = 5 + (950 - 900) / (1000 - 900) * 2.5 = 6.25 s; under: 2.5 + (950 - 900) / (960 - 900) * 2.5 = 4.58 s.
    over: { series: histogram({ "1": 500, "2.5": 800, "5": 900, "7.5": 1000, "10": 1000, "15": 1000, "+Inf": 1000 }), breachAt: "1m", firing: [{ labels: { namespace: NS }, value: "6.25s" }] },
    under: { series: histogram({ "1": 500, "2.5": 900, "5": 960, "7.5": 1000, "10": 1000, "15": 1000, "+Inf": 1000 }) },
  },
  {
    alert: "InferenceLatencyCritical",
    // p99 = 10 + (990 - 980) / (1000 - 980) * 5 = 12.5 s; under: 7.5 + (990 - 950) / (995 - 950) * 2.5 = 9.72 s.
    over: { series: histogram({ "1": 500, "2.5": 800, "5": 900, "7.5": 950, "10": 980, "15": 1000, "+Inf": 1000 }), breachAt: "1m", firing: [{ labels: { namespace: NS }, value: "12.5s" }] },
    under: { series: histogram({ "1": 500, "2.5": 800, "5": 900, "7.5": 950, "10": 995, "15": 1000, "+Inf": 1000 }) },
  },
  {
    alert: "ErrorRateHigh",
    over: { series: requests(94, 6), breachAt: "1m", firing: [{ labels: { namespace: NS }, value: "6%" }] },
    under: { series: requests(96, 4) },
  },
  {
    alert: "ErrorRateCritical",
    over: { series: requests(89, 11), breachAt: "1m", firing: [{ labels: { namespace: NS }, value: "11%" }] },
    under: { series: requests(91, 9) },
  },
  {
    alert: "FallbackAnswersHigh",
    over: { series: chatShare("fallback", 11), breachAt: "1m", firing: [{ labels: { namespace: NS }, value: "11%" }] },
    under: { series: chatShare("fallback", 9) },
  },
  {
    alert: "StreamsInterrupted",
    over: { series: chatShare("interrupted", 3), breachAt: "1m", firing: [{ labels: { namespace: NS }, value: "3%" }] },
    under: { series: chatShare("interrupted", 1) },
  },
  {
    alert: "ProviderCircuitOpen",
    // Open (2) and half-open (1) alternate while the provider keeps failing; closed (0) before.
    over: {
      series: [circuit("https://api.openai.com/v1", "0x2 2 1 2 2 1 2x40")],
      breachAt: "3m",
      firing: [{ labels: { namespace: NS, provider: "openai", upstream: "https://api.openai.com/v1" } }],
    },
    // Open for a moment, then closed again (the trial succeeded).
    under: { series: [circuit("https://api.openai.com/v1", "0x2 2 2 1 0x40")] },
  },
  {
    alert: "ServiceDown",
    over: {
      series: [series("up", { namespace: NS, job: "backend", instance: "10.0.1.5:8080" }, gauge(1, 0))],
      breachAt: "3m",
      firing: [{ labels: { namespace: NS, job: "backend", instance: "10.0.1.5:8080" } }],
    },
    // A target elsewhere is not this stack's business.
    under: { series: [series("up", { namespace: NS, job: "backend", instance: "10.0.1.5:8080" }, constant(1)), series("up", { namespace: "other", job: "x", instance: "10.9.9.9:80" }, constant(0))] },
  },
  {
    alert: "MemoryPressure",
    over: {
      series: [series("node_memory_MemTotal_bytes", node, constant(1000)), series("node_memory_MemAvailable_bytes", node, gauge(500, 80))],
      breachAt: "3m",
      firing: [{ labels: node, value: "92%" }],
    },
    under: { series: [series("node_memory_MemTotal_bytes", node, constant(1000)), series("node_memory_MemAvailable_bytes", node, gauge(500, 120))] },
  },
  {
    alert: "DiskSpaceLow",
    over: {
      series: [series("node_filesystem_size_bytes", rootFs, constant(1000)), series("node_filesystem_avail_bytes", rootFs, gauge(500, 100))],
      breachAt: "3m",
      firing: [{ labels: rootFs, value: "90%" }],
    },
    // A full tmpfs is not the disk.
    under: {
      series: [
        series("node_filesystem_size_bytes", rootFs, constant(1000)),
        series("node_filesystem_avail_bytes", rootFs, gauge(500, 160)),
        series("node_filesystem_size_bytes", tmpFs, constant(1000)),
        series("node_filesystem_avail_bytes", tmpFs, constant(10)),
      ],
    },
  },
  {
    alert: "VolumeSpaceLow",
    over: {
      series: [series("kubelet_volume_stats_capacity_bytes", pvc, constant(1000)), series("kubelet_volume_stats_used_bytes", pvc, gauge(100, 900))],
      breachAt: "3m",
      firing: [{ labels: pvc, value: "90%" }],
    },
    under: { series: [series("kubelet_volume_stats_capacity_bytes", pvc, constant(1000)), series("kubelet_volume_stats_used_bytes", pvc, gauge(100, 840))] },
  },
  {
    alert: "ModelServerNotReady",
    over: {
      series: podReady("model-server-0", "model-server", gauge(1, 0)),
      breachAt: "3m",
      firing: [{ labels: { namespace: NS, pod: "model-server-0", condition: "true" } }],
    },
    // A ready model server, and an unready pod that is not a model server.
    under: { series: [...podReady("model-server-0", "model-server", constant(1)), ...podReady("backend-abc", "backend", constant(0))] },
  },
  {
    alert: "ModelServerQueueBacklog",
    over: { series: [series("vllm:num_requests_waiting", { ...vllm, pod: "model-server-0" }, gauge(0, 12))], breachAt: "3m", firing: [{ labels: vllm, value: "12" }] },
    under: { series: [series("vllm:num_requests_waiting", { ...vllm, pod: "model-server-0" }, gauge(0, 8))] },
  },
  {
    alert: "GpuMemoryNearlyFull",
    // 23000 / (23000 + 1000) = 95.83%; under: 22000 / 24000 = 91.67%, about what vLLM reserves.
    over: {
      series: [series("DCGM_FI_DEV_FB_USED", gpu0, gauge(1000, 23000)), series("DCGM_FI_DEV_FB_FREE", gpu0, gauge(23000, 1000))],
      breachAt: "3m",
      firing: [{ labels: { Hostname: "gpu-node-1", gpu: "0" }, value: "95.83%" }],
    },
    under: { series: [series("DCGM_FI_DEV_FB_USED", gpu0, gauge(1000, 22000)), series("DCGM_FI_DEV_FB_FREE", gpu0, gauge(23000, 2000))] },
  },
  {
    alert: "KnowledgeRetrievalFailing",
    // 3 failed of 15 lookups a minute = 20%; under: 1 of 15 = 6.67%, and another namespace's failures are ignored.
    over: {
      series: retrievals(NS, { hit: 10, miss: 2, failed: 3 }),
      breachAt: "1m",
      firing: [{ labels: { namespace: NS }, value: "20%" }],
    },
    under: { series: [...retrievals(NS, { hit: 12, miss: 2, failed: 1 }), ...retrievals("other", { hit: 0, miss: 0, failed: 5 })] },
  },
  {
    alert: "KnowledgeDatabaseDown",
    over: { series: [series("cnpg_collector_up", dbPod("knowledge-db-1"), gauge(1, 0))], breachAt: "3m", firing: [{ labels: { namespace: NS, pod: "knowledge-db-1" } }] },
    under: { series: [series("cnpg_collector_up", dbPod("knowledge-db-1"), constant(1)), series("cnpg_collector_up", dbPod("knowledge-db-1", "other"), constant(0))] },
  },
  {
    alert: "KnowledgeDatabaseReplicationLag",
    // 310 s behind (over 300); under: 290 s.
    over: { series: [series("cnpg_pg_replication_lag", dbPod("knowledge-db-2"), gauge(0, 310))], breachAt: "3m", firing: [{ labels: { namespace: NS, pod: "knowledge-db-2" }, value: "5m 10s" }] },
    under: { series: [series("cnpg_pg_replication_lag", dbPod("knowledge-db-2"), gauge(0, 290))] },
  },
  {
    alert: "KnowledgeDatabaseReplicaNotStreaming",
    // A replica (in recovery) whose WAL receiver stops; the primary (not in recovery, no receiver) never fires.
    over: {
      series: [series("cnpg_pg_replication_in_recovery", dbPod("knowledge-db-2"), constant(1)), series("cnpg_pg_replication_is_wal_receiver_up", dbPod("knowledge-db-2"), gauge(1, 0))],
      breachAt: "3m",
      firing: [{ labels: dbPod("knowledge-db-2") }],
    },
    under: {
      series: [
        series("cnpg_pg_replication_in_recovery", dbPod("knowledge-db-2"), constant(1)),
        series("cnpg_pg_replication_is_wal_receiver_up", dbPod("knowledge-db-2"), constant(1)),
        series("cnpg_pg_replication_in_recovery", dbPod("knowledge-db-1"), constant(0)),
        series("cnpg_pg_replication_is_wal_receiver_up", dbPod("knowledge-db-1"), constant(0)),
      ],
    },
  },
  {
    alert: "KnowledgeDatabaseLongTransaction",
    over: { series: [series("cnpg_backends_max_tx_duration_seconds", { ...dbPod("knowledge-db-1"), datname: "knowledge", usename: "knowledge", state: "active" }, gauge(1, 360))], breachAt: "3m", firing: [{ labels: { namespace: NS, pod: "knowledge-db-1" }, value: "6m 0s" }] },
    under: { series: [series("cnpg_backends_max_tx_duration_seconds", { ...dbPod("knowledge-db-1"), datname: "knowledge", usename: "knowledge", state: "active" }, gauge(1, 240))] },
  },
  {
    alert: "KnowledgeBackupTooOld",
    // Evaluation starts at the epoch (promtool 2.42 has no start time): the last backup is stamped 26h less a minute
    // before it, so from 3m on it is 26h and 2 minutes old (threshold 93600 s); under: an hour in the future. A cluster
    // that never completed a backup (0) stays silent.
    over: {
      series: [series("cnpg_collector_last_available_backup_timestamp", dbPod("knowledge-db-1"), gauge(0, -93_600 + 60))],
      breachAt: "3m",
      firing: [{ labels: { namespace: NS } }],
    },
    under: {
      series: [
        series("cnpg_collector_last_available_backup_timestamp", dbPod("knowledge-db-1"), gauge(0, 3600)),
        series("cnpg_collector_last_available_backup_timestamp", dbPod("knowledge-db-2", "other"), constant(0)),
      ],
    },
  },
  {
    alert: "KnowledgeBackupFailed",
    over: {
      series: [series("cnpg_collector_last_available_backup_timestamp", dbPod("knowledge-db-1"), constant(1000)), series("cnpg_collector_last_failed_backup_timestamp", dbPod("knowledge-db-1"), gauge(0, 2000))],
      breachAt: "3m",
      firing: [{ labels: { namespace: NS } }],
    },
    // A failure followed by a successful backup is over.
    under: { series: [series("cnpg_collector_last_available_backup_timestamp", dbPod("knowledge-db-1"), gauge(1000, 3000)), series("cnpg_collector_last_failed_backup_timestamp", dbPod("knowledge-db-1"), gauge(0, 2000))] },
  },
  {
    alert: "KnowledgeWalArchivingFailing",
    over: {
      series: [series("cnpg_pg_stat_archiver_last_archived_time", dbPod("knowledge-db-1"), constant(1000)), series("cnpg_pg_stat_archiver_last_failed_time", dbPod("knowledge-db-1"), gauge(0, 1500))],
      breachAt: "3m",
      firing: [{ labels: { namespace: NS, pod: "knowledge-db-1" } }],
    },
    under: { series: [series("cnpg_pg_stat_archiver_last_archived_time", dbPod("knowledge-db-1"), gauge(1000, 2000)), series("cnpg_pg_stat_archiver_last_failed_time", dbPod("knowledge-db-1"), gauge(0, 1500))] },
  },
  {
    alert: "ValkeyDown",
    over: { series: [series("redis_up", valkeyPod, gauge(1, 0))], breachAt: "3m", firing: [{ labels: { namespace: NS, pod: "valkey-6f8d9c7b5-q4x2m" } }] },
    // Another stack's Valkey being down is not this stack's business.
    under: { series: [series("redis_up", valkeyPod, constant(1)), series("redis_up", { ...valkeyPod, namespace: "other" }, constant(0))] },
  },
  {
    alert: "ValkeyMemoryNearMax",
    // 230 / 250 = 92%; under: 220 / 250 = 88%. A Valkey without maxmemory (0) never fires.
    over: {
      series: [series("redis_memory_max_bytes", valkeyPod, constant(250)), series("redis_memory_used_bytes", valkeyPod, gauge(100, 230))],
      breachAt: "3m",
      firing: [{ labels: { namespace: NS, pod: "valkey-6f8d9c7b5-q4x2m" }, value: "92%" }],
    },
    under: {
      series: [
        series("redis_memory_max_bytes", valkeyPod, constant(250)),
        series("redis_memory_used_bytes", valkeyPod, gauge(100, 220)),
        series("redis_memory_max_bytes", { ...valkeyPod, pod: "valkey-unbounded" }, constant(0)),
        series("redis_memory_used_bytes", { ...valkeyPod, pod: "valkey-unbounded" }, constant(1000)),
      ],
    },
  },
  {
    alert: "ValkeyEvictingKeys",
    over: { series: [series("redis_evicted_keys_total", valkeyPod, counter(60))], breachAt: "1m", firing: [{ labels: { namespace: NS, pod: "valkey-6f8d9c7b5-q4x2m" }, value: "1" }] },
    under: { series: [series("redis_evicted_keys_total", valkeyPod, constant(500))] },
  },
  {
    alert: "ValkeyRejectingConnections",
    over: { series: [series("redis_rejected_connections_total", valkeyPod, counter(2))], breachAt: "1m", firing: [{ labels: { namespace: NS, pod: "valkey-6f8d9c7b5-q4x2m" } }] },
    under: { series: [series("redis_rejected_connections_total", valkeyPod, constant(3))] },
  },
  {
    alert: "TritonQueueTimeHigh",
    // 60 requests a minute waiting 90 s in total: 1.5 s each. Under: 54 s in total, 0.9 s each.
    over: {
      series: [
        series("nv_inference_queue_duration_us", tritonSeries(tritonModel), counter(90_000_000)),
        series("nv_inference_request_success", tritonSeries(tritonModel), counter(60)),
      ],
      breachAt: "1m",
      firing: [{ labels: tritonModel, value: "1.5s" }],
    },
    under: {
      series: [
        series("nv_inference_queue_duration_us", tritonSeries(tritonModel), counter(54_000_000)),
        series("nv_inference_request_success", tritonSeries(tritonModel), counter(60)),
      ],
    },
  },
  {
    alert: "TritonInferenceFailures",
    // 6 of 100 fail (6%); under: 4 of 100 (4%).
    over: {
      series: [series("nv_inference_request_failure", tritonSeries(tritonModel), counter(6)), series("nv_inference_request_success", tritonSeries(tritonModel), counter(94))],
      breachAt: "1m",
      firing: [{ labels: tritonModel, value: "6%" }],
    },
    under: {
      series: [series("nv_inference_request_failure", tritonSeries(tritonModel), counter(4)), series("nv_inference_request_success", tritonSeries(tritonModel), counter(96))],
    },
  },
  {
    alert: "TritonGpuMemoryNearlyFull",
    // 23 of 24 GB (95.83%); under: 22 of 24 GB (91.67%).
    over: {
      series: [series("nv_gpu_memory_used_bytes", tritonGpu, gauge(1e9, 23e9)), series("nv_gpu_memory_total_bytes", tritonGpu, constant(24e9))],
      breachAt: "3m",
      firing: [{ labels: tritonGpu, value: "95.83%" }],
    },
    under: { series: [series("nv_gpu_memory_used_bytes", tritonGpu, gauge(1e9, 22e9)), series("nv_gpu_memory_total_bytes", tritonGpu, constant(24e9))] },
  },
];
