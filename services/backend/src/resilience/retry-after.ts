/**
 * `Retry-After` as RFC 9110 section 10.2.3 defines it: delay-seconds or an HTTP-date. OpenAI also sends
 * `retry-after-ms`, which wins when present.
 */
export function retryAfterMs(headers: { get(name: string): string | null } | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get("retry-after-ms");
  if (ms && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const value = headers.get("retry-after")?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Exponential backoff with jitter when the upstream gives no `Retry-After`: about 0.2 s, 0.4 s, 0.8 s, … */
export function backoffMs(attempt: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, 200 * 2 ** attempt);
  return Math.round(ceiling * (0.5 + random() / 2));
}
