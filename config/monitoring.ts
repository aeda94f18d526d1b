/** The Prometheus/Grafana monitoring stack (kube-prometheus-stack), sized per stack. */
import { z } from "zod";
import { byteQuantity, resourcesSchema, retentionPeriod } from "./primitives";

const exactVersion = (example: string) =>
  z.string().regex(/^\d+\.\d+\.\d+$/, { message: `expected an exact chart version such as ${example}` });

/** A PersistentVolumeClaim's size and class; the cluster's default StorageClass when `storageClass` is absent. */
const volume = z.strictObject({ size: byteQuantity, storageClass: z.string().min(1).optional() });

const namespaceName = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: "expected a Kubernetes namespace name (lower case letters, digits, '-')" });

/** NVIDIA's DCGM exporter on the GPU nodes: GPU utilisation, memory and temperature for Prometheus. */
const gpuMetrics = z
  .strictObject({
    enabled: z.boolean({ error: "expected true or false" }).default(false),
    /** dcgm-exporter chart version. verified: NVIDIA/dcgm-exporter gh-pages helm-charts/index.yaml (2026-05-05) lists 4.8.2. */
    chartVersion: exactVersion("4.8.2").default("4.8.2"),
    /** Labels of the GPU node pool; the exporter's DaemonSet runs only there. Absent: `localModel.gpu.nodeSelector`. */
    nodeSelector: z.record(z.string(), z.string()).optional(),
    resources: resourcesSchema({
      requests: { cpu: "50m", memory: "128Mi" },
      limits: { cpu: "500m", memory: "512Mi" },
    }),
  })
  .prefault({});

export const monitoringSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Namespace of Prometheus, Grafana, Alertmanager, the operator and kube-state-metrics (Pod Security "restricted"). */
    namespace: namespaceName.default("monitoring"),
    /**
     * kube-prometheus-stack chart version; pinned so that a preview never changes under a reviewer.
     * verified: prometheus-community/helm-charts, release tag kube-prometheus-stack-88.5.3 and main's
     * charts/kube-prometheus-stack/Chart.yaml (2026-08-22); there is no 92.x. The gh-pages index.yaml is over the
     * snapshot's size limit, so the tag chart-releaser creates with each published package is the evidence.
     */
    chartVersion: exactVersion("88.5.3").default("88.5.3"),
    /** Namespace of node-exporter and the DCGM exporter alone: they need host access (Pod Security "privileged"). */
    exportersNamespace: namespaceName.default("monitoring-exporters"),
    /** How long Prometheus keeps samples. */
    retention: retentionPeriod.default("7d"),
    /** Persistent volume for Prometheus; absent keeps data on an emptyDir (lost with the pod, fine for dev). */
    storage: volume.optional(),
    /** Persistent volume for Grafana (users, UI-made dashboards); absent keeps Grafana's state on an emptyDir. */
    grafanaStorage: volume.optional(),
    prometheusResources: resourcesSchema({
      requests: { cpu: "200m", memory: "512Mi" },
      limits: { cpu: "1", memory: "2Gi" },
    }),
    grafanaResources: resourcesSchema({
      requests: { cpu: "50m", memory: "128Mi" },
      limits: { cpu: "500m", memory: "256Mi" },
    }),
    gpuMetrics,
    /**
     * Where Alertmanager sends alerts: `slack` (secret alertSlackWebhookUrl) and/or `pagerduty` (secret
     * alertPagerDutyRoutingKey). None: alerts reach no one, and the render says so.
     */
    alertReceivers: z
      .array(z.enum(["slack", "pagerduty"], { error: 'expected "slack" or "pagerduty"' }))
      .default([])
      .refine((list) => new Set(list).size === list.length, { message: "expected each receiver once" }),
    /** Price of one GPU-hour in USD, for the cost dashboard's estimate (a g5.xlarge on demand is about $1). */
    gpuHourlyCostUsd: z
      .number({ error: "expected a price in USD such as 1.01" })
      .positive({ message: "expected a price in USD greater than 0" })
      .default(1.01),
  })
  .prefault({})
  .superRefine((monitoring, ctx) => {
    if (monitoring.exportersNamespace === monitoring.namespace) {
      ctx.addIssue({
        code: "custom",
        path: ["exportersNamespace"],
        message: `expected a namespace other than monitoring.namespace (${monitoring.namespace}): the exporters' namespace is privileged, Prometheus's is restricted`,
        input: monitoring.exportersNamespace,
      });
    }
  });

export type MonitoringConfig = z.output<typeof monitoringSchema>;
