/**
 * Per-client limits on requests and tokens a minute, as two token buckets per client: a request bucket (`burst`
 * requests at once, refilled at `requestsPerMinute`) and a token bucket (one minute's worth of prompt + completion
 * tokens, refilled at `tokensPerMinute`). A request is admitted when the request bucket holds a whole request and the
 * token bucket is not empty; the tokens an answer used are taken from the token bucket afterwards (its size is only
 * known then), which may push it below zero: the client then waits until it has paid them back.
 *
 * Two implementations of the same arithmetic:
 * - {@link LocalLimiter}: buckets in this process (one replica's view; the limit multiplies by the replica count).
 * - {@link ValkeyLimiter}: buckets in the shared Valkey, each admission one atomic Lua script (Valkey runs a script
 *   alone, so replicas never race on a bucket), timed by Valkey's own clock (`TIME`), so replica clocks don't matter.
 *   When Valkey is unreachable, the failure policy decides: `open` admits through this replica's {@link LocalLimiter}
 *   (logged and counted), `closed` refuses with a 503.
 */
import type Redis from "ioredis";
import { ValkeyFailurePolicy } from "../../../../lib/backend-env";

/** A client's limits; 0 turns a limit off. */
export interface Quota {
  requestsPerMinute: number;
  burst: number;
  tokensPerMinute: number;
}

export type Admission = { allowed: true } | { allowed: false; retryAfterSeconds: number; limit: "requests" | "tokens" };

export interface Limiter {
  /** One request of `client`: allowed, or how long to wait. */
  admit(client: string, quota: Quota): Promise<Admission>;
  /** Takes the tokens an answer used from the client's token bucket (no wait; errors are the limiter's to handle). */
  spend(client: string, quota: Quota, tokens: number): void;
}

/** Valkey was needed and could not answer, and the policy is to refuse. */
export class SharedStateUnavailable extends Error {
  override name = "SharedStateUnavailable";
}

const ALLOWED: Admission = { allowed: true };
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

interface Bucket {
  level: number;
  at: number;
}

/** Buckets kept at most in one process; beyond it the oldest half is forgotten (they are full or nearly so). */
const MAX_BUCKETS = 50_000;

export class LocalLimiter implements Limiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = Date.now) {}

  private level(key: string, perMinute: number, size: number, now: number): Bucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= MAX_BUCKETS) [...this.buckets.keys()].slice(0, MAX_BUCKETS / 2).forEach((k) => this.buckets.delete(k));
      bucket = { level: size, at: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.level = Math.min(size, bucket.level + ((now - bucket.at) * perMinute) / 60_000);
      bucket.at = now;
    }
    return bucket;
  }

  async admit(client: string, quota: Quota): Promise<Admission> {
    return this.admitNow(client, quota);
  }

  admitNow(client: string, quota: Quota): Admission {
    const now = this.now();
    const requests = quota.requestsPerMinute > 0 ? this.level(`${client}:r`, quota.requestsPerMinute, quota.burst, now) : undefined;
    const tokens = quota.tokensPerMinute > 0 ? this.level(`${client}:t`, quota.tokensPerMinute, quota.tokensPerMinute, now) : undefined;
    if (requests && requests.level < 1) return { allowed: false, limit: "requests", retryAfterSeconds: seconds(((1 - requests.level) * 60_000) / quota.requestsPerMinute) };
    if (tokens && tokens.level <= 0) return { allowed: false, limit: "tokens", retryAfterSeconds: seconds(((1 - tokens.level) * 60_000) / quota.tokensPerMinute) };
    if (requests) requests.level -= 1;
    return ALLOWED;
  }

  spend(client: string, quota: Quota, tokens: number): void {
    if (quota.tokensPerMinute <= 0 || tokens <= 0) return;
    this.level(`${client}:t`, quota.tokensPerMinute, quota.tokensPerMinute, this.now()).level -= tokens;
  }
}

/**
 * KEYS: the request bucket, the token bucket. ARGV: requests per minute, burst, tokens per minute (0: that limit is
 * off). Returns {1, 0} when admitted, else {0, milliseconds to wait, 1 (requests) or 2 (tokens)}. Each bucket is a
 * hash {l: level, t: last update in ms} that expires once it would be full again (an idle client costs nothing).
 */
export const ADMIT_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local function level(key, perMinute, size)
  local v = redis.call('HMGET', key, 'l', 't')
  local l, at = tonumber(v[1]), tonumber(v[2])
  if not l then return size end
  return math.min(size, l + math.max(0, now - at) * perMinute / 60000)
end
local function store(key, l, perMinute, size)
  redis.call('HSET', key, 'l', tostring(l), 't', tostring(now))
  redis.call('PEXPIRE', key, math.ceil((size - l) * 60000 / perMinute) + 1000)
end
local rpm, burst, tpm = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local requests, tokens
if rpm > 0 then
  requests = level(KEYS[1], rpm, burst)
  if requests < 1 then return {0, math.ceil((1 - requests) * 60000 / rpm), 1} end
end
if tpm > 0 then
  tokens = level(KEYS[2], tpm, tpm)
  if tokens <= 0 then return {0, math.ceil((1 - tokens) * 60000 / tpm), 2} end
end
if rpm > 0 then store(KEYS[1], requests - 1, rpm, burst) end
return {1, 0}
`;

/** KEYS: the token bucket. ARGV: tokens per minute, tokens spent. */
export const SPEND_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local tpm, spent = tonumber(ARGV[1]), tonumber(ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'l', 't')
local l, at = tonumber(v[1]), tonumber(v[2])
if not l then l = tpm else l = math.min(tpm, l + math.max(0, now - at) * tpm / 60000) end
l = l - spent
redis.call('HSET', KEYS[1], 'l', tostring(l), 't', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((tpm - l) * 60000 / tpm) + 1000)
return 1
`;

type ScriptedRedis = Redis & {
  assistantAdmit(requestKey: string, tokenKey: string, rpm: number, burst: number, tpm: number): Promise<[number, number, number?]>;
  assistantSpend(tokenKey: string, tpm: number, spent: number): Promise<number>;
};

/** What the Valkey limiter reports when Valkey fails it (for the metric and the log). */
export type SharedStateFailure = (operation: "limit" | "spend", error: Error) => void;

export class ValkeyLimiter implements Limiter {
  private readonly redis: ScriptedRedis;
  private readonly local = new LocalLimiter();

  constructor(
    client: Redis,
    private readonly policy: ValkeyFailurePolicy,
    private readonly failed: SharedStateFailure,
  ) {
    // defineCommand sends EVALSHA and falls back to EVAL once when the server does not know the script yet.
    client.defineCommand("assistantAdmit", { numberOfKeys: 2, lua: ADMIT_SCRIPT });
    client.defineCommand("assistantSpend", { numberOfKeys: 1, lua: SPEND_SCRIPT });
    this.redis = client as ScriptedRedis;
  }

  async admit(client: string, quota: Quota): Promise<Admission> {
    let answer: [number, number, number?];
    try {
      answer = await this.redis.assistantAdmit(`rl:${client}:r`, `rl:${client}:t`, quota.requestsPerMinute, quota.burst, quota.tokensPerMinute);
    } catch (error) {
      this.failed("limit", error as Error);
      if (this.policy === "closed") throw new SharedStateUnavailable((error as Error).message);
      return this.local.admitNow(client, quota);
    }
    const [allowed, waitMs, limit] = answer;
    return allowed === 1 ? ALLOWED : { allowed: false, retryAfterSeconds: seconds(waitMs), limit: limit === 2 ? "tokens" : "requests" };
  }

  spend(client: string, quota: Quota, tokens: number): void {
    if (quota.tokensPerMinute <= 0 || tokens <= 0) return;
    this.redis.assistantSpend(`rl:${client}:t`, quota.tokensPerMinute, tokens).catch((error: Error) => {
      this.failed("spend", error);
      this.local.spend(client, quota, tokens);
    });
  }
}
