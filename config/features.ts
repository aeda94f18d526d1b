/**
 * `features`: the backend's feature flags and their rollout (docs/feature-flags.md). Each key is a flag of
 * lib/feature-flags.ts; the stack writes them as a flagd flag file into a ConfigMap the backend reads per request,
 * so a change rolls out without new pods. No `features` key (or an empty one): no flag file, the backend as before.
 *
 * ```yaml
 * ai-assistant:features:
 *   knowledge: { percentage: 25 }            # grounding for 25% of callers, off for the others
 *   model: { model: llama-3.1-8b, percentage: 10 }   # 10% of requests for the default model go to this one
 * ```
 */
import { z } from "zod";
import { FEATURES, FeatureRollouts } from "../lib/feature-flags";

const percentage = z
  .number({ error: "expected a whole number from 0 to 100" })
  .int({ message: "expected a whole number from 0 to 100" })
  .min(0, { message: "expected a whole number from 0 to 100" })
  .max(100, { message: "expected a whole number from 0 to 100" });

/** A switch flag: the share of callers (0-100) that keep the feature; the others have it off. */
const switchRollout = z.strictObject({ percentage });

export const featuresSchema = z
  .object({
    /** Knowledge retrieval (grounding with sources) for this share of callers. */
    knowledge: switchRollout.optional(),
    /** The exact response cache (`backend.responseCache`) for this share of callers. */
    responseCache: switchRollout.optional(),
    /** The semantic cache for this share of callers (it rides on retrieval: off wherever knowledge is). */
    semanticCache: switchRollout.optional(),
    /** This share of callers' requests for the default model go to `model`, another model the stack serves. */
    model: z.strictObject({ model: z.string({ error: "expected a model name" }).min(1, { message: "expected a model name" }), percentage }).optional(),
  })
  .loose()
  // An unknown key is a flag the backend would never evaluate: refused, naming the flags there are.
  .superRefine((features, ctx) => {
    for (const key of Object.keys(features).filter((key) => !(FEATURES as readonly string[]).includes(key))) {
      ctx.addIssue({ code: "custom", path: [key], message: `expected one of the flags ${FEATURES.join(", ")}`, input: key });
    }
  })
  // Only the flags go on (the known keys; unknown ones were refused above).
  .transform(({ knowledge, responseCache, semanticCache, model }) => ({
    ...(knowledge && { knowledge }),
    ...(responseCache && { responseCache }),
    ...(semanticCache && { semanticCache }),
    ...(model && { model }),
  }))
  .prefault({});

export type FeaturesConfig = z.output<typeof featuresSchema>;

/** The rollouts to write as a flag file; undefined when the stack rolls nothing out (no file, no ConfigMap). */
export function featureRollouts(features: FeaturesConfig): FeatureRollouts | undefined {
  const rollouts: FeatureRollouts = {};
  for (const name of FEATURES) if (features[name]) Object.assign(rollouts, { [name]: features[name] });
  return Object.keys(rollouts).length > 0 ? rollouts : undefined;
}

/** What the rules need to know of the rest of the stack. */
export interface FeatureContext {
  /** Models the backend serves by name, the default first (what the router knows). */
  servedModels: string[];
  /** `backend.responseCache.mode`. */
  responseCacheMode: string | undefined;
}

/**
 * A flag only narrows what the stack turns on, so rolling out the response cache needs the cache on; the model flag
 * must name a model the backend serves other than its default (the share would otherwise go nowhere new).
 */
export function featureRules(features: FeaturesConfig | undefined, context: FeatureContext, ctx: z.RefinementCtx): void {
  if (!features) return;
  if (features.responseCache && context.responseCacheMode === "off") {
    ctx.addIssue({
      code: "custom",
      path: ["features", "responseCache"],
      message: "expected backend.responseCache.mode deterministic or all: a flag only turns the cache off for some callers, and this stack has it off for all",
      input: features.responseCache,
    });
  }
  const model = features.model?.model;
  if (model === undefined || context.servedModels.length === 0) return;
  const [defaultModel, ...others] = context.servedModels;
  if (!others.includes(model)) {
    const choice = others.length > 0 ? `one of the other models this stack serves (${others.join(", ")})` : `a second model, and this stack serves only ${defaultModel}`;
    ctx.addIssue({
      code: "custom",
      path: ["features", "model", "model"],
      message: `expected ${choice}: the model flag sends a share of the requests for the default model (${defaultModel}) to another served model`,
      input: model,
    });
  }
}
