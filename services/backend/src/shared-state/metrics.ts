/** The shared-state part of the metrics contract (lib/metrics-contract.ts), registered beside the backend's others. */
import { Counter, Registry } from "prom-client";
import { BACKEND_METRICS, CACHE_RESULTS, SHARED_STATE_OPERATIONS } from "../../../../lib/metrics-contract";
import { Usage } from "../providers/types";

export type SharedStateOperation = (typeof SHARED_STATE_OPERATIONS)[number];

export class SharedStateMetrics {
  private readonly keyRequests: Counter<"key">;
  private readonly keyTokens: Counter<"key" | "kind">;
  private readonly cacheRequests: Counter<"result">;
  private readonly savedTokens: Counter<"provider" | "model" | "kind">;
  private readonly errors: Counter<"operation">;

  constructor(registry: Registry, options: { keyNames: readonly string[]; cache: boolean; valkey: boolean }) {
    const counter = <L extends string>(m: { name: string; help: string; labels: readonly L[] }) =>
      new Counter<L>({ name: m.name, help: m.help, labelNames: m.labels, registers: [registry] });
    const m = BACKEND_METRICS;
    this.keyRequests = counter(m.apiKeyRequests);
    this.keyTokens = counter(m.apiKeyTokens);
    this.cacheRequests = counter(m.cacheRequests);
    this.savedTokens = counter(m.cacheSavedTokens);
    this.errors = counter(m.sharedStateErrors);
    // Series that exist from the start, so that rate() and increase() see their first event.
    for (const key of options.keyNames) {
      this.keyRequests.labels(key).inc(0);
      for (const kind of ["prompt", "completion"]) this.keyTokens.labels(key, kind).inc(0);
    }
    if (options.cache) for (const result of CACHE_RESULTS) this.cacheRequests.labels(result).inc(0);
    if (options.valkey) for (const operation of SHARED_STATE_OPERATIONS) this.errors.labels(operation).inc(0);
  }

  keyRequest(key: string): void {
    this.keyRequests.labels(key).inc();
  }

  keyUsage(key: string, usage: Usage): void {
    if (usage.promptTokens > 0) this.keyTokens.labels(key, "prompt").inc(usage.promptTokens);
    if (usage.completionTokens > 0) this.keyTokens.labels(key, "completion").inc(usage.completionTokens);
  }

  cache(result: (typeof CACHE_RESULTS)[number]): void {
    this.cacheRequests.labels(result).inc();
  }

  saved(provider: string, model: string, usage: Usage): void {
    if (usage.promptTokens > 0) this.savedTokens.labels(provider, model, "prompt").inc(usage.promptTokens);
    if (usage.completionTokens > 0) this.savedTokens.labels(provider, model, "completion").inc(usage.completionTokens);
  }

  error(operation: SharedStateOperation): void {
    this.errors.labels(operation).inc();
  }
}
