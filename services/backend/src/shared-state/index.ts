/**
 * The backend's shared state, behind three small hooks the request flow calls (see server.ts):
 * - {@link SharedState.admit}: who is calling (API key, the frontend, or an address) and whether their limits let
 *   this request in; throws the 401, 429 or 503 to answer with;
 * - {@link SharedState.cache}: the response cache (undefined when `CACHE_MODE` is off);
 * - {@link SharedState.answered}: the tokens an answer used, taken from the caller's budget and counted per key.
 * With `VALKEY_URL` set, buckets and cache entries live in Valkey and hold across replicas; without it, in the process.
 */
import { IncomingMessage } from "http";
import { Registry } from "prom-client";
import { BackendSettings } from "../../../../lib/backend-env";
import { HttpError } from "../errors";
import { Logger } from "../log";
import { Usage } from "../providers/types";
import { clientAddress } from "../rate-limit";
import { ApiKeys, Caller } from "./api-keys";
import { Limiter, LocalLimiter, Quota, SharedStateUnavailable, ValkeyLimiter } from "./limiter";
import { SharedStateMetrics, SharedStateOperation } from "./metrics";
import { LocalCacheStore, ResponseCache, ValkeyCacheStore } from "./response-cache";
import { connectValkey, ValkeyConnection } from "./valkey-client";

/** An admitted caller: the bucket it spends from, its limits, and the key's name for the per-key metrics. */
export interface Admitted {
  caller: Caller;
  bucket: string;
  quota: Quota;
}

export class SharedState {
  readonly metrics: SharedStateMetrics;
  readonly cache?: ResponseCache;
  private readonly keys: ApiKeys;
  private readonly limiter?: Limiter;
  private readonly connection?: ValkeyConnection;
  private readonly defaultQuota: Quota;

  constructor(
    private readonly settings: BackendSettings,
    registry: Registry,
    log: Logger,
  ) {
    this.keys = new ApiKeys(settings.clientApiKeys, settings.frontendToken);
    this.metrics = new SharedStateMetrics(registry, { keyNames: this.keys.names, cache: settings.cache.mode !== "off", valkey: settings.valkey !== undefined });
    const failed = (operation: SharedStateOperation, error: Error) => {
      this.metrics.error(operation);
      log.warn("valkey command failed", { operation, error: error.message, policy: operation.startsWith("cache") ? "miss" : settings.valkey?.failurePolicy });
    };
    const { rateLimit } = settings;
    this.defaultQuota = { requestsPerMinute: rateLimit.perMinute, burst: rateLimit.burst, tokensPerMinute: rateLimit.tokensPerMinute };
    const limited = rateLimit.perMinute > 0 || rateLimit.tokensPerMinute > 0 || settings.clientApiKeys.some((k) => k.requestsPerMinute || k.tokensPerMinute);
    if (settings.valkey) this.connection = connectValkey(settings.valkey.url, settings.valkey.password, log);
    if (limited) this.limiter = this.connection ? new ValkeyLimiter(this.connection.client, settings.valkey!.failurePolicy, failed) : new LocalLimiter();
    if (settings.cache.mode !== "off") {
      const store = this.connection ? new ValkeyCacheStore(this.connection.client) : new LocalCacheStore(settings.cache.maxEntries);
      this.cache = new ResponseCache(settings.cache, store, failed);
    }
  }

  /** Who sent a request (no limit applies); throws the 401 to answer with when keys are on and it has none. */
  identify(req: IncomingMessage): Caller {
    return this.keys.identify(req);
  }

  /** The caller of a request and its admission; throws the {@link HttpError} to answer with when it is refused. */
  async admit(req: IncomingMessage): Promise<Admitted> {
    const caller = this.keys.identify(req);
    let admitted: Admitted;
    if (caller.kind === "key") {
      const { key } = caller;
      this.metrics.keyRequest(key.name);
      // A key's own quota where it has one; the stack's per-client limits otherwise. The burst follows the rate.
      const requestsPerMinute = key.requestsPerMinute ?? this.defaultQuota.requestsPerMinute;
      const burst = key.requestsPerMinute ? Math.max(1, Math.min(this.defaultQuota.burst, key.requestsPerMinute)) : this.defaultQuota.burst;
      admitted = { caller, bucket: `key:${key.name}`, quota: { requestsPerMinute, burst, tokensPerMinute: key.tokensPerMinute ?? this.defaultQuota.tokensPerMinute } };
    } else {
      admitted = { caller, bucket: `addr:${clientAddress(req, this.settings.rateLimit.trustProxyHops)}`, quota: this.defaultQuota };
    }
    if (!this.limiter) return admitted;
    let admission;
    try {
      admission = await this.limiter.admit(admitted.bucket, admitted.quota);
    } catch (error) {
      if (!(error instanceof SharedStateUnavailable)) throw error;
      throw new HttpError(503, "The gateway cannot check rate limits right now; retry shortly.", "service_unavailable", "shared_state_unavailable", null, { "retry-after": "1" });
    }
    if (admission.allowed) return admitted;
    const what = caller.kind === "key" ? `API key ${caller.key.name}` : "this client";
    const message =
      admission.limit === "tokens"
        ? `Token limit reached for ${what}; retry in ${admission.retryAfterSeconds} s.`
        : `Too many requests from ${what}; retry in ${admission.retryAfterSeconds} s.`;
    throw new HttpError(429, message, "rate_limit_error", admission.limit === "tokens" ? "token_limit_exceeded" : "rate_limit_exceeded", null, {
      "retry-after": String(admission.retryAfterSeconds),
    });
  }

  /** The tokens an answer used: spent from the caller's token budget, counted per key. */
  answered(admitted: Admitted, usage: Usage | undefined): void {
    if (!usage) return;
    if (admitted.caller.kind === "key") this.metrics.keyUsage(admitted.caller.key.name, usage);
    this.limiter?.spend(admitted.bucket, admitted.quota, usage.promptTokens + usage.completionTokens);
  }

  async close(): Promise<void> {
    await this.connection?.close();
  }
}
