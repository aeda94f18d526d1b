/**
 * PromQL expressions that the alert rules and the dashboards share, so that a panel shows exactly the quantity an
 * alert compares with its threshold. Rules pass a fixed window ("5m"); dashboards pass Grafana's $__rate_interval.
 */
import { BACKEND_METRICS, CLUSTER_METRICS, DCGM_METRICS, FAILED_OUTCOMES, MODEL_SERVER_NAME, RequestOutcome, VLLM_METRICS } from "../../lib/metrics-contract";

/** The chat route's label value in the request counter. */
export const CHAT_ROUTE_LABEL = "/v1/chat/completions";

/** Real block devices; tmpfs and container overlays fill and empty with pods and are not "the disk". */
export const REAL_FILESYSTEMS = 'fstype!="", fstype!~"tmpfs|ramfs|squashfs|overlay|nsfs"';

/**
 * Extra label matchers after the namespace's, e.g. `rollouts_pod_template_hash="…"` to look at a canary's pods only
 * (components/monitoring/canary-analysis.ts). Empty: every pod of the namespace, as the alerts do.
 */
export type SeriesFilter = string;

const extraMatchers = (filter: SeriesFilter) => (filter ? `, ${filter}` : "");

/** The q-quantile (0.95, 0.99) of chat inference time in seconds, per namespace. */
export function inferenceQuantile(q: number, namespace: string, window: string, filter: SeriesFilter = ""): string {
  return `histogram_quantile(${q}, sum by (namespace, le) (rate(${BACKEND_METRICS.inferenceDuration.name}_bucket{namespace="${namespace}"${extraMatchers(filter)}}[${window}])))`;
}

/**
 * Request rate per namespace, optionally only the failed ones: by outcome (lib/metrics-contract.ts FAILED_OUTCOMES),
 * so a fallback answer or a stream that broke after its 200 counts as the failure it is, not by status.
 */
export function requestRate(namespace: string, window: string, errorsOnly = false, filter: SeriesFilter = "", by: readonly string[] = ["namespace"]): string {
  const failed = errorsOnly ? `, outcome=~"${FAILED_OUTCOMES.join("|")}"` : "";
  return `sum by (${by.join(", ")}) (rate(${BACKEND_METRICS.requests.name}{namespace="${namespace}"${extraMatchers(filter)}${failed}}[${window}]))`;
}

/**
 * Fraction of backend requests that failed: upstream errors (answered by a fallback or not), broken streams, bugs.
 * Pods that served requests without a single failure have no failed series at all: they count as 0 (`or total * 0`),
 * so a flawless canary measures 0 instead of nothing, and a panel shows 0% instead of "no data". `by` adds groupings
 * (the overview's line per rollout revision).
 */
export function errorRatio(namespace: string, window: string, filter: SeriesFilter = "", by: readonly string[] = ["namespace"]): string {
  const total = requestRate(namespace, window, false, filter, by);
  return `(${requestRate(namespace, window, true, filter, by)} or ${total} * 0) / ${total}`;
}

/** Fraction of chat requests that ended in `outcome` (fallback, interrupted, …). */
export function chatOutcomeRatio(outcome: RequestOutcome, namespace: string, window: string): string {
  const chat = `${BACKEND_METRICS.requests.name}{namespace="${namespace}", route="${CHAT_ROUTE_LABEL}"`;
  return `sum by (namespace) (rate(${chat}, outcome="${outcome}"}[${window}])) / sum by (namespace) (rate(${chat}}[${window}]))`;
}

/** Circuit state per upstream, the highest over the backend pods (each pod keeps its own circuits). */
export function circuitState(namespace: string): string {
  return `max by (namespace, provider, upstream) (${BACKEND_METRICS.circuitState.name}{namespace="${namespace}"})`;
}

/** Fraction of each node's memory in use. */
export function nodeMemoryUsedRatio(): string {
  return `(1 - ${CLUSTER_METRICS.memAvailable} / ${CLUSTER_METRICS.memTotal})`;
}

/** Fraction of each real node filesystem in use. */
export function filesystemUsedRatio(): string {
  return `(1 - ${CLUSTER_METRICS.fsAvailable}{${REAL_FILESYSTEMS}} / ${CLUSTER_METRICS.fsSize}{${REAL_FILESYSTEMS}})`;
}

/** Fraction of each PersistentVolumeClaim in use. */
export function volumeUsedRatio(): string {
  return `(${CLUSTER_METRICS.volumeUsed} / ${CLUSTER_METRICS.volumeCapacity})`;
}

/** Fraction of each GPU's framebuffer in use. */
export function gpuMemoryUsedRatio(): string {
  const used = DCGM_METRICS.fbUsed;
  return `max by (Hostname, gpu) (${used} / (${used} + ${DCGM_METRICS.fbFree}))`;
}

/** The model server's pods, as kube_pod_labels series (one per pod) to join on (namespace, pod). */
export function modelServerPods(namespace: string): string {
  return `${CLUSTER_METRICS.podLabels}{namespace="${namespace}", label_app_kubernetes_io_name="${MODEL_SERVER_NAME}"}`;
}

/** GPUs the cluster's nodes offer (what is paid for, busy or idle), from kube-state-metrics. */
export const GPU_CAPACITY = `sum(${CLUSTER_METRICS.nodeCapacity}{resource="nvidia_com_gpu"})`;

/**
 * vLLM's series of a namespace, or of one server (its Service's name: the ServiceMonitor's `service` label), plus
 * an extra filter (the canary's hash).
 */
function vllmSelector(namespace: string, server: string | undefined, filter: SeriesFilter): string {
  return `namespace="${namespace}"${server ? `, service="${server}"` : ""}${extraMatchers(filter)}`;
}

/** The q-quantile of vLLM's time to first token in seconds, per namespace (or `by` other labels). */
export function vllmTimeToFirstTokenQuantile(q: number, namespace: string, window: string, { server, filter = "", by = ["namespace"] }: VllmSeries = {}): string {
  return `histogram_quantile(${q}, sum by (${[...by, "le"].join(", ")}) (rate(${VLLM_METRICS.timeToFirstToken}_bucket{${vllmSelector(namespace, server, filter)}}[${window}])))`;
}

/** Which vLLM series a ratio reads, and how it groups them (by namespace unless told). */
export interface VllmSeries {
  /** One server's Service name; every server of the namespace when absent. */
  server?: string;
  filter?: SeriesFilter;
  by?: readonly string[];
}

/** failed / total of one counter, with 0 (not nothing) when there are requests and no failures (`or total * 0`). */
function vllmRatio(counter: string, failed: string, namespace: string, window: string, { server, filter = "", by = ["namespace"] }: VllmSeries): string {
  const rate = (extra: string) => `sum by (${by.join(", ")}) (rate(${counter}{${vllmSelector(namespace, server, filter)}${extra}}[${window}]))`;
  return `(${rate(`, ${failed}`)} or ${rate("")} * 0) / ${rate("")}`;
}

/** Fraction of a vLLM server's HTTP requests answered with a 5xx. */
export function vllmHttpErrorRatio(namespace: string, window: string, series: VllmSeries = {}): string {
  return vllmRatio(VLLM_METRICS.httpRequests, 'status="5xx"', namespace, window, series);
}

/** Fraction of the requests a vLLM server's engine finished that it finished with an error (streams cut off included). */
export function vllmEngineErrorRatio(namespace: string, window: string, series: VllmSeries = {}): string {
  return vllmRatio(VLLM_METRICS.requestsFinished, 'finished_reason="error"', namespace, window, series);
}
