/** How the render's monthly cost estimate (tools/cost/) reads the stack: the usage it cannot see in the plan. */
import { z } from "zod";
import { PRICED_REGIONS } from "../tools/cost/prices";

export const costSchema = z
  .strictObject({
    /**
     * Hours a day the GPU nodes run. 24 for a fixed pool; fewer when the pool is scaled to zero part of the day.
     * The expected total and the minimum use it; the maximum assumes the largest pool around the clock.
     */
    gpuHoursPerDay: z
      .number({ error: "expected a number of hours" })
      .min(0, { message: "expected 0 to 24 hours a day" })
      .max(24, { message: "expected 0 to 24 hours a day" })
      .default(24),
    /**
     * Fraction below the on-demand price that spot capacity (`capacityType: spot`) is assumed to cost. Spot prices
     * move by zone and hour; 0.5 is a deliberately cautious middle of the 40-70% that GPU spot usually saves.
     */
    spotDiscount: z
      .number({ error: "expected a fraction such as 0.5" })
      .min(0, { message: "expected a fraction from 0 to 0.9" })
      .max(0.9, { message: "expected a fraction from 0 to 0.9" })
      .default(0.5),
    /**
     * New model-server versions (engine image, model, engine flags) a month, with `delivery.canary.modelServers`
     * on: each runs a second GPU pod for the canary's duration, which the estimate adds to the expected GPU hours.
     */
    modelServerCanariesPerMonth: z
      .number({ error: "expected a number of releases a month" })
      .int({ message: "expected a whole number of releases" })
      .min(0, { message: "expected 0 to 100 releases a month" })
      .max(100, { message: "expected 0 to 100 releases a month" })
      .default(4),
    /**
     * Prices for what a stack adds to an existing cluster (volumes, load balancers), as if it ran on AWS in this
     * region. An EKS stack is always priced in `cluster.region`.
     */
    region: z.enum(PRICED_REGIONS as [string, ...string[]], { error: `expected one of ${PRICED_REGIONS.join(", ")}` }).optional(),
  })
  .prefault({});

export type CostConfig = z.output<typeof costSchema>;

/** A region of its own would contradict the cluster's; refuse it rather than price one region and deploy another. */
export function costRules(config: { cluster?: { type?: unknown }; cost?: Partial<CostConfig> }, ctx: z.RefinementCtx): void {
  if (config.cluster?.type === "eks" && config.cost?.region !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["cost", "region"],
      message: "expected no cost.region on an EKS stack (it is priced in cluster.region)",
      input: config.cost.region,
    });
  }
}
