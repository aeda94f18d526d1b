/**
 * The frontend server: the chat page's static files, `/v1/*` forwarded to the backend, and `/healthz` for the
 * stack's probes. Every response carries the security headers, and every request is logged as one JSON line.
 */
import { randomUUID } from "crypto";
import * as http from "http";
import { requireAlbSignature } from "./alb-oidc";
import { log } from "./log";
import { createProxy, sendError } from "./proxy";
import { SECURITY_HEADERS } from "./security-headers";
import { FrontendSettings } from "./settings";
import { isFresh, loadStaticFiles } from "./static-files";

/** The path of the stack's startup, readiness and liveness probes (components/app/frontend.ts). */
export const HEALTH_PATH = "/healthz";
export const API_PREFIX = "/v1/";

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export interface FrontendServer {
  server: http.Server;
  /** Stops accepting connections; resolves once in-flight requests have finished or `graceSeconds` have passed. */
  shutdown(graceSeconds: number): Promise<void>;
}

export function createFrontendServer(settings: FrontendSettings): FrontendServer {
  const files = loadStaticFiles(settings.publicDir);
  const proxy = createProxy(settings.backendUrl);
  let stopping = false;

  const server = http.createServer(requireAlbSignature(settings.albOidc, HEALTH_PATH, (req, res) => {
    const started = process.hrtime.bigint();
    const incomingId = req.headers["x-request-id"];
    const requestId = typeof incomingId === "string" && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
    const path = (req.url ?? "/").split("?")[0];
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    // While draining, tell keep-alive clients to reconnect (to another pod) after this response.
    if (stopping) res.setHeader("Connection", "close");
    res.on("close", () => {
      // A keep-alive connection that finishes its last response while draining would otherwise linger idle.
      if (stopping) setImmediate(() => server.closeIdleConnections());
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const aborted = !res.writableFinished;
      log(res.statusCode >= 500 ? "error" : "info", "request", { requestId, method: req.method, path, status: res.statusCode, durationMs: Math.round(durationMs * 10) / 10, aborted: aborted || undefined });
    });

    if (path.startsWith(API_PREFIX)) {
      proxy.forward(req, res, requestId);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      sendError(res, 405, `${req.method} is not allowed on ${path}`, "invalid_request_error", "method_not_allowed");
      return;
    }
    if (path === HEALTH_PATH) {
      res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : JSON.stringify({ status: "ok" }));
      return;
    }
    const file = files.get(path);
    if (!file) {
      sendError(res, 404, `${path} was not found`, "invalid_request_error", "not_found");
      return;
    }
    const headers = { "Content-Type": file.contentType, "Cache-Control": file.cacheControl, ETag: file.etag };
    if (isFresh(req.headers["if-none-match"], file.etag)) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, "Content-Length": file.body.length });
    res.end(req.method === "HEAD" ? undefined : file.body);
  }));

  function shutdown(graceSeconds: number): Promise<void> {
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
