import { IncomingMessage, Server } from "http";
import { Duplex } from "stream";
/**
 * The frontend server's own limits (Node's defaults: 300 s for a request, no cap on connections).
 * - `headersTimeout` 10 s, `requestTimeout` 30 s: the whole request, body included; the answer (a stream) is not
 *   covered. Checked every second (`connectionsCheckingInterval`; node's default 30 s would double them).
 * - `keepAliveTimeout` 65 s: longer than the idle timeout of the load balancer in front (the AWS ALB's default is
 *   60 s, ingress-nginx's upstream keep-alive 60 s), because a server that closes an idle connection first races the
 *   balancer's next request on it, which then fails as a 502. AWS: "configure the idle timeout of your application
 *   to be larger than the idle timeout configured for the load balancer" (Application Load Balancers guide,
 *   "Connection idle timeout"). An idle connection costs a socket, not a request: the two timeouts above bound what a
 *   slow client can hold, and `maxConnections` the total.
 * - `maxConnections` 2000: each chat stream holds one connection here and one to the backend (which takes 1000).
 */
export const SERVER_LIMITS = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 65_000,
  connectionsCheckingInterval: 1_000,
  maxConnections: 2_000,
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
