/**
 * A token bucket per client: `burst` requests at once, refilled at `perMinute`. Clients are told apart by the
 * address the trusted proxies put in `X-Forwarded-For` (each appends the address it saw, so with N proxies in
 * front the client is the N-th entry from the right; entries further left are whatever the client sent), else
 * by the connection's address.
 */
import { IncomingMessage } from "http";

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets kept at most; beyond it the full ones (idle clients) are dropped. */
const MAX_BUCKETS = 50_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    perMinute: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = perMinute / 60_000;
  }

  /** Takes one token: `undefined` when allowed, else the seconds until the next token. */
  take(client: string): number | undefined {
    const now = this.now();
    let bucket = this.buckets.get(client);
    if (!bucket) {
      if (this.buckets.size >= MAX_BUCKETS) this.prune(now);
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(client, bucket);
    } else {
      bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.perMs);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000));
  }

  private prune(now: number): void {
    for (const [client, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.perMs >= this.burst) this.buckets.delete(client);
    }
    // Everyone is busy: forget the oldest half rather than grow without bound.
    if (this.buckets.size >= MAX_BUCKETS) [...this.buckets.keys()].slice(0, MAX_BUCKETS / 2).forEach((client) => this.buckets.delete(client));
  }
}

export function clientAddress(request: IncomingMessage, trustedProxies: number): string {
  if (trustedProxies > 0) {
    const header = request.headers["x-forwarded-for"];
    const entries = (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",").map((entry) => entry.trim()).filter(Boolean);
    if (entries.length >= trustedProxies) return entries[entries.length - trustedProxies];
  }
  return request.socket.remoteAddress ?? "unknown";
}
