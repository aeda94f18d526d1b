/**
 * An exact cache of completed answers. The key is a SHA-256 over a canonical form of everything that changes the
 * answer: the model, every message (role and text, in order) and the sampling parameters (temperature, top_p,
 * max_tokens, max_completion_tokens, stop, seed). Whether the answer was streamed does not change it, so a streamed
 * request may be answered from a JSON one's entry and the other way round.
 *
 * Which requests are cached (`CACHE_MODE`): `deterministic` only those with `temperature: 0` (a client that asks
 * for sampling wants a fresh draw); `all` every request (for a stack that values cost over variety). Only answers
 * of the requested provider that finished normally are stored: a fallback answer, a broken stream or a cut-off
 * (`length`) answer is never served again as if it were the model's.
 *
 * Bounds: each entry lives `CACHE_TTL_SECONDS`; entries over `CACHE_MAX_ENTRY_BYTES` are not stored; in the process
 * at most `CACHE_MAX_ENTRIES` (least recently used first out); in Valkey, its `maxmemory` with an LRU eviction policy.
 * A cache failure is a miss: the cache never fails a request.
 */
import { createHash } from "crypto";
import type Redis from "ioredis";
import type { AnswerSource } from "../../../../lib/answer-sources";
import { BackendSettings } from "../../../../lib/backend-env";
import { ChatRequest, Usage } from "../providers/types";

/** An answer as stored: enough to answer again, as JSON or as a stream. */
export interface CachedAnswer {
  text: string;
  finishReason: string;
  usage?: Usage;
  /** Who answered the first time (the `X-Assistant-Provider` header and the metric labels of the saving). */
  provider: string;
  model: string;
  /** The passages a grounded answer cited (lib/answer-sources.ts): replayed with it, so a cached answer stays cited. */
  sources?: AnswerSource[];
}

export interface CacheStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
}

/** Least recently used first out, each entry with its own expiry. */
export class LocalCacheStore implements CacheStore {
  private readonly entries = new Map<string, { value: string; expires: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string): Promise<string | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expires <= this.now()) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, { value, expires: this.now() + ttlMs });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}

export class ValkeyCacheStore implements CacheStore {
  constructor(private readonly client: Redis) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.client.get(`cache:${key}`)) ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.client.set(`cache:${key}`, value, "PX", ttlMs);
  }
}

/** The canonical key of a request, or undefined when the request is not to be cached. */
export function cacheKey(request: ChatRequest, mode: BackendSettings["cache"]["mode"]): string | undefined {
  if (mode === "off" || (mode === "deterministic" && request.temperature !== 0)) return undefined;
  // The leading number is the entry format: 2 since entries carry their sources, so that no entry stored without
  // them (format 1) answers a grounded question uncited.
  const canonical = JSON.stringify([
    2,
    request.model,
    request.messages.map((m) => [m.role, m.content]),
    request.temperature ?? null,
    request.topP ?? null,
    request.maxTokens ?? null,
    request.maxCompletionTokens ?? null,
    request.stop ?? null,
    request.seed ?? null,
  ]);
  return createHash("sha256").update(canonical, "utf8").digest("hex");
}

export class ResponseCache {
  constructor(
    private readonly settings: BackendSettings["cache"],
    private readonly store: CacheStore,
    private readonly failed: (operation: "cache-get" | "cache-set", error: Error) => void,
  ) {}

  keyFor(request: ChatRequest): string | undefined {
    return cacheKey(request, this.settings.mode);
  }

  async get(key: string): Promise<CachedAnswer | undefined> {
    try {
      const value = await this.store.get(key);
      return value === undefined ? undefined : (JSON.parse(value) as CachedAnswer);
    } catch (error) {
      this.failed("cache-get", error as Error);
      return undefined;
    }
  }

  /** Stores a finished answer (not awaited by the request: the client already has it). */
  put(key: string, answer: CachedAnswer): void {
    if (answer.finishReason !== "stop") return;
    const value = JSON.stringify(answer);
    if (Buffer.byteLength(value) > this.settings.maxEntryBytes) return;
    this.store.set(key, value, this.settings.ttlSeconds * 1000).catch((error: Error) => this.failed("cache-set", error));
  }
}
