import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MonitoringConfig } from "../../config/monitoring";
import { alertRuleGroups } from "./alert-rules";
import { dashboards } from "./dashboards";
import { stackLabels } from "../../lib/labels";
import { podSecurityLabels } from "../../lib/pod-security";
import {
  DASHBOARD_FOLDER_ANNOTATION,
  DASHBOARD_LABEL,
  ClusterTraits,
  DCGM_EXPORTER,
  dcgmExporterValues,
  dcgmReleaseName,
  GRAFANA_ADMIN_KEYS,
  grafanaService,
  KUBE_PROMETHEUS_STACK,
  kubePrometheusStackValues,
  releaseName,
  releaseSelector,
} from "./monitoring-values";
import { scrapeTargets } from "./scrape-targets";
import { NO_RECEIVER_WARNING, RECEIVER_KEYS, RECEIVERS_SECRET } from "./alertmanager";

export interface MonitoringArgs {
  /** The hosted API's prices per million tokens, for the money the response cache saved (cost dashboard). */
  tokenPrices?: { provider: string; prompt: number; completion: number };
  /** `knowledge.backup.maxAgeHours`: the backup-age alert's threshold. */
  knowledgeBackupMaxAgeHours?: number;
  /** Provider of the target cluster. */
  provider: k8s.Provider;
  /** Stack name: the instance label the scrape selectors match, and part of every object's labels. */
  stack: string;
  /** Namespace the assistant runs in; its Services are scraped and the alerts and dashboards look at it. */
  appNamespace: string;
  /** Namespace, chart versions, retention, storage and sizes from the stack's `monitoring` settings. */
  settings: MonitoringConfig;
  /** Grafana's admin password, a Pulumi secret. It goes into a Secret the chart reads, never into chart values. */
  grafanaAdminPassword: pulumi.Input<string> | undefined;
  /** What the cluster lets Prometheus scrape (a managed control plane, kube-proxy or not). */
  cluster: ClusterTraits;
  /** Labels of the GPU node pool: where the DCGM exporter runs unless `gpuMetrics.nodeSelector` is set. */
  gpuNodeSelector: Record<string, string>;
  /** The cluster's StorageClasses (EKS): Prometheus and Grafana claim volumes only after they exist. */
  storageClasses?: pulumi.Input<pulumi.Resource>[];
  /** Slack incoming-webhook URL for alerts, a Pulumi secret. */
  slackWebhookUrl?: pulumi.Input<string>;
  /** PagerDuty Events API v2 routing key for critical alerts, a Pulumi secret. */
  pagerDutyRoutingKey?: pulumi.Input<string>;
}

/** Grafana's admin login name; only the password is secret. */
const GRAFANA_ADMIN_USER = "admin";

/**
 * Prometheus, Grafana and Alertmanager (kube-prometheus-stack) in their own "restricted" namespace, node-exporter
 * and (on GPU nodes, when asked) the DCGM exporter in a privileged one of their own, Alertmanager's receivers from
 * the stack's secrets, and what this program adds to them: ServiceMonitors for the backend and vLLM, the alert rules
 * (lib/alert-rules.ts) and the dashboards (lib/dashboards).
 *
 * The charts are `helm.v4.Chart`, not `helm.v3.Release`: a Chart's objects are Pulumi resources, so `pulumi preview`
 * on a pull request shows a per-object diff of what a version bump or a values change does, where a Release shows
 * one opaque resource. The price is that v4 runs no Helm hooks; kube-prometheus-stack uses them only for its
 * admission webhook's certificate, which is switched off (lib/monitoring-values.ts).
 */
export class Monitoring extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  /** In-cluster URL of Grafana; reach it with `kubectl port-forward svc/<name> 3000:80 -n <namespace>`. */
  public readonly grafanaUrl: pulumi.Output<string>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before registering anything, so that a bad argument stops the program with its message alone.
    if (args.grafanaAdminPassword === undefined) {
      throw new pulumi.ResourceError("expected grafanaAdminPassword (a Pulumi secret) when monitoring is enabled", opts?.parent);
    }
    const missing = { slack: args.slackWebhookUrl, pagerduty: args.pagerDutyRoutingKey };
    for (const receiver of args.settings.alertReceivers) {
      if (missing[receiver] === undefined) {
        throw new pulumi.ResourceError(`expected the ${receiver} credential (a Pulumi secret), because monitoring.alertReceivers names ${receiver}`, opts?.parent);
      }
    }
    for (const key of ["namespace", "exportersNamespace"] as const) {
      if (args.settings[key] === args.appNamespace) {
        throw new pulumi.ResourceError(
          `expected monitoring.${key} to differ from the app namespace "${args.appNamespace}": the app namespace runs only the assistant, under its own NetworkPolicies`,
          opts?.parent,
        );
      }
    }
    super("ai-assistant:monitoring:Monitoring", name, {}, opts);
    const { settings } = args;
    const childOpts = { parent: this, provider: args.provider };
    const release = releaseName(args.stack);
    const RELEASE_SELECTOR = releaseSelector(release);
    const labels = stackLabels(args.stack);

    // Prometheus, Grafana, Alertmanager, the operator and kube-state-metrics need no host access: their namespace
    // enforces "restricted" (and warns and audits at it), as the app's does.
    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      { metadata: { name: settings.namespace, labels: { ...labels, ...podSecurityLabels("restricted") } } },
      childOpts,
    );
    // node-exporter reads the host's /proc and /sys with hostNetwork and hostPID, and the DCGM exporter runs as root
    // with SYS_ADMIN: both forbidden by "baseline" and "restricted". They alone run in this namespace.
    const exportersNamespace = new k8s.core.v1.Namespace(
      `${name}-exporters-namespace`,
      { metadata: { name: settings.exportersNamespace, labels: { ...labels, ...podSecurityLabels("privileged") } } },
      childOpts,
    );
    this.namespace = namespace.metadata.name;
    const metadata = (objectName: string, extra: Record<string, string> = {}) => ({ name: objectName, namespace: this.namespace, labels: { ...labels, ...extra } });

    const grafanaAdmin = new k8s.core.v1.Secret(
      `${name}-grafana-admin`,
      {
        metadata: metadata("grafana-admin"),
        type: "Opaque",
        stringData: { [GRAFANA_ADMIN_KEYS.user]: GRAFANA_ADMIN_USER, [GRAFANA_ADMIN_KEYS.password]: pulumi.secret(args.grafanaAdminPassword) },
      },
      childOpts,
    );

    // The Secret exists (possibly empty) whatever is configured, because the Alertmanager pods mount it.
    const receiverCredentials: Record<string, pulumi.Input<string>> = {};
    if (settings.alertReceivers.includes("slack") && args.slackWebhookUrl !== undefined) {
      receiverCredentials[RECEIVER_KEYS.slack] = pulumi.secret(args.slackWebhookUrl);
    }
    if (settings.alertReceivers.includes("pagerduty") && args.pagerDutyRoutingKey !== undefined) {
      receiverCredentials[RECEIVER_KEYS.pagerDuty] = pulumi.secret(args.pagerDutyRoutingKey);
    }
    new k8s.core.v1.Secret(
      `${name}-alertmanager-receivers`,
      { metadata: metadata(RECEIVERS_SECRET), type: "Opaque", stringData: receiverCredentials },
      childOpts,
    );
    const receivers = { slack: settings.alertReceivers.includes("slack"), pagerDuty: settings.alertReceivers.includes("pagerduty") };
    if (!receivers.slack && !receivers.pagerDuty) pulumi.log.warn(NO_RECEIVER_WARNING);

    const stack = new k8s.helm.v4.Chart(
      `${name}-kube-prometheus-stack`,
      {
        chart: KUBE_PROMETHEUS_STACK.chart,
        version: settings.chartVersion,
        repositoryOpts: { repo: KUBE_PROMETHEUS_STACK.repo },
        name: release,
        namespace: this.namespace,
        values: kubePrometheusStackValues({ settings, grafanaAdminSecret: grafanaAdmin.metadata.name, release, cluster: args.cluster, receivers }),
      },
      // Prometheus's and Grafana's claims take the default StorageClass at creation; it must exist by then.
      { ...childOpts, dependsOn: [exportersNamespace, ...(args.storageClasses ?? [])] },
    );
    // The ServiceMonitor and PrometheusRule kinds are the chart's CRDs: create our objects after them.
    const afterChart = { ...childOpts, dependsOn: [stack] };

    if (settings.gpuMetrics.enabled) {
      new k8s.helm.v4.Chart(
        `${name}-dcgm-exporter`,
        {
          chart: DCGM_EXPORTER.chart,
          version: settings.gpuMetrics.chartVersion,
          repositoryOpts: { repo: DCGM_EXPORTER.repo },
          name: dcgmReleaseName(args.stack),
          namespace: exportersNamespace.metadata.name,
          values: dcgmExporterValues(settings.gpuMetrics, args.gpuNodeSelector, release),
        },
        afterChart,
      );
    }

    for (const target of scrapeTargets({ appNamespace: args.appNamespace, stack: args.stack })) {
      new k8s.apiextensions.CustomResource(
        `${name}-${target.name}`,
        { apiVersion: "monitoring.coreos.com/v1", kind: target.kind ?? "ServiceMonitor", metadata: metadata(target.name, RELEASE_SELECTOR), spec: target.spec },
        afterChart,
      );
    }

    new k8s.apiextensions.CustomResource(
      `${name}-alert-rules`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: metadata("ai-assistant-alerts", RELEASE_SELECTOR),
        spec: { groups: alertRuleGroups({ appNamespace: args.appNamespace, knowledgeBackupMaxAgeHours: args.knowledgeBackupMaxAgeHours }) },
      },
      afterChart,
    );

    for (const board of dashboards({ appNamespace: args.appNamespace, gpuHourlyCostUsd: settings.gpuHourlyCostUsd, tokenPrices: args.tokenPrices })) {
      new k8s.core.v1.ConfigMap(
        `${name}-dashboard-${board.uid}`,
        {
          metadata: { ...metadata(`dashboard-${board.uid}`, DASHBOARD_LABEL), annotations: { [DASHBOARD_FOLDER_ANNOTATION]: "AI Assistant" } },
          data: { [`${board.uid}.json`]: JSON.stringify(board, null, 2) },
        },
        childOpts,
      );
    }

    this.grafanaUrl = pulumi.interpolate`http://${grafanaService(release)}.${this.namespace}.svc.cluster.local`;
    this.registerOutputs({ namespace: this.namespace, grafanaUrl: this.grafanaUrl });
  }
}
