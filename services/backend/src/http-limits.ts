import { IncomingMessage, Server } from "http";
import { Duplex } from "stream";
/**
 * The server's own limits, so that a slow or greedy client holds a socket for seconds, not minutes. Node's defaults
 * are 300 s for a request (`requestTimeout`), 60 s for its headers, and no cap on connections.
 * - `headersTimeout` 10 s, `requestTimeout` 30 s: the whole request, body included (a 1 MiB body at 256 kbit/s
 *   takes 32 s; a chat request is a few KiB). The answer is not covered: a stream may run for minutes.
 * - `keepAliveTimeout` 10 s: longer than the frontend's proxy keeps an idle connection (4 s, see
 *   services/frontend/src/proxy.ts), so the backend never closes one the frontend is about to reuse.
 * - `connectionsCheckingInterval` 1 s: how often node checks the two timeouts above (default 30 s, which would let a
 *   stalled request live up to twice as long).
 * - `maxConnections` 1000: beyond it new connections are dropped at once; a pod with 2 cores cannot serve more
 *   streams than that well, and the autoscaler adds pods on CPU long before.
 */
export const SERVER_LIMITS = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 10_000,
  connectionsCheckingInterval: 1_000,
  maxConnections: 1_000,
} as const;

const bare = (status: string, body = "") =>
  `HTTP/1.1 ${status}\r\nConnection: close\r\n${body ? "Content-Type: application/json\r\n" : ""}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/**
 * What node:http leaves to the application, answered: the connection cap; requests the parser refuses (malformed,
 * header or request timeout) get a bare 400/408/431 instead of a silently closed socket; `CONNECT` (which node hands
 * to a `connect` listener, or else drops the socket without a word) gets a 405.
 */
export function guardServer(server: Server): void {
  server.maxConnections = SERVER_LIMITS.maxConnections;
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || error.code === "ECONNRESET") return void socket.destroy();
    const status = error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? "408 Request Timeout" : error.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : "400 Bad Request";
    socket.end(bare(status));
  });
  server.on("connect", (_req: IncomingMessage, socket: Duplex) => {
    socket.on("error", () => undefined);
    const body = JSON.stringify({ error: { message: "CONNECT is not allowed here.", type: "invalid_request_error", param: null, code: "method_not_allowed" } });
    socket.end(bare("405 Method Not Allowed", body));
  });
}
