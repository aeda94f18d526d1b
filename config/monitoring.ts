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
    /** Namespace of Prometheus, Grafana and the exporters; it must differ from the app's (see components/monitoring.ts). */
    namespace: namespaceName.default("monitoring"),
    /**
     * kube-prometheus-stack chart version; pinned so that a preview never changes under a reviewer.
     * verified: prometheus-community/helm-charts, release tag kube-prometheus-stack-88.5.3 and main's
     * charts/kube-prometheus-stack/Chart.yaml (2026-08-22); there is no 92.x. The gh-pages index.yaml is over the
     * snapshot's size limit, so the tag chart-releaser creates with each published package is the evidence.
     */
    chartVersion: exactVersion("88.5.3").default("88.5.3"),
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
    /** Price of one GPU-hour in USD, for the cost dashboard's estimate (a g5.xlarge on demand is about $1). */
    gpuHourlyCostUsd: z
      .number({ error: "expected a price in USD such as 1.01" })
      .positive({ message: "expected a price in USD greater than 0" })
      .default(1.01),
  })
  .prefault({});

export type MonitoringConfig = z.output<typeof monitoringSchema>;
