/**
 * Feature flags, the contract of both sides: the stack turns its `features` config into a flagd flag file
 * ({@link flagdDocument}) in the `backend-feature-flags` ConfigMap, mounted into the backend pod as a directory; the
 * backend evaluates the file per request with OpenFeature's flagd provider in its in-process, offline-file mode
 * (services/backend/src/feature-flags.ts). docs/feature-flags.md is the operator's page.
 *
 * A flag can only take away what the stack turns on: `knowledge`, `responseCache` and `semanticCache` are on/off
 * switches per request over the stack's own settings; `model` sends a share of the requests for the default model
 * to another served model. Percentages are split by flagd's `fractional` operation on a stable key per caller, so a
 * caller keeps its variant from one request to the next.
 *
 * This module is part of the backend image: it imports nothing.
 */

/** The flags, by the key they have in the flag file and in the stack's `features` section. */
export const FEATURES = ["knowledge", "responseCache", "semanticCache", "model"] as const;
export type FeatureName = (typeof FEATURES)[number];

/** The flags that switch one of the backend's features on or off for a request. */
export const SWITCH_FEATURES = ["knowledge", "responseCache", "semanticCache"] as const satisfies readonly FeatureName[];
export type SwitchFeature = (typeof SWITCH_FEATURES)[number];

/** Variants of a switch flag. */
export const ON = "on";
export const OFF = "off";
/** The `model` flag's variant that keeps the model a request asked for (its value is the empty string). */
export const AS_ASKED = "as-asked";

/** Where the stack mounts the ConfigMap: a directory, because kubelet updates a mounted ConfigMap by swapping a symlink. */
export const FLAGS_MOUNT_DIR = "/etc/ai-assistant/flags";
export const FLAGS_FILE_NAME = "flags.json";

/** One flag's rollout, as the stack file says it. */
export interface FeatureRollout {
  /** Share of callers (0-100, whole) that get the feature on, or the `model` flag's model. */
  percentage: number;
  /** The `model` flag only: the served model the share goes to. */
  model?: string;
}

export type FeatureRollouts = Partial<Record<FeatureName, FeatureRollout>>;

/** One flag of flagd's flag definition (https://flagd.dev/schema/v0/flags.json, definitions.anyFlag). */
export interface FlagdFlag {
  state: "ENABLED" | "DISABLED";
  variants: Record<string, boolean | string>;
  defaultVariant: string;
  targeting?: { fractional: [string, number][] };
  metadata?: Record<string, string | number | boolean>;
}

export interface FlagdDocument {
  $schema: string;
  flags: Record<FeatureName, FlagdFlag>;
}

export const FLAGD_SCHEMA = "https://flagd.dev/schema/v0/flags.json";

/**
 * `variant` for `percentage` % of callers, `rest` for the others. flagd's `fractional` without a bucketing expression
 * hashes the flag's key with the caller's `targetingKey` (flagd-core's fractional(): `${flagKey}${targetingKey}`,
 * murmurhash3), so each flag splits callers independently and a caller stays in its bucket. At 0 or 100 no targeting
 * is written: everyone gets the same variant, with no key needed.
 */
function split(percentage: number, variant: string, rest: string): Pick<FlagdFlag, "defaultVariant" | "targeting"> {
  if (percentage >= 100) return { defaultVariant: variant };
  if (percentage <= 0) return { defaultVariant: rest };
  return { defaultVariant: rest, targeting: { fractional: [[variant, percentage], [rest, 100 - percentage]] } };
}

/**
 * The flag file for a stack's rollouts. Every flag is written: one the stack does not roll out is on for everyone
 * (the stack's own setting stands) or, for `model`, keeps the model asked for. The backend then counts a flag missing
 * from the file as an error, not as a quiet default.
 */
export function flagdDocument(rollouts: FeatureRollouts): FlagdDocument {
  const flags = {} as Record<FeatureName, FlagdFlag>;
  for (const name of SWITCH_FEATURES) {
    const rollout = rollouts[name];
    flags[name] = { state: "ENABLED", variants: { [ON]: true, [OFF]: false }, ...split(rollout?.percentage ?? 100, ON, OFF) };
  }
  const model = rollouts.model;
  flags.model = model?.model
    ? { state: "ENABLED", variants: { [AS_ASKED]: "", [model.model]: model.model }, ...split(model.percentage, model.model, AS_ASKED) }
    : { state: "ENABLED", variants: { [AS_ASKED]: "" }, defaultVariant: AS_ASKED };
  return { $schema: FLAGD_SCHEMA, flags };
}
