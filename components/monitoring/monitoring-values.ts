/**
 * Helm values of the two charts the Monitoring component installs, built from the stack's monitoring settings.
 * Value names follow kube-prometheus-stack's values.yaml (and its grafana and kube-state-metrics subcharts) and the
 * dcgm-exporter chart's values.yaml.
 */
import * as pulumi from "@pulumi/pulumi";
import { MonitoringConfig } from "../../config/monitoring";
import { GPU_TOLERATION } from "../../lib/gpu";
import { ALLOWLISTED_POD_LABELS } from "../../lib/metrics-contract";
import { NAMESPACE_NAME_LABEL, PodPeer } from "../../lib/network-policy";
import { alertmanagerConfig, ReceiverChoice, RECEIVERS_SECRET } from "./alertmanager";

export const KUBE_PROMETHEUS_STACK = { chart: "kube-prometheus-stack", repo: "https://prometheus-community.github.io/helm-charts" } as const;
export const DCGM_EXPORTER = { chart: "dcgm-exporter", repo: "https://nvidia.github.io/dcgm-exporter/helm-charts" } as const;

/**
 * Helm release name of kube-prometheus-stack. The chart labels its own monitors and rules `release: <this>`, and
 * the selectors below require the same label, so every ServiceMonitor and PrometheusRule of ours carries it too.
 */
export const RELEASE_NAME = "kube-prometheus-stack";

/** The label Prometheus selects ServiceMonitors, PodMonitors and PrometheusRules by. */
export const RELEASE_SELECTOR = { release: RELEASE_NAME } as const;

/** The Grafana sidecar loads every ConfigMap with this label as a dashboard. */
export const DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;
/** Annotation that files a dashboard into a Grafana folder (the sidecar's folderAnnotation). */
export const DASHBOARD_FOLDER_ANNOTATION = "grafana_folder";

/** Keys of the Grafana admin Secret; the chart's own defaults, named so that both sides agree. */
export const GRAFANA_ADMIN_KEYS = { user: "admin-user", password: "admin-password" } as const;

/** In-cluster name of the Grafana Service: `<release>-grafana`. */
export const GRAFANA_SERVICE = `${RELEASE_NAME}-grafana`;

function volumeClaim(size: string, storageClass: string | undefined) {
  return { storageClassName: storageClass, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: size } } };
}

/**
 * Prometheus's pods, as the operator labels them (`app.kubernetes.io/name: prometheus`): the only pods the app's
 * NetworkPolicies let reach a metrics port. verified: kube-prometheus-stack's own templates/prometheus/service.yaml
 * and networkpolicy.yaml select the pods by this label (prometheus-community/helm-charts, 88.5.3).
 */
export function prometheusPods(monitoringNamespace: string): PodPeer {
  return { namespace: monitoringNamespace, podLabels: { "app.kubernetes.io/name": "prometheus" } };
}

export interface KubePrometheusStackValuesArgs {
  settings: MonitoringConfig;
  /** Name of the Secret holding Grafana's admin user and password. */
  grafanaAdminSecret: pulumi.Input<string>;
  /** Which Alertmanager receivers the stack configures (their credentials are in {@link RECEIVERS_SECRET}). */
  receivers: ReceiverChoice;
}

export function kubePrometheusStackValues({ settings, grafanaAdminSecret, receivers }: KubePrometheusStackValuesArgs) {
  // Monitors and rules are read from the stack's own two namespaces only (ours and the chart's live in the monitoring
  // one, the exporters' in theirs), so nobody else's ServiceMonitor in the cluster changes what this Prometheus does.
  const ownNamespaces = { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: "In", values: [settings.namespace, settings.exportersNamespace] }] };
  const routing = alertmanagerConfig(receivers);
  return {
    prometheusOperator: {
      // The webhook's TLS certificate is made by Helm hook Jobs, which helm.v4.Chart never runs (see
      // components/monitoring.ts); without them the operator would wait forever for a Secret. Rules are checked by
      // promtool in CI instead of by the admission webhook.
      admissionWebhooks: { enabled: false },
      tls: { enabled: false },
    },
    prometheus: {
      prometheusSpec: {
        retention: settings.retention,
        resources: settings.prometheusResources,
        // emptyDir when no storage is configured: dev loses its metrics with the pod, which is fine there.
        storageSpec: settings.storage ? { volumeClaimTemplate: { spec: volumeClaim(settings.storage.size, settings.storage.storageClass) } } : {},
        // Explicit rather than the chart's "nil uses Helm values" default, so a reviewer sees what is selected:
        // everything labelled with this release, in the stack's monitoring namespaces.
        serviceMonitorSelector: { matchLabels: RELEASE_SELECTOR },
        serviceMonitorNamespaceSelector: ownNamespaces,
        podMonitorSelector: { matchLabels: RELEASE_SELECTOR },
        podMonitorNamespaceSelector: ownNamespaces,
        ruleSelector: { matchLabels: RELEASE_SELECTOR },
        ruleNamespaceSelector: ownNamespaces,
        probeSelector: { matchLabels: RELEASE_SELECTOR },
        probeNamespaceSelector: ownNamespaces,
        scrapeConfigSelector: { matchLabels: RELEASE_SELECTOR },
        scrapeConfigNamespaceSelector: ownNamespaces,
      },
    },
    alertmanager: {
      alertmanagerSpec: {
        // The receivers' credentials, mounted as files the config names; the Secret exists even when it is empty.
        secrets: [RECEIVERS_SECRET],
        alertmanagerConfigSelector: { matchLabels: RELEASE_SELECTOR },
        alertmanagerConfigNamespaceSelector: ownNamespaces,
      },
      ...(routing && { config: routing }),
    },
    // node-exporter needs the host's network, PID namespace and filesystem: it runs alone with the DCGM exporter in a
    // privileged namespace, so the monitoring namespace can enforce "restricted".
    "prometheus-node-exporter": { namespaceOverride: settings.exportersNamespace },
    grafana: {
      // With an existing Secret the chart neither creates its own nor uses its default password.
      admin: { existingSecret: grafanaAdminSecret, userKey: GRAFANA_ADMIN_KEYS.user, passwordKey: GRAFANA_ADMIN_KEYS.password },
      resources: settings.grafanaResources,
      persistence: settings.grafanaStorage
        ? { enabled: true, type: "pvc", size: settings.grafanaStorage.size, storageClassName: settings.grafanaStorage.storageClass, accessModes: ["ReadWriteOnce"] }
        : { enabled: false },
      sidecar: {
        dashboards: {
          enabled: true,
          label: Object.keys(DASHBOARD_LABEL)[0],
          labelValue: Object.values(DASHBOARD_LABEL)[0],
          folderAnnotation: DASHBOARD_FOLDER_ANNOTATION,
          provider: { foldersFromFilesStructure: true },
        },
      },
      // Helm test pods are hooks; they never run under helm.v4.Chart.
      testFramework: { enabled: false },
      // The chown init container runs as root with CHOWN, which "restricted" forbids; the pod's fsGroup (472) already
      // makes the volume Grafana's.
      initChownData: { enabled: false },
    },
    "kube-state-metrics": {
      // kube_pod_labels carries no labels unless allowlisted; the model-server alert joins on these.
      metricLabelsAllowlist: [`pods=[${ALLOWLISTED_POD_LABELS.join(",")}]`],
    },
  };
}

/** The DCGM exporter: on GPU nodes only, tolerating their taint, its ServiceMonitor selected by this Prometheus. */
export function dcgmExporterValues(gpu: MonitoringConfig["gpuMetrics"]) {
  return {
    nodeSelector: gpu.nodeSelector,
    tolerations: [GPU_TOLERATION],
    resources: gpu.resources,
    serviceMonitor: { enabled: true, additionalLabels: RELEASE_SELECTOR },
  };
}
