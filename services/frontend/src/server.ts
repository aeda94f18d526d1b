/**
 * The frontend server: the chat page's static files, `/v1/*` forwarded to the backend, `/healthz` (alive) and
 * `/readyz` (taking traffic) for the stack's probes. Every response carries the security headers, and every request
 * is logged as one JSON line. Whatever a request does, it cannot stop the server: an unexpected exception becomes a
 * logged 500 for that request alone.
 */
import { randomUUID } from "crypto";
import * as http from "http";
import { requireAlbSignature } from "./alb-oidc";
import { guardServer, SERVER_LIMITS } from "./http-limits";
import { log } from "./log";
import { createProxy, sendError } from "./proxy";
import { SECURITY_HEADERS } from "./security-headers";
import { FrontendSettings } from "./settings";
import { isFresh, loadStaticFiles, representationOf } from "./static-files";

/** The path of the stack's startup and liveness probes (components/app/frontend.ts). */
export const HEALTH_PATH = "/healthz";
/** The readiness probe's path: 503 from the moment SIGTERM arrives, so that no new traffic is routed here. */
export const READY_PATH = "/readyz";
export const API_PREFIX = "/v1/";

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const PAGE_METHODS = "GET, HEAD, OPTIONS";

export interface FrontendServer {
  server: http.Server;
  /**
   * Fails readiness and keeps serving for `drainSeconds`, then stops accepting connections; resolves once in-flight
   * requests have finished or `graceSeconds` more have passed.
   */
  shutdown(graceSeconds: number, drainSeconds?: number): Promise<void>;
}

/** At most 64 characters of what a client sent, for an error message. */
const excerpt = (text: string) => (text.length <= 64 ? text : `${text.slice(0, 64)}… (${text.length} characters)`);

export function createFrontendServer(settings: FrontendSettings): FrontendServer {
  const files = loadStaticFiles(settings.publicDir);
  const proxy = createProxy(settings.backendUrl, settings.maxBodyBytes, settings.backendToken);
  let draining = false;
  let stopping = false;

  function handle(req: http.IncomingMessage, res: http.ServerResponse, requestId: string, path: string): void {
    if (path.startsWith(API_PREFIX)) {
      proxy.forward(req, res, requestId);
      return;
    }
    if (req.method === "OPTIONS") {
      res.writeHead(204, { Allow: PAGE_METHODS });
      res.end();
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", PAGE_METHODS);
      sendError(res, 405, `${excerpt(req.method ?? "")} is not allowed on ${excerpt(path)}`, "invalid_request_error", "method_not_allowed");
      return;
    }
    if (path === HEALTH_PATH || path === READY_PATH) {
      const notReady = path === READY_PATH && draining;
      res.writeHead(notReady ? 503 : 200, {
        "Content-Type": "application/json; charset=utf-8",
        "Cache-Control": "no-store",
        ...(notReady && { "Retry-After": String(Math.max(1, settings.shutdownDrainSeconds + settings.shutdownGraceSeconds)) }),
      });
      res.end(req.method === "HEAD" ? undefined : JSON.stringify({ status: notReady ? "draining" : "ok" }));
      return;
    }
    const file = files.get(path);
    if (!file) {
      sendError(res, 404, `${excerpt(path)} was not found`, "invalid_request_error", "not_found");
      return;
    }
    const sent = representationOf(file, req.headers["accept-encoding"]);
    const headers = { "Content-Type": file.contentType, "Cache-Control": file.cacheControl, ETag: sent.etag, ...sent.headers };
    if (isFresh(req.headers["if-none-match"], sent.etag)) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, "Content-Length": sent.body.length });
    res.end(req.method === "HEAD" ? undefined : sent.body);
  }

  // With OIDC on, only requests the ALB signed get past this point; the kubelet's probes stay open.
  const server = http.createServer({ ...SERVER_LIMITS }, requireAlbSignature(settings.albOidc, [HEALTH_PATH, READY_PATH], (req, res) => {
    const started = process.hrtime.bigint();
    const incomingId = req.headers["x-request-id"];
    const requestId = typeof incomingId === "string" && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
    const path = (req.url ?? "/").split("?")[0];
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    // While draining, tell keep-alive clients to reconnect (to another pod) after this response.
    if (draining) res.setHeader("Connection", "close");
    res.on("close", () => {
      // A keep-alive connection that finishes its last response while stopping would otherwise linger idle.
      if (stopping) setImmediate(() => server.closeIdleConnections());
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const aborted = !res.writableFinished;
      log(res.statusCode >= 500 ? "error" : "info", "request", { requestId, method: req.method, path: excerpt(path), status: res.statusCode, durationMs: Math.round(durationMs * 10) / 10, aborted: aborted || undefined });
    });
    try {
      handle(req, res, requestId, path);
    } catch (error) {
      log("error", "request handler failed", { requestId, error: String((error as Error)?.stack ?? error) });
      if (!res.headersSent && !res.destroyed) sendError(res, 500, "The frontend failed on this request.", "server_error", "internal_error");
      else res.destroy();
    }
  }));
  guardServer(server);

  async function shutdown(graceSeconds: number, drainSeconds = 0): Promise<void> {
    if (stopping) return;
    draining = true;
    if (drainSeconds > 0) await new Promise((resolve) => setTimeout(resolve, drainSeconds * 1000));
    stopping = true;
    return new Promise((resolve) => {
      const deadline = setTimeout(() => {
        log("warn", "grace period over; closing the remaining connections", { graceSeconds });
        server.closeAllConnections();
      }, graceSeconds * 1000);
      deadline.unref();
      // close() stops accepting, closes idle keep-alive connections, and calls back once the busy ones are done.
      server.close(() => {
        clearTimeout(deadline);
        proxy.close();
        resolve();
      });
      server.closeIdleConnections();
    });
  }

  return { server, shutdown };
}
