import { mkdtempSync, readFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parse } from "yaml";
import { AlertRule } from "../../../components/monitoring/alert-rules";
import { BACKEND_METRICS } from "../../../lib/metrics-contract";
import type { RenderResult } from "../../../tools/render";
import { writeProofFiles } from "../../../tools/promtool";
import { ALERT_CASES } from "../../support/alert-cases";
import { KNOWN_METRICS, metricNames } from "../../support/promql";
import { objectOf, renderStack } from "../../support/render";

/** The brief's table, written out again here so that the rules are checked against it, not against themselves. */
const BRIEF = [
  { alert: "InferenceLatencyHigh", condition: /^histogram_quantile\(0\.95, .*ai_assistant_inference_duration_seconds_bucket.*\) > 5$/, for: "2m", severity: "warning" },
  { alert: "InferenceLatencyCritical", condition: /^histogram_quantile\(0\.99, .*ai_assistant_inference_duration_seconds_bucket.*\) > 10$/, for: "1m", severity: "critical" },
  // Failures by outcome, not by status: a fallback answer and a stream broken after its 200 are failures too.
  { alert: "ErrorRateHigh", condition: /outcome=~"fallback\|upstream_error\|interrupted\|internal_error".* \/ .*ai_assistant_requests_total\{namespace="[^"]+"\}.* > 0\.05$/, for: "5m", severity: "warning" },
  { alert: "ErrorRateCritical", condition: /outcome=~"fallback\|upstream_error\|interrupted\|internal_error".* \/ .*ai_assistant_requests_total\{namespace="[^"]+"\}.* > 0\.1$/, for: "1m", severity: "critical" },
  { alert: "ServiceDown", condition: /^up\{.*\} == 0$/, for: "1m", severity: "critical" },
  { alert: "MemoryPressure", condition: /^\(1 - node_memory_MemAvailable_bytes \/ node_memory_MemTotal_bytes\) > 0\.9$/, for: "5m", severity: "warning" },
  { alert: "DiskSpaceLow", condition: /^\(1 - node_filesystem_avail_bytes\{.*\} \/ node_filesystem_size_bytes\{.*\}\) > 0\.85$/, for: "10m", severity: "warning" },
] as const;

/** Ours: model providers, model server and GPU. */
const OURS = [
  { alert: "FallbackAnswersHigh", condition: /outcome="fallback"\}.* \/ .*route="\/v1\/chat\/completions"\}.* > 0\.1$/, for: "5m", severity: "warning" },
  { alert: "ProviderCircuitOpen", condition: /^max by \(namespace, provider, upstream\) \(ai_assistant_circuit_state\{.*\}\) >= 1$/, for: "5m", severity: "warning" },
  { alert: "StreamsInterrupted", condition: /outcome="interrupted"\}.* \/ .*route="\/v1\/chat\/completions"\}.* > 0\.02$/, for: "5m", severity: "warning" },
  { alert: "ValkeyDown", condition: /^max by \(namespace, pod\) \(redis_up\{namespace="[^"]+"\}\) == 0$/, for: "1m", severity: "critical" },
  { alert: "ValkeyMemoryNearMax", condition: /^max by \(namespace, pod\) \(redis_memory_used_bytes\{.*\}\) \/ max by \(namespace, pod\) \(redis_memory_max_bytes\{.*\} > 0\) > 0\.9$/, for: "10m", severity: "warning" },
  { alert: "ValkeyEvictingKeys", condition: /^sum by \(namespace, pod\) \(rate\(redis_evicted_keys_total\{.*\}\[\w+\]\)\) > 0$/, for: "15m", severity: "warning" },
  { alert: "ValkeyRejectingConnections", condition: /^sum by \(namespace, pod\) \(increase\(redis_rejected_connections_total\{.*\}\[\w+\]\)\) > 0$/, for: "1m", severity: "warning" },
  { alert: "VolumeSpaceLow", condition: /kubelet_volume_stats_used_bytes \/ kubelet_volume_stats_capacity_bytes\) > 0\.85$/, for: "10m", severity: "warning" },
  { alert: "ModelServerNotReady", condition: /kube_pod_status_ready\{.*condition="true"\} == 0\) and on \(namespace, pod\) kube_pod_labels\{.*model-server/, for: "15m", severity: "critical" },
  { alert: "ModelServerQueueBacklog", condition: /vllm:num_requests_waiting\{.*\}\) > 10$/, for: "5m", severity: "warning" },
  { alert: "GpuMemoryNearlyFull", condition: /DCGM_FI_DEV_FB_USED \/ \(DCGM_FI_DEV_FB_USED \+ DCGM_FI_DEV_FB_FREE\)\) > 0\.95$/, for: "10m", severity: "warning" },
  { alert: "TritonQueueTimeHigh", condition: /rate\(nv_inference_queue_duration_us\{.*\}\[5m\]\)\) \/ 1000000\) \/ .*nv_inference_request_success.* > 1$/, for: "5m", severity: "warning" },
  { alert: "TritonInferenceFailures", condition: /nv_inference_request_failure.* \/ \(.*nv_inference_request_failure.* \+ .*nv_inference_request_success.*\) > 0\.05$/, for: "5m", severity: "warning" },
  { alert: "TritonGpuMemoryNearlyFull", condition: /^\(nv_gpu_memory_used_bytes\{.*\} \/ nv_gpu_memory_total_bytes\{.*\}\) > 0\.95$/, for: "10m", severity: "warning" },
  // CloudNativePG's own sample alerts (docs/src/samples/monitoring/prometheusrule.yaml, v1.30.0), per namespace.
  { alert: "KnowledgeDatabaseDown", condition: /^max by \(namespace, pod\) \(cnpg_collector_up\{namespace="[^"]+"\}\) == 0$/, for: "1m", severity: "critical" },
  { alert: "KnowledgeDatabaseReplicationLag", condition: /^max by \(namespace, pod\) \(cnpg_pg_replication_lag\{namespace="[^"]+"\}\) > 300$/, for: "1m", severity: "warning" },
  { alert: "KnowledgeDatabaseReplicaNotStreaming", condition: /^cnpg_pg_replication_in_recovery\{namespace="[^"]+"\} > cnpg_pg_replication_is_wal_receiver_up\{namespace="[^"]+"\}$/, for: "1m", severity: "warning" },
  { alert: "KnowledgeDatabaseLongTransaction", condition: /^max by \(namespace, pod\) \(cnpg_backends_max_tx_duration_seconds\{namespace="[^"]+"\}\) > 300$/, for: "1m", severity: "warning" },
  { alert: "KnowledgeBackupTooOld", condition: /^\(time\(\) - max by \(namespace\) \(cnpg_collector_last_available_backup_timestamp\{namespace="[^"]+"\}\) > 93600\) unless on \(namespace\) \(max by \(namespace\) \(cnpg_collector_last_available_backup_timestamp\{.*\}\) == 0\)$/, for: "10m", severity: "warning" },
  { alert: "KnowledgeBackupFailed", condition: /^max by \(namespace\) \(cnpg_collector_last_failed_backup_timestamp\{.*\}\) > max by \(namespace\) \(cnpg_collector_last_available_backup_timestamp\{.*\}\)$/, for: "1m", severity: "warning" },
  { alert: "KnowledgeWalArchivingFailing", condition: /^max by \(namespace, pod\) \(cnpg_pg_stat_archiver_last_failed_time\{.*\} - cnpg_pg_stat_archiver_last_archived_time\{.*\}\) > 1$/, for: "1m", severity: "warning" },
  { alert: "KnowledgeRetrievalFailing", condition: /ai_assistant_knowledge_retrievals_total\{.*outcome="failed"\}.* \/ .*ai_assistant_knowledge_retrievals_total\{namespace="[^"]+"\}\[5m\]\)\) > 0\.1$/, for: "10m", severity: "warning" },
] as const;

describe("alert rules", () => {
  let dev: RenderResult;
  let rules: AlertRule[];
  beforeAll(async () => {
    dev = await renderStack("dev");
    rules = objectOf(dev, "PrometheusRule", "ai-assistant-alerts").spec.groups.flatMap((g: { rules: AlertRule[] }) => g.rules);
  });
  const find = (name: string) => rules.find((r) => r.alert === name);

  it.each([...BRIEF, ...OURS])("given the dev stack, when rendered, then $alert has its exact condition, for $for and severity $severity", (expected) => {
    const rule = find(expected.alert);
    expect(rule).toBeDefined();
    expect(rule!.expr).toMatch(expected.condition);
    expect(rule!.for).toBe(expected.for);
    expect(rule!.labels).toEqual({ severity: expected.severity });
    expect(rule!.annotations.summary.length).toBeGreaterThan(10);
    expect(rule!.annotations.description.length).toBeGreaterThan(20);
  });

  it("given the dev stack, when rendered, then no rule is there that the tables above do not list", () => {
    expect(rules.map((r) => r.alert).sort()).toEqual([...BRIEF, ...OURS].map((r) => r.alert).sort());
  });

  it("given the app namespace of the stack, when rendered, then the backend and model-server rules look at that namespace only", () => {
    for (const name of ["InferenceLatencyHigh", "InferenceLatencyCritical", "ErrorRateHigh", "ErrorRateCritical", "ServiceDown", "ModelServerNotReady", "ModelServerQueueBacklog"]) {
      const expr = find(name)!.expr;
      expect(expr).toContain('namespace="ai-assistant-dev"');
      expect(expr).not.toMatch(/namespace="(?!ai-assistant-dev")/);
    }
  });

  it("given the rendered PrometheusRule, then the file the promtool proofs read for that namespace holds exactly its rules", () => {
    // Two separate paths, compared: what the stack deploys (the component, through the render) and what the promtool
    // proofs test (tools/promtool.ts writing rules.yaml). Either drifting (another namespace, a dropped field, an
    // extra rule) means the proofs no longer prove what runs.
    const files = writeProofFiles(mkdtempSync(join(tmpdir(), "alert-rules-")), "ai-assistant-dev", ALERT_CASES);
    const proven = parse(readFileSync(files.rules, "utf8")) as { groups: unknown[] };
    expect(proven).toEqual({ groups: objectOf(dev, "PrometheusRule", "ai-assistant-alerts").spec.groups });
  });

  it("given the metric contract, then every metric a rule reads is a named metric of lib/metrics-contract.ts, and the backend's are all used", () => {
    const used = new Set(rules.flatMap((r) => metricNames(r.expr)));
    expect([...used].filter((name) => !KNOWN_METRICS.has(name))).toEqual([]);
    for (const metric of [BACKEND_METRICS.requests.name, BACKEND_METRICS.inferenceDuration.name]) expect(used.has(metric)).toBe(true);
  });

  it("given the promtool cases, then every alert has exactly one, with series over and under its threshold", () => {
    expect(ALERT_CASES.map((c) => c.alert).sort()).toEqual(rules.map((r) => r.alert).sort());
    for (const testCase of ALERT_CASES) {
      expect(testCase.over.firing.length).toBeGreaterThan(0);
      expect(testCase.under.series.length).toBeGreaterThan(0);
    }
  });
});
