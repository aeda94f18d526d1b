/** The Prometheus/Grafana monitoring stack (kube-prometheus-stack), sized per stack. */
import { z } from "zod";
import { byteQuantity, resourcesSchema, retentionPeriod } from "./primitives";

export const monitoringSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** kube-prometheus-stack chart version; pinned so that a preview never changes under a reviewer. */
    chartVersion: z.string().regex(/^\d+\.\d+\.\d+$/, { message: "expected an exact chart version such as 77.0.0" }).default("79.5.0"),
    /** How long Prometheus keeps samples. */
    retention: retentionPeriod.default("7d"),
    /** Persistent volume for Prometheus; absent keeps data on an emptyDir (lost with the pod, fine for dev). */
    storage: z
      .strictObject({ size: byteQuantity, storageClass: z.string().min(1).optional() })
      .optional(),
    prometheusResources: resourcesSchema({
      requests: { cpu: "200m", memory: "512Mi" },
      limits: { cpu: "1", memory: "2Gi" },
    }),
    grafanaResources: resourcesSchema({
      requests: { cpu: "50m", memory: "128Mi" },
      limits: { cpu: "500m", memory: "256Mi" },
    }),
  })
  .prefault({});

export type MonitoringConfig = z.output<typeof monitoringSchema>;
