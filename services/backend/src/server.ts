/**
 * The backend's HTTP server: an OpenAI-compatible gateway (`POST /v1/chat/completions`, JSON or server-sent events;
 * `GET /v1/models`), probes (`/healthz` alive, `/readyz` taking traffic), and `/metrics`. Plain node:http, so that
 * the hot path is the request, one validation, one upstream call and the writes, nothing else.
 *
 * Every request ends in exactly one outcome (lib/metrics-contract.ts REQUEST_OUTCOMES), written once, when its
 * response closes, to the request counter and the log line. Whatever a request does, it cannot stop the server: an
 * unexpected exception becomes a logged 500 for that request alone.
 */
import { randomUUID } from "crypto";
import { createServer, IncomingMessage, Server, ServerResponse } from "http";
import { AddressInfo } from "net";
import { BackendSettings } from "../../../lib/backend-env";
import { CLIENT_CLOSED_STATUS, RequestOutcome, UpstreamErrorKind } from "../../../lib/metrics-contract";
import { requestValidator } from "./chat-request";
import { HttpError } from "./errors";
import { guardServer, SERVER_LIMITS } from "./http-limits";
import { jsonLogger, LogFields, Logger, redactingLogger } from "./log";
import { BackendMetrics } from "./metrics";
import { ChatRequest, StreamEvent, UpstreamError, Usage } from "./providers/types";
import { clientAddress, RateLimiter } from "./rate-limit";
import { redactor } from "./redact";
import { checkJsonBody, readJsonBody } from "./request-body";
import { ClientGone, isLocalProvider, Router, Served } from "./resilience/router";
import { allowedMethods, CHAT_ROUTE, methodNotAllowed, MODELS_ROUTE, notFound, QUIET_PATHS } from "./routes";
import { retryAfterSeconds, streamInterruptedEvent, toHttpError, upstreamKind } from "./upstream-errors";

export { CHAT_ROUTE, MODELS_ROUTE } from "./routes";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface Backend {
  readonly server: Server;
  readonly metrics: BackendMetrics;
  readonly router: Router;
  /** Listens on `port` (0: any free one) and resolves with the port. */
  listen(port?: number, host?: string): Promise<number>;
  /**
   * Fails readiness at once and keeps serving for the drain period (so that endpoints and load balancers stop
   * sending here), then stops accepting connections, lets in-flight answers finish for the grace period, then cuts
   * what is left. Resolves when no request is in flight.
   */
  shutdown(): Promise<void>;
}

/** What one request did, for its log line. */
interface RequestLog extends LogFields {
  outcome?: RequestOutcome;
  upstream_error?: UpstreamErrorKind;
  provider?: string;
  model?: string;
  fallback?: boolean;
  attempts?: number;
  stream?: boolean;
  error?: string;
  failures?: string[];
  prompt?: string;
  answer?: string;
}

const LEVEL: Record<RequestOutcome, "info" | "warn" | "error"> = {
  ok: "info",
  client_error: "info",
  aborted: "info",
  fallback: "warn",
  upstream_error: "error",
  interrupted: "error",
  internal_error: "error",
};

function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendError(res: ServerResponse, error: HttpError): void {
  if (res.headersSent || res.destroyed) return;
  sendJson(res, error.status, error.body(), error.headers);
}

/** A write that waits for the socket to drain (or close) when its buffer is full. */
function write(res: ServerResponse, text: string): Promise<void> | undefined {
  if (res.write(text) || res.destroyed) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** The outcome of a finished response: what the handler decided, unless the client left first. */
function finalOutcome(res: ServerResponse, entry: RequestLog): RequestOutcome {
  if (entry.outcome === "interrupted") return "interrupted";
  if (!res.writableFinished) return "aborted";
  if (entry.outcome) return entry.outcome;
  if (res.statusCode >= 500) return "internal_error";
  return res.statusCode >= 400 ? "client_error" : "ok";
}

export function createBackend(settings: BackendSettings, options: { logger?: Logger } = {}): Backend {
  const clean = redactor([settings.apiKey]);
  const log = redactingLogger(options.logger ?? jsonLogger(), clean);
  const localModels = settings.models.filter((upstream) => isLocalProvider(upstream.provider)).map((upstream) => upstream.model);
  let router: Router | undefined;
  const metrics = new BackendMetrics(localModels, () => router?.circuits() ?? []);
  router = new Router(settings, metrics.routerEvents());
  const validate = requestValidator(settings.limits);
  const limiter = settings.rateLimit.perMinute > 0 ? new RateLimiter(settings.rateLimit.perMinute, settings.rateLimit.burst) : undefined;
  const created = () => Math.floor(Date.now() / 1000);
  let draining = false;
  let closing = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;

  const providerHeaders = (served: Served): Record<string, string> => ({
    "x-assistant-provider": served.provider.name,
    ...(served.fallback && { "x-assistant-fallback": "true" }),
  });

  const noteServed = (entry: RequestLog, served: Served) => {
    entry.outcome = served.fallback ? "fallback" : "ok";
    entry.provider = served.provider.name;
    entry.model = served.provider.model;
    entry.fallback = served.fallback;
    entry.attempts = served.attempts;
    if (served.failures.length > 0) entry.failures = served.failures;
  };

  async function chat(req: IncomingMessage, res: ServerResponse, entry: RequestLog, client: AbortSignal): Promise<void> {
    checkJsonBody(req);
    if (limiter) {
      const wait = limiter.take(clientAddress(req, settings.rateLimit.trustProxyHops));
      if (wait !== undefined) {
        throw new HttpError(429, `Too many requests from this client; retry in ${wait} s.`, "rate_limit_error", "rate_limit_exceeded", null, { "retry-after": String(wait) });
      }
    }
    const request = validate(await readJsonBody(req, settings.limits.bodyBytes), (model) => router!.has(model), router!.defaultModel);
    entry.stream = request.stream;
    if (settings.logPrompts) entry.prompt = request.messages.map((m) => `${m.role}: ${m.content}`).join("\n");
    const started = performance.now();
    if (request.stream) return stream(request, res, entry, client, started);

    const served = await router!.complete(request, client);
    noteServed(entry, served);
    const { text, finishReason, usage, raw } = served.value;
    if (settings.logPrompts) entry.answer = text;
    if (raw) {
      // Already an OpenAI chat.completion, checked by the provider: relayed as received.
      res.writeHead(200, { "content-type": "application/json", "content-length": raw.length, ...providerHeaders(served) });
      res.end(raw);
      metrics.answered(served.provider.name, served.provider.model, (performance.now() - started) / 1000, usage);
      return;
    }
    const body = JSON.stringify({
      id: `chatcmpl-${randomUUID()}`,
      object: "chat.completion",
      created: created(),
      model: served.provider.model,
      choices: [{ index: 0, message: { role: "assistant", content: text, refusal: null }, logprobs: null, finish_reason: finishReason }],
      usage: usageBody(usage),
    });
    sendJson(res, 200, body, providerHeaders(served));
    metrics.answered(served.provider.name, served.provider.model, (performance.now() - started) / 1000, usage);
  }

  async function stream(request: ChatRequest, res: ServerResponse, entry: RequestLog, client: AbortSignal, started: number): Promise<void> {
    const opened = await router!.openStream(request, client);
    noteServed(entry, opened);
    const base = { id: `chatcmpl-${randomUUID()}`, object: "chat.completion.chunk", created: created(), model: opened.provider.model };
    // With include_usage, OpenAI sends `usage: null` on every chunk and the totals in a last chunk without choices.
    const usageField = request.includeUsage ? { usage: null } : {};
    const chunk = (delta: Record<string, string>, finishReason: string | null = null) =>
      `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }], ...usageField })}\n\n`;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: draining ? "close" : "keep-alive",
      // nginx (an ingress, or the frontend's proxy) would otherwise buffer the stream and deliver it in one piece.
      "x-accel-buffering": "no",
      ...providerHeaders(opened),
    });
    res.flushHeaders();
    let usage: Usage | undefined;
    let answer = "";
    await write(res, chunk({ role: "assistant", content: "" }));
    try {
      for await (const event of opened.events as AsyncIterable<StreamEvent>) {
        if (event.type === "text") {
          if (settings.logPrompts) answer += event.text;
          await write(res, chunk({ content: event.text }));
        } else if (event.type === "finish") {
          await write(res, chunk({}, event.reason));
        } else usage = event.usage;
        if (res.destroyed) break;
      }
    } catch (thrown) {
      if (thrown instanceof ClientGone || res.destroyed) return;
      const error = thrown instanceof UpstreamError ? thrown : new UpstreamError(String(thrown), "protocol");
      // The status is sent; the stream ends with an error event as OpenAI sends one (the SDKs raise it), then [DONE].
      entry.outcome = "interrupted";
      entry.upstream_error = upstreamKind(error);
      entry.error = `stream interrupted: ${error.message}`;
      res.end(`data: ${streamInterruptedEvent(error)}\n\ndata: [DONE]\n\n`);
      return;
    } finally {
      if (settings.logPrompts) entry.answer = answer;
    }
    if (res.destroyed) return;
    if (request.includeUsage && usage) res.write(`data: ${JSON.stringify({ ...base, choices: [], usage: usageBody(usage) })}\n\n`);
    res.end("data: [DONE]\n\n");
    metrics.answered(opened.provider.name, opened.provider.model, (performance.now() - started) / 1000, usage);
  }

  function models(res: ServerResponse): void {
    const at = created();
    const data = router!.models.map((id) => ({ id, object: "model", created: at, owned_by: settings.primary.provider }));
    sendJson(res, 200, JSON.stringify({ object: "list", data }));
  }

  function quiet(path: string, res: ServerResponse): void {
    if (path === "/healthz") return sendJson(res, 200, '{"status":"alive"}');
    if (path === "/readyz") {
      // Ready while serving: an upstream outage hits every replica alike, so taking pods out of the Service would
      // only turn the gateway's clear 503 (or the fallback's answer) into refused connections. Probes never call
      // an upstream, so they cost no tokens; the circuits are shown for people (URLs without credentials).
      const circuits = Object.fromEntries(router!.circuits().map((c) => [c.upstream === c.provider ? c.provider : `${c.provider} ${c.upstream}`, c.state]));
      const body = JSON.stringify({ status: draining ? "draining" : "ready", circuits });
      return draining ? sendJson(res, 503, body, { "retry-after": retryAfterSeconds(settings.shutdownDrainMs + settings.shutdownGraceMs) }) : sendJson(res, 200, body);
    }
    metrics.registry.metrics().then(
      (text) => {
        res.writeHead(200, { "content-type": metrics.registry.contentType });
        res.end(text);
      },
      () => sendJson(res, 500, '{"status":"metrics failed"}'),
    );
  }

  /** The answer to one request, by path and method; rejects with what went wrong. */
  function dispatch(path: string, req: IncomingMessage, res: ServerResponse, entry: RequestLog, client: AbortSignal): Promise<void> {
    const allowed = allowedMethods(path);
    if (!allowed) throw notFound(path);
    if (req.method === "OPTIONS") {
      res.writeHead(204, { allow: allowed.join(", ") });
      res.end();
      return Promise.resolve();
    }
    if (!allowed.includes(req.method ?? "")) throw methodNotAllowed(req.method, allowed);
    if (path === CHAT_ROUTE) return chat(req, res, entry, client);
    if (path === MODELS_ROUTE) models(res);
    else quiet(path, res);
    return Promise.resolve();
  }

  /** Whatever a request threw, as its answer: an HTTP error, an upstream's (in safe words), or a 500. */
  function failed(thrown: unknown, res: ServerResponse, entry: RequestLog): void {
    if (thrown instanceof ClientGone) return;
    if (thrown instanceof UpstreamError) {
      entry.outcome = "upstream_error";
      entry.upstream_error = upstreamKind(thrown);
      entry.error = thrown.message;
      entry.failures ??= [thrown.message];
      return sendError(res, toHttpError(thrown, settings.breaker.cooldownMs));
    }
    if (thrown instanceof HttpError) {
      entry.outcome = thrown.status >= 500 ? "internal_error" : "client_error";
      entry.error = thrown.message;
      // A body left unread (too large) would keep the connection busy: answer, then close it.
      if (thrown.status === 413 && !res.headersSent) res.setHeader("connection", "close");
      return sendError(res, thrown);
    }
    entry.outcome = "internal_error";
    entry.error = `internal: ${(thrown as Error)?.stack ?? String(thrown)}`;
    if (res.headersSent) res.destroy();
    else sendError(res, new HttpError(500, "The gateway failed on this request.", "server_error", "internal_error"));
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    const path = query < 0 ? url : url.slice(0, query);
    if (QUIET_PATHS.has(path) && (req.method === "GET" || req.method === "HEAD")) return quiet(path, res);

    const begun = performance.now();
    const header = req.headers["x-request-id"];
    const requestId = typeof header === "string" && REQUEST_ID.test(header) ? header : randomUUID();
    res.setHeader("x-request-id", requestId);
    if (draining) res.setHeader("connection", "close");
    const route = path === CHAT_ROUTE || path === MODELS_ROUTE ? path : "other";
    const entry: RequestLog = {};
    const client = new AbortController();
    inFlight++;
    res.once("close", () => {
      if (!res.writableFinished) client.abort();
      inFlight--;
      try {
        const outcome = finalOutcome(res, entry);
        const status = res.headersSent ? res.statusCode : CLIENT_CLOSED_STATUS;
        metrics.request(route, status, outcome);
        const fields = { request_id: requestId, method: req.method, route, status, duration_ms: Math.round((performance.now() - begun) * 10) / 10, ...entry, outcome };
        log[LEVEL[outcome]]("request", fields);
      } finally {
        if (inFlight === 0) idle?.();
      }
    });

    let handled: Promise<void>;
    try {
      handled = dispatch(path, req, res, entry, client.signal);
    } catch (thrown) {
      handled = Promise.reject(thrown);
    }
    handled.catch((thrown: unknown) => failed(thrown, res, entry)).catch((thrown: unknown) => lastResort(thrown, res));
  }

  /** A bug in the error path itself: log it, end this response, keep the process. */
  function lastResort(thrown: unknown, res: ServerResponse): void {
    log.error("request handler failed", { error: clean(String((thrown as Error)?.stack ?? thrown)) });
    if (!res.headersSent && !res.destroyed) sendError(res, new HttpError(500, "The gateway failed on this request.", "server_error", "internal_error"));
    else res.destroy();
  }

  const server = createServer({ ...SERVER_LIMITS, noDelay: true }, (req, res) => {
    try {
      handle(req, res);
    } catch (thrown) {
      lastResort(thrown, res);
    }
  });
  guardServer(server);

  function close(): Promise<void> {
    closing = true;
    server.close();
    server.closeIdleConnections();
    return new Promise<void>((resolve) => {
      const grace = setTimeout(() => {
        log.warn("grace period over; closing the connections still answering", { in_flight: inFlight });
        server.closeAllConnections();
        resolve();
      }, settings.shutdownGraceMs);
      idle = () => {
        clearTimeout(grace);
        server.closeIdleConnections();
        resolve();
      };
      if (inFlight === 0) idle();
    });
  }

  return {
    server,
    metrics,
    router,
    listen(port = settings.port, host = settings.host) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    async shutdown() {
      if (closing) return;
      draining = true;
      if (settings.shutdownDrainMs > 0) await new Promise((resolve) => setTimeout(resolve, settings.shutdownDrainMs));
      return close();
    },
  };
}

function usageBody(usage: Usage | undefined) {
  if (!usage) return undefined;
  return { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens };
}
