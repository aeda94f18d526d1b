/**
 * The backend's own service settings (beside image and size): the per-client rate limit that protects a paid API
 * key behind a public endpoint, and the debug switch for logging prompts. They reach the backend as environment
 * variables of the contract in lib/backend-env.ts.
 */
import { z } from "zod";
import { positiveInt } from "./primitives";
import { apiKeyQuotasSchema, responseCacheSchema } from "./shared-state";

export const rateLimitSchema = z
  .strictObject({
    /** On by default in production stacks (see `resolveRateLimit`); `false`/`true` decides explicitly. */
    enabled: z.boolean({ error: "expected true or false" }).optional(),
    /** Chat requests per minute one client may make, on average (the bucket's refill rate). */
    requestsPerMinute: positiveInt.min(1, { message: "expected at least 1 request per minute" }).max(100_000).default(30),
    /** Requests a client may make at once before the rate applies (the bucket's size). */
    burst: positiveInt.min(1, { message: "expected a burst of at least 1" }).max(100_000).default(10),
    /** Prompt + completion tokens per minute one client may use; 0: no token limit. */
    tokensPerMinute: positiveInt.min(0, { message: "expected 0 (off) or more" }).max(1_000_000_000).default(0),
  })
  .prefault({});

/** Extra keys of the `backend` section. */
export const backendServiceSettings = {
  rateLimit: rateLimitSchema,
  /** Quotas of the client API keys, by key name; a key without one has the per-client `rateLimit`. */
  apiKeys: apiKeyQuotasSchema,
  /** The exact response cache (docs/shared-state.md). */
  responseCache: responseCacheSchema,
  /** Log prompt and answer text; for debugging only, as prompts may hold personal data. */
  logPrompts: z.boolean({ error: "expected true or false" }).default(false),
};

export type RateLimitConfig = z.output<typeof rateLimitSchema>;

/** The rate limit a stack runs with: its own setting, else on exactly when the stack is a production one. */
export function resolveRateLimit(rateLimit: RateLimitConfig, production: boolean): RateLimitConfig & { enabled: boolean } {
  return { ...rateLimit, enabled: rateLimit.enabled ?? production };
}
