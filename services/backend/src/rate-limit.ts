/**
 * Who a client is, for the per-client limits (shared-state/limiter.ts). Clients are told apart by the
 * address the trusted proxies put in `X-Forwarded-For` (each appends the address it saw, so with N proxies in
 * front the client is the N-th entry from the right; entries further left are whatever the client sent), else
 * by the connection's address.
 */
import { IncomingMessage } from "http";

export function clientAddress(request: IncomingMessage, trustedProxies: number): string {
  if (trustedProxies > 0) {
    const header = request.headers["x-forwarded-for"];
    const entries = (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",").map((entry) => entry.trim()).filter(Boolean);
    if (entries.length >= trustedProxies) return entries[entries.length - trustedProxies];
  }
  return request.socket.remoteAddress ?? "unknown";
}
