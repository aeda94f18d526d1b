/**
 * What Prometheus scrapes in the app namespace: the backend's and vLLM's `/metrics`, found through their Services'
 * labels (lib/labels.ts). The ServiceMonitors live in the monitoring namespace with everything else of it, and
 * reach into the app namespace with a namespaceSelector.
 */
import { PART_OF } from "../../lib/labels";
import { CNPG_CLUSTER_LABEL, CNPG_NAMESPACE, KNOWLEDGE_DATABASE_NAME, MODEL_SERVER_NAME, VALKEY_NAME } from "../../lib/metrics-contract";
import { ROLLOUT_HASH_POD_LABEL, ROLLOUT_HASH_SERIES_LABEL } from "../../lib/rollout";

/** One scrape target, as a ServiceMonitor (or PodMonitor, for pods without a metrics Service) spec and the name it goes by. */
export interface ScrapeTarget {
  name: string;
  kind?: "ServiceMonitor" | "PodMonitor";
  spec: Record<string, unknown>;
}

/**
 * A PodMonitor for pods that have no Service for their metrics port: CloudNativePG's instances and its operator
 * (the PodMonitors cloudnative-pg v1.30.0 docs/src/samples/monitoring/podmonitor.yaml and docs/src/monitoring.md
 * show: pods by label, port `metrics`).
 */
function podMonitorSpec(namespace: string, matchLabels: Record<string, string>, jobLabel: string) {
  return {
    jobLabel,
    namespaceSelector: { matchNames: [namespace] },
    selector: { matchLabels },
    podMetricsEndpoints: [{ port: "metrics", path: "/metrics", interval: "30s", scrapeTimeout: "10s" }],
  };
}

export interface ScrapeTargetArgs {
  appNamespace: string;
  stack: string;
}

/**
 * The backend's and vLLM's pods' Argo Rollouts hash as a series label, so that a canary's analysis can select its own pods
 * (./canary-analysis.ts). Prometheus offers every pod label as `__meta_kubernetes_pod_label_<name>` with '-' made
 * '_' (kubernetes_sd_config, endpoints role); a pod without the label (a plain Deployment's) gets none.
 */
const ROLLOUT_HASH_RELABELING = {
  sourceLabels: [`__meta_kubernetes_pod_label_${ROLLOUT_HASH_POD_LABEL.replace(/-/g, "_")}`],
  targetLabel: ROLLOUT_HASH_SERIES_LABEL,
  action: "replace",
};

function serviceMonitorSpec(appNamespace: string, matchLabels: Record<string, string>, port = "http", relabelings?: object[]) {
  return {
    // The job label becomes the Service's app.kubernetes.io/name (backend, model-server): stable, whatever the
    // Service is called, so that the alerts and dashboards can name it.
    jobLabel: "app.kubernetes.io/name",
    namespaceSelector: { matchNames: [appNamespace] },
    selector: { matchLabels },
    endpoints: [{ port, path: "/metrics", interval: "30s", scrapeTimeout: "10s", ...(relabelings && { relabelings }) }],
  };
}

export function scrapeTargets({ appNamespace, stack }: ScrapeTargetArgs): ScrapeTarget[] {
  const instance = `${PART_OF}-${stack}`;
  return [
    {
      name: "backend",
      spec: serviceMonitorSpec(appNamespace, { "app.kubernetes.io/name": "backend", "app.kubernetes.io/instance": instance }, "http", [ROLLOUT_HASH_RELABELING]),
    },
    {
      // Only vLLM serves Prometheus metrics; an Ollama Service carries engine=ollama and is left alone. Present in
      // every phase, so that switching phases stays a config change; it matches nothing until vLLM runs.
      name: "model-server-vllm",
      // With the hash a model-server canary's analysis selects its pods by (delivery.canary.modelServers).
      spec: serviceMonitorSpec(
        appNamespace,
        { "app.kubernetes.io/name": MODEL_SERVER_NAME, "app.kubernetes.io/instance": instance, "ai-assistant.io/engine": "vllm" },
        "http",
        [ROLLOUT_HASH_RELABELING],
      ),
    },
    // redis_exporter beside Valkey, on the valkey-io chart's metrics Service (`valkey-metrics`, port `metrics`); matches nothing in a stack without Valkey.
    // Both of Valkey's Services carry these labels; only the metrics one has a port named `metrics`.
    { name: "valkey", spec: serviceMonitorSpec(appNamespace, { "app.kubernetes.io/name": VALKEY_NAME, "app.kubernetes.io/instance": instance }, "metrics") },
    // The knowledge base's Postgres instances (every pod of the Cluster carries its name); matches nothing with knowledge off.
    { name: "knowledge-db", kind: "PodMonitor", spec: podMonitorSpec(appNamespace, { [CNPG_CLUSTER_LABEL]: KNOWLEDGE_DATABASE_NAME }, CNPG_CLUSTER_LABEL) },
    // The CloudNativePG operator, where the stack installs it; matches nothing otherwise.
    { name: "cloudnative-pg", kind: "PodMonitor", spec: podMonitorSpec(CNPG_NAMESPACE, { "app.kubernetes.io/name": "cloudnative-pg" }, "app.kubernetes.io/name") },
    {
      // Triton's OpenAI frontend serves Triton's metrics at /metrics on the same port as its API (routers/
      // observability.py); no separate listener on 8002 runs in this mode. Matches nothing until Triton runs.
      name: "model-server-triton",
      spec: serviceMonitorSpec(appNamespace, {
        "app.kubernetes.io/name": MODEL_SERVER_NAME,
        "app.kubernetes.io/instance": instance,
        "ai-assistant.io/engine": "triton",
      }),
    },
  ];
}
