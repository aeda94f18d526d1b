/**
 * Small zod building blocks shared by every config section. Each message starts with "expected …" because the
 * error formatter prints it beside what was found.
 */
import { z } from "zod";
import { isDigest, isRepository, isTag, parseImageReference, ImageReference } from "./image";
import { isByteQuantity, isCpuQuantity, parseQuantity } from "./quantity";

// YAML turns `cpu: 1` into a number; Kubernetes takes either, so accept both and keep the string form.
const quantityText = (check: (text: string) => boolean, message: string) =>
  z.preprocess(
    (value) => (typeof value === "number" ? String(value) : value),
    z.string({ error: message }).refine(check, { message }),
  );

export const cpuQuantity = quantityText(isCpuQuantity, "expected a Kubernetes CPU quantity such as 250m or 1.5");
export const byteQuantity = quantityText(isByteQuantity, "expected a Kubernetes memory quantity such as 512Mi or 4Gi");

/** A duration as Prometheus writes it: 12h, 7d, 4w, 1y. */
export const retentionPeriod = z
  .string()
  .regex(/^\d+(h|d|w|y)$/, { message: "expected a duration such as 12h, 15d or 6w" });

/** Days in a Prometheus-style duration, for rules such as "prod keeps at least 30 days". */
export function retentionDays(period: string): number {
  const amount = Number(period.slice(0, -1));
  const unit = period.slice(-1);
  return amount * { h: 1 / 24, d: 1, w: 7, y: 365 }[unit as "h" | "d" | "w" | "y"];
}

export const positiveInt = z.number({ error: "expected a whole number" }).int({ message: "expected a whole number" });

const imageObject = z.strictObject({
  repository: z.string().refine(isRepository, { message: "expected a repository such as ghcr.io/acme/backend" }),
  tag: z.string().refine(isTag, { message: "expected a tag such as 1.4.2" }).optional(),
  digest: z.string().refine(isDigest, { message: "expected a digest such as sha256:<64 hex digits>" }).optional(),
});

/**
 * An image, either as one reference string (`ghcr.io/acme/backend:1.4.2`) or as `{repository, tag, digest}`.
 * Both become an {@link ImageReference}.
 */
export const imageReference = z.union([
  z.string().transform((ref, ctx): ImageReference => {
    const parsed = parseImageReference(ref);
    if (!parsed) {
      ctx.addIssue({ code: "custom", message: "expected an image reference such as registry/name:tag or name@sha256:<digest>", input: ref });
      return z.NEVER;
    }
    return parsed;
  }),
  imageObject,
], { error: "expected an image reference string or {repository, tag, digest}" });

/** Requests and limits; every container sets both so that the scheduler and the OOM killer agree on its size. */
export interface ResourceDefaults {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/** requests/limits with per-field defaults, so a stack can change one number and keep the rest. */
export function resourcesSchema(defaults: ResourceDefaults) {
  const pair = (d: { cpu: string; memory: string }) =>
    z.strictObject({ cpu: cpuQuantity.default(d.cpu), memory: byteQuantity.default(d.memory) }).prefault({});
  return z
    .strictObject({ requests: pair(defaults.requests), limits: pair(defaults.limits) })
    .prefault({})
    .superRefine((resources, ctx) => {
      for (const kind of ["cpu", "memory"] as const) {
        const request = parseQuantity(resources.requests[kind]);
        const limit = parseQuantity(resources.limits[kind]);
        if (request !== undefined && limit !== undefined && request > limit) {
          ctx.addIssue({
            code: "custom",
            path: ["requests", kind],
            message: `expected a request no larger than the limit (${resources.limits[kind]})`,
            input: resources.requests[kind],
          });
        }
      }
    });
}
