/**
 * PromQL expressions that the alert rules and the dashboards share, so that a panel shows exactly the quantity an
 * alert compares with its threshold. Rules pass a fixed window ("5m"); dashboards pass Grafana's $__rate_interval.
 */
import { BACKEND_METRICS, CLUSTER_METRICS, DCGM_METRICS, MODEL_SERVER_NAME } from "../../lib/metrics-contract";

/** Real block devices; tmpfs and container overlays fill and empty with pods and are not "the disk". */
export const REAL_FILESYSTEMS = 'fstype!="", fstype!~"tmpfs|ramfs|squashfs|overlay|nsfs"';

/** The q-quantile (0.95, 0.99) of chat inference time in seconds, per namespace. */
export function inferenceQuantile(q: number, namespace: string, window: string): string {
  return `histogram_quantile(${q}, sum by (namespace, le) (rate(${BACKEND_METRICS.inferenceDuration.name}_bucket{namespace="${namespace}"}[${window}])))`;
}

/** Request rate per namespace, optionally only the 5xx answers. */
export function requestRate(namespace: string, window: string, errorsOnly = false): string {
  const status = errorsOnly ? ', status=~"5.."' : "";
  return `sum by (namespace) (rate(${BACKEND_METRICS.requests.name}{namespace="${namespace}"${status}}[${window}]))`;
}

/** Fraction of backend requests answered 5xx. */
export function errorRatio(namespace: string, window: string): string {
  return `${requestRate(namespace, window, true)} / ${requestRate(namespace, window)}`;
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
