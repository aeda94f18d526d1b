/**
 * Forwards `/v1/*` to the backend, so that the browser talks to one origin. Bodies stream through untouched in both
 * directions (no buffering, no re-encoding): server-sent events reach the browser as the backend writes them. When
 * the browser goes away mid-answer the upstream request is destroyed, so the backend stops generating too.
 * Request bodies are counted on the way: one larger than the limit is answered 413 here (with the backend's error
 * shape) and never written on, so the client gets the same answer it would get from the backend, not a 502 from a
 * write into a connection the backend closed.
 */
import * as http from "http";
import * as https from "https";

/** Request headers the backend needs; hop-by-hop headers and cookies stay behind. */
const FORWARDED_REQUEST_HEADERS = ["accept", "accept-language", "authorization", "content-type", "content-encoding", "content-length", "user-agent", "last-event-id"];

/**
 * Response headers the browser gets from the backend: the body's type and length, caching and rate-limit hints, the
 * methods a path allows (`Allow`, with a 405 or an OPTIONS answer), and
 * the assistant's own (`X-Assistant-Provider` names who answered, `X-Request-Id` ties a message to the logs).
 */
function isForwardedResponseHeader(name: string): boolean {
  return (
    ["content-type", "content-length", "cache-control", "retry-after", "allow", "x-request-id"].includes(name) ||
    name.startsWith("x-assistant-") ||
    name.startsWith("x-ratelimit-")
  );
}

export interface Proxy {
  forward(req: http.IncomingMessage, res: http.ServerResponse, requestId: string): void;
  /** Closes the idle keep-alive connections to the backend. */
  close(): void;
}

/** A JSON error in OpenAI's shape, so API clients and the chat page read every error the same way. */
export function sendError(res: http.ServerResponse, status: number, message: string, type: string, code: string): void {
  const body = JSON.stringify({ error: { message, type, param: null, code } });
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(body), "Cache-Control": "no-store" });
  res.end(body);
}

/** The header that marks a request as the frontend's (see services/backend/src/shared-state/api-keys.ts). */
export const FRONTEND_TOKEN_HEADER = "x-assistant-frontend-token";

function tooLarge(res: http.ServerResponse, maxBodyBytes: number): void {
  if (res.headersSent || res.destroyed) return;
  // The rest of the body is not read: the connection cannot be reused.
  res.setHeader("Connection", "close");
  sendError(res, 413, `The request body is larger than ${maxBodyBytes} bytes.`, "invalid_request_error", "request_too_large");
}

/**
 * `backendToken`: added to every forwarded request; a client's own copy of the header is never forwarded (only the
 * headers listed above are), so no one outside can pose as the frontend by sending it.
 */
export function createProxy(backendUrl: URL, maxBodyBytes: number, backendToken?: string): Proxy {
  const client = backendUrl.protocol === "https:" ? https : http;
  // Keep-alive connections to the backend: a new TCP handshake per message would add latency for nothing. An idle
  // connection is closed after 4 s, before the server on the other side does (the backend keeps one 65 s; node:http's
  // default is 5 s), so a request never goes out on a connection being closed (ECONNRESET, a spurious 502). The agent's timeout
  // destroys only free sockets; on a busy one it merely emits `timeout`, so a slow answer is never cut (Node's
  // http docs, agent.freeSockets; checked on Node 20.20).
  const agent = new client.Agent({ keepAlive: true, timeout: 4000 });
  const basePath = backendUrl.pathname.replace(/\/+$/, "");

  function forward(req: http.IncomingMessage, res: http.ServerResponse, requestId: string): void {
    if (Number(req.headers["content-length"]) > maxBodyBytes) {
      req.resume();
      return tooLarge(res, maxBodyBytes);
    }
    const headers: http.OutgoingHttpHeaders = { "x-request-id": requestId };
    if (backendToken) headers[FRONTEND_TOKEN_HEADER] = backendToken;
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = req.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    const clientIp = req.socket.remoteAddress ?? "";
    const forwardedFor = req.headers["x-forwarded-for"];
    headers["x-forwarded-for"] = forwardedFor ? `${forwardedFor}, ${clientIp}` : clientIp;
    headers["x-forwarded-proto"] = (req.headers["x-forwarded-proto"] as string | undefined) ?? "http";
    if (req.headers.host) headers["x-forwarded-host"] = req.headers.host;

    const upstream = client.request(
      {
        protocol: backendUrl.protocol,
        hostname: backendUrl.hostname,
        port: backendUrl.port || undefined,
        method: req.method,
        path: `${basePath}${req.url ?? "/"}`,
        headers,
        agent,
      },
      (answer) => {
        // Answered before the body was sent (the backend refused the request early): stop sending it.
        if (!req.complete) {
          req.unpipe(upstream);
          req.resume();
        }
        const forwarded: http.OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value !== undefined && isForwardedResponseHeader(name)) forwarded[name] = value;
        }
        forwarded["x-request-id"] ??= requestId;
        // Proxies in front (nginx, some ingresses) buffer responses unless told not to; a chat stream must not wait.
        if (String(answer.headers["content-type"] ?? "").startsWith("text/event-stream")) forwarded["x-accel-buffering"] = "no";
        res.writeHead(answer.statusCode ?? 502, forwarded);
        res.flushHeaders();
        answer.pipe(res);
        answer.on("error", () => res.destroy());
      },
    );
    upstream.on("error", (err: NodeJS.ErrnoException) => {
      // Answered already (a 413 of our own, or the backend's complete answer): nothing left to signal.
      if (res.writableEnded) return;
      if (res.headersSent) {
        // Mid-stream: the status is gone already; cutting the connection is the only honest signal left.
        res.destroy();
      } else if (!res.destroyed) {
        sendError(res, 502, `the backend is unreachable (${err.code ?? err.message})`, "server_error", "backend_unreachable");
      }
    });
    // `close` also follows a complete response; only an unfinished one means the browser left.
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    let sent = 0;
    req.on("data", (chunk: Buffer) => {
      sent += chunk.length;
      if (sent <= maxBodyBytes) return;
      req.unpipe(upstream);
      req.resume();
      tooLarge(res, maxBodyBytes);
      upstream.destroy();
    });
    // A client that leaves mid-body: nothing to answer, nothing more to send.
    req.on("error", () => upstream.destroy());
    req.pipe(upstream);
  }

  return { forward, close: () => agent.destroy() };
}
