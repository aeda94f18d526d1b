/**
 * Helm values of the two charts the Monitoring component installs, built from the stack's monitoring settings.
 * Value names follow kube-prometheus-stack's values.yaml (and its grafana and kube-state-metrics subcharts) and the
 * dcgm-exporter chart's values.yaml.
 */
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { MonitoringConfig } from "../../config/monitoring";
import { MONITORING_COMPONENT_RESOURCES } from "../../config/system-pool";
import { GPU_TOLERATION } from "../../lib/gpu";
import { ALLOWLISTED_POD_LABELS } from "../../lib/metrics-contract";
import { NAMESPACE_NAME_LABEL, PodPeer } from "../../lib/network-policy";
import { alertmanagerConfig, ReceiverChoice, RECEIVERS_SECRET } from "./alertmanager";

export const KUBE_PROMETHEUS_STACK = { chart: "kube-prometheus-stack", repo: "https://prometheus-community.github.io/helm-charts" } as const;
export const DCGM_EXPORTER = { chart: "dcgm-exporter", repo: "https://nvidia.github.io/dcgm-exporter/helm-charts" } as const;

/** kube-prometheus-stack truncates its fullname (the prefix of every object it names) to 26 characters. */
const CHART_FULLNAME_LIMIT = 26;

/**
 * Helm release name of kube-prometheus-stack, and the fullname of its objects: one per stack, so that the
 * ClusterRoles, ClusterRoleBindings and Services of two stacks' releases never share a name. The chart labels its
 * own monitors and rules `release: <this>`, and the selectors below require the same label, so every
 * ServiceMonitor and PrometheusRule of ours carries it too.
 */
export function releaseName(stack: string): string {
  const name = `kps-${stack}`;
  if (name.length <= CHART_FULLNAME_LIMIT) return name;
  // A long stack name keeps its start and gains a hash, so that truncation never makes two stacks' names equal.
  const hash = createHash("sha256").update(stack).digest("hex").slice(0, 6);
  return `kps-${stack.slice(0, CHART_FULLNAME_LIMIT - 11).replace(/-+$/, "")}-${hash}`;
}

/** The label Prometheus selects ServiceMonitors, PodMonitors and PrometheusRules by. */
export function releaseSelector(release: string): { release: string } {
  return { release };
}

/** Helm release name of the DCGM exporter, per stack like the monitoring release. */
export function dcgmReleaseName(stack: string): string {
  return `${releaseName(stack)}-dcgm`;
}

/** The Grafana sidecar loads every ConfigMap with this label as a dashboard. */
export const DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;
/** Annotation that files a dashboard into a Grafana folder (the sidecar's folderAnnotation). */
export const DASHBOARD_FOLDER_ANNOTATION = "grafana_folder";

/** Keys of the Grafana admin Secret; the chart's own defaults, named so that both sides agree. */
export const GRAFANA_ADMIN_KEYS = { user: "admin-user", password: "admin-password" } as const;

/** In-cluster name of the Grafana Service: `<release>-grafana` (the grafana subchart's fullname). */
export function grafanaService(release: string): string {
  return `${release}-grafana`;
}

/**
 * In-cluster URL of Prometheus: the chart's `<fullname>-prometheus` Service on its default port 9090
 * (prometheus-community/helm-charts kube-prometheus-stack templates/prometheus/service.yaml, values prometheus.service.port).
 */
export function prometheusUrl(stack: string, namespace: string): string {
  return `http://${releaseName(stack)}-prometheus.${namespace}.svc.cluster.local:9090`;
}

function volumeClaim(size: string, storageClass: string | undefined) {
  return { storageClassName: storageClass, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: size } } };
}

/** What the chart can scrape depends on who runs the control plane. */
export interface ClusterTraits {
  /**
   * A managed control plane (EKS): the controller manager, scheduler and etcd are not scrapeable, and their
   * `absent(up{...})` alerts (KubeControllerManagerDown, KubeSchedulerDown, critical) would fire forever.
   */
  managedControlPlane: boolean;
  /**
   * The scheduler, controller manager and etcd serve metrics where a pod can reach them. False on kind (kubeadm's
   * defaults bind them to 127.0.0.1), where their targets would be down and KubeSchedulerDown,
   * KubeControllerManagerDown and the etcd alerts would fire forever.
   */
  controlPlaneMetrics: boolean;
  /** kube-proxy runs on the nodes; without it the chart's KubeProxyDown would fire forever. */
  kubeProxy: boolean;
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
  /** Helm release name (see {@link releaseName}). */
  release: string;
  cluster: ClusterTraits;
  /** Which Alertmanager receivers the stack configures (their credentials are in {@link RECEIVERS_SECRET}). */
  receivers: ReceiverChoice;
}

export function kubePrometheusStackValues({ settings, grafanaAdminSecret, release, cluster, receivers }: KubePrometheusStackValuesArgs) {
  const RELEASE_SELECTOR = releaseSelector(release);
  const component = MONITORING_COMPONENT_RESOURCES;
  // Monitors and rules are read from the stack's own two namespaces only (ours and the chart's live in the monitoring
  // one, the exporters' in theirs), so nobody else's ServiceMonitor in the cluster changes what this Prometheus does.
  const ownNamespaces = { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: "In", values: [settings.namespace, settings.exportersNamespace] }] };
  const routing = alertmanagerConfig(receivers);
  const controlPlaneScraped = !cluster.managedControlPlane && cluster.controlPlaneMetrics;
  return {
    // Object names from the release, which follows the stack: two stacks' releases never collide.
    fullnameOverride: release,
    // `<component>.enabled` (values.yaml, "Component scraping the kube controller manager" and its siblings) gates
    // both the component's Service and ServiceMonitor and its default rules: the rule templates test it, e.g.
    // templates/prometheus/rules-1.14/kubernetes-system-controller-manager.yaml `if and ... .Values.kubeControllerManager.enabled`
    // (prometheus-community/helm-charts, kube-prometheus-stack 88.5.3).
    kubeControllerManager: { enabled: controlPlaneScraped },
    kubeScheduler: { enabled: controlPlaneScraped },
    kubeEtcd: { enabled: controlPlaneScraped },
    kubeProxy: { enabled: cluster.kubeProxy },
    prometheusOperator: {
      // The webhook's TLS certificate is made by Helm hook Jobs, which helm.v4.Chart never runs (see
      // components/monitoring.ts); without them the operator would wait forever for a Secret. Rules are checked by
      // promtool in CI instead of by the admission webhook.
      admissionWebhooks: { enabled: false },
      tls: { enabled: false },
      resources: component.prometheusOperator,
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
        resources: component.alertmanager,
        // The receivers' credentials, mounted as files the config names; the Secret exists even when it is empty.
        secrets: [RECEIVERS_SECRET],
        alertmanagerConfigSelector: { matchLabels: RELEASE_SELECTOR },
        alertmanagerConfigNamespaceSelector: ownNamespaces,
      },
      ...(routing && { config: routing }),
    },
    // node-exporter needs the host's network, PID namespace and filesystem: it runs alone with the DCGM exporter in a
    // privileged namespace, so the monitoring namespace can enforce "restricted".
    "prometheus-node-exporter": { namespaceOverride: settings.exportersNamespace, resources: component.nodeExporter },
    grafana: {
      // With an existing Secret the chart neither creates its own nor uses its default password.
      admin: { existingSecret: grafanaAdminSecret, userKey: GRAFANA_ADMIN_KEYS.user, passwordKey: GRAFANA_ADMIN_KEYS.password },
      resources: settings.grafanaResources,
      // A surge pod cannot attach the ReadWriteOnce volume the old pod holds: with persistence, roll by Recreate
      // (the grafana subchart's `deploymentStrategy`, RollingUpdate by default: grafana-community/helm-charts
      // charts/grafana/values.yaml, the repository kube-prometheus-stack 88.x takes it from; grafana/helm-charts#3801).
      deploymentStrategy: settings.grafanaStorage ? { type: "Recreate" } : { type: "RollingUpdate" },
      persistence: settings.grafanaStorage
        ? { enabled: true, type: "pvc", size: settings.grafanaStorage.size, storageClassName: settings.grafanaStorage.storageClass, accessModes: ["ReadWriteOnce"] }
        : { enabled: false },
      sidecar: {
        resources: component.grafanaSidecar,
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
      resources: component.kubeStateMetrics,
      // kube_pod_labels carries no labels unless allowlisted; the model-server alert joins on these.
      metricLabelsAllowlist: [`pods=[${ALLOWLISTED_POD_LABELS.join(",")}]`],
    },
  };
}

/**
 * The DCGM exporter: on GPU nodes only, tolerating their taint, its ServiceMonitor selected by this Prometheus.
 * `gpuNodeSelector` is the GPU pool's selector, used unless `gpuMetrics.nodeSelector` says otherwise.
 */
export function dcgmExporterValues(gpu: MonitoringConfig["gpuMetrics"], gpuNodeSelector: Record<string, string>, release: string) {
  return {
    nodeSelector: gpu.nodeSelector ?? gpuNodeSelector,
    tolerations: [GPU_TOLERATION],
    resources: gpu.resources,
    serviceMonitor: { enabled: true, additionalLabels: releaseSelector(release) },
  };
}
