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
