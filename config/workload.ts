/** Settings every Deployment-backed workload (frontend, backend) shares: image, size, replicas, autoscaling. */
import { z } from "zod";
import { imageSource } from "./image-build";
import { positiveInt, resourcesSchema, ResourceDefaults } from "./primitives";
import { ImageReference } from "./image";

export interface WorkloadDefaults {
  image: ImageReference;
  resources: ResourceDefaults;
}

const autoscaling = z
  .strictObject({
    /** Off: the Deployment runs `replicas` pods and no HorizontalPodAutoscaler is made. */
    enabled: z.boolean().default(true),
    minReplicas: positiveInt.min(1, { message: "expected at least 1 replica" }).default(1),
    maxReplicas: positiveInt.min(1, { message: "expected at least 1 replica" }).default(3),
    targetCpuPercent: positiveInt
      .min(1, { message: "expected a percentage from 1 to 100" })
      .max(100, { message: "expected a percentage from 1 to 100" })
      .default(70),
  })
  .prefault({})
  .superRefine((value, ctx) => {
    if (value.minReplicas > value.maxReplicas) {
      ctx.addIssue({
        code: "custom",
        path: ["minReplicas"],
        message: `expected minReplicas no larger than maxReplicas (${value.maxReplicas})`,
        input: value.minReplicas,
      });
    }
  });

/** A workload's settings, plus `extra` keys of its own (the frontend adds `expose`). */
export function workloadSchema<Extra extends z.ZodRawShape = {}>(defaults: WorkloadDefaults, extra?: Extra) {
  return z
    .strictObject({
      image: imageSource.default(defaults.image),
      resources: resourcesSchema(defaults.resources),
      /** Pods to run when autoscaling is off. */
      replicas: positiveInt.min(1, { message: "expected at least 1 replica" }).default(1),
      autoscaling,
      ...(extra ?? ({} as Extra)),
    })
    // Every key has a default, so an absent section parses as {}; TypeScript cannot see that through `Extra`.
    .prefault({} as never);
}

export type WorkloadConfig = z.output<ReturnType<typeof workloadSchema>>;
