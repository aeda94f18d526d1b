import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CNPG_OPERATOR_RESOURCES } from "../../config/system-pool";
import { stackLabels } from "../../lib/labels";
import { CNPG_NAMESPACE } from "../../lib/metrics-contract";
import { podSecurityLabels } from "../../lib/pod-security";

/**
 * cloudnative-pg/charts, published at https://cloudnative-pg.github.io/charts (chart `cloudnative-pg`; the
 * repository's gh-pages index.yaml lists 0.29.0 with operator 1.30.0).
 */
export const CNPG_CHART = { chart: "cloudnative-pg", repo: "https://cloudnative-pg.github.io/charts" } as const;
export { CNPG_NAMESPACE };
/** The operator pod's `app.kubernetes.io/name` (the chart's selectorLabels: the chart name). */
export const CNPG_OPERATOR_POD_LABELS = { "app.kubernetes.io/name": "cloudnative-pg" } as const;
/** The operator's metrics port (templates/deployment.yaml, containerPort 8080 named `metrics`, chart 0.29.0). */
export const CNPG_OPERATOR_METRICS_PORT = 8080;

export interface CloudNativePgOperatorArgs {
  /** Provider of the cluster. */
  provider: k8s.Provider;
  /** Exact chart version. */
  chartVersion: string;
  /** Stack name, for the namespace's labels. */
  stack: string;
  /** Node labels the operator runs on (EKS: the system pool); any node when absent. */
  nodeSelector?: Record<string, string>;
}

/**
 * The CloudNativePG operator from its official chart: it turns a `Cluster` into Postgres pods, volumes, Services
 * and Secrets, fails over, and takes backups. Cluster-wide (its CRDs and webhooks are), so one per cluster: a stack
 * on a cluster that already runs it sets `knowledge.operator.install: false`. `Cluster`s depend on `chart`.
 */
export class CloudNativePgOperator extends pulumi.ComponentResource {
  public readonly chart: k8s.helm.v4.Chart;
  public readonly namespace: k8s.core.v1.Namespace;

  constructor(name: string, args: CloudNativePgOperatorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:knowledge:CloudNativePgOperator", name, {}, opts);
    const childOpts = { parent: this, provider: args.provider };
    // The chart's pod runs as non-root with RuntimeDefault seccomp (podSecurityContext) and its container drops every
    // capability, with a read-only root and no privilege escalation (containerSecurityContext): values.yaml at
    // cloudnative-pg-v0.29.0. The restricted level is enforced on its namespace, so a chart change that broke it
    // would be refused by the API server rather than run.
    this.namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      { metadata: { name: CNPG_NAMESPACE, labels: { ...stackLabels(args.stack), ...podSecurityLabels("restricted", ["enforce"]) } } },
      childOpts,
    );
    this.chart = new k8s.helm.v4.Chart(
      `${name}-chart`,
      {
        chart: CNPG_CHART.chart,
        version: args.chartVersion,
        repositoryOpts: { repo: CNPG_CHART.repo },
        name: "cnpg",
        namespace: this.namespace.metadata.name,
        values: {
          // The chart sets no resources (values.yaml `resources: {}`).
          resources: CNPG_OPERATOR_RESOURCES,
          // Stated rather than inherited, so that the render shows them and a chart default change cannot weaken them.
          podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
          containerSecurityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsUser: 10001,
            runAsGroup: 10001,
            seccompProfile: { type: "RuntimeDefault" },
            capabilities: { drop: ["ALL"] },
          },
          // Scraped through the stack's own PodMonitor (components/monitoring/scrape-targets.ts), which exists only
          // after kube-prometheus-stack's CRDs: the chart's would race them.
          monitoring: { podMonitorEnabled: false, grafanaDashboard: { create: false } },
          ...(args.nodeSelector && { nodeSelector: args.nodeSelector }),
        },
      },
      { ...childOpts, dependsOn: [this.namespace] },
    );
    this.registerOutputs({});
  }
}
