/**
 * The backend's HTTP server: an OpenAI-compatible gateway (`POST /v1/chat/completions`, JSON or server-sent events;
 * `GET /v1/models`), probes (`/healthz` alive, `/readyz` taking traffic), and `/metrics`. Plain node:http, so that
 * the hot path is the request, one validation, one upstream call and the writes, nothing else.
 */
import { randomUUID } from "crypto";
import { createServer, IncomingMessage, Server, ServerResponse } from "http";
import { AddressInfo } from "net";
import { BackendSettings } from "../../../lib/backend-env";
import { requestValidator } from "./chat-request";
import { badRequest, HttpError } from "./errors";
import { jsonLogger, LogFields, Logger } from "./log";
import { BackendMetrics } from "./metrics";
import { ChatRequest, StreamEvent, UpstreamError, Usage } from "./providers/types";
import { clientAddress, RateLimiter } from "./rate-limit";
import { ClientGone, isLocalProvider, Router, Served } from "./resilience/router";
import { AnswerSource } from "../../../lib/answer-sources";
import { knowledgeAdmin, knowledgeRoute } from "./knowledge/admin-api";
import { Knowledge } from "./knowledge/knowledge";
import { CachedAnswer } from "./knowledge/store";

export const CHAT_ROUTE = "/v1/chat/completions";
export const MODELS_ROUTE = "/v1/models";
/** Not counted in the request metrics, nor logged: probes and scrapes would drown the traffic. */
const QUIET_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface Backend {
  readonly server: Server;
  readonly metrics: BackendMetrics;
  readonly router: Router;
  /** The knowledge base, when `KNOWLEDGE_ENABLED` is true. */
  readonly knowledge?: Knowledge;
  /** Listens on `port` (0: any free one) and resolves with the port. */
  listen(port?: number, host?: string): Promise<number>;
  /**
   * Stops accepting connections, fails readiness, lets in-flight answers finish for the grace period, then cuts
   * what is left. Resolves when no request is in flight.
   */
  shutdown(): Promise<void>;
}

/** What one request did, for its log line. */
interface RequestLog extends LogFields {
  provider?: string;
  model?: string;
  fallback?: boolean;
  attempts?: number;
  stream?: boolean;
  error?: string;
  failures?: string[];
  prompt?: string;
  answer?: string;
  sources?: number;
  cache?: string;
}

function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendError(res: ServerResponse, error: HttpError): void {
  if (res.headersSent) return;
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

/** An upstream failure as the client sees it. */
export function toHttpError(error: UpstreamError): HttpError {
  switch (error.kind) {
    case "timeout":
      return new HttpError(504, `The model provider did not answer in time: ${error.message}.`, "timeout_error", "upstream_timeout");
    case "circuit-open":
      return new HttpError(503, `No model provider is available right now: ${error.message}.`, "service_unavailable", "circuit_open");
    default:
      if (error.clientFault) return new HttpError(error.status!, `The model provider refused the request: ${error.message}`, "invalid_request_error", "upstream_rejected");
      if (error.status === 429) {
        const seconds = error.retryAfterMs !== undefined ? String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))) : undefined;
        return new HttpError(429, `The model provider is rate limiting: ${error.message}`, "rate_limit_error", "upstream_rate_limited", null, seconds ? { "retry-after": seconds } : {});
      }
      return new HttpError(502, `The model provider failed: ${error.message}`, "upstream_error", "upstream_failed");
  }
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const tooLarge = () => new HttpError(413, `The request body is larger than ${maxBytes} bytes.`, "invalid_request_error", "request_too_large");
  if (Number(req.headers["content-length"]) > maxBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      // Stop keeping it, but let the rest flow away, so the 413 can still be written on this connection.
      req.off("data", onData);
      req.resume();
      reject(tooLarge());
    };
    req.on("data", onData);
    req.once("error", reject);
    req.once("end", () => {
      if (size > maxBytes) return;
      try {
        resolve(JSON.parse(Buffer.concat(chunks, size).toString("utf8")));
      } catch {
        reject(badRequest("The request body is not valid JSON.", null, "invalid_json"));
      }
    });
  });
}

export function createBackend(settings: BackendSettings, options: { logger?: Logger } = {}): Backend {
  const log = options.logger ?? jsonLogger();
  const localModels = settings.models.filter((upstream) => isLocalProvider(upstream.provider)).map((upstream) => upstream.model);
  const metrics = new BackendMetrics(localModels, settings.knowledge !== undefined);
  const knowledge = settings.knowledge ? new Knowledge(settings.knowledge, metrics, log) : undefined;
  const admin = knowledge ? knowledgeAdmin(knowledge) : undefined;
  const router = new Router(settings, (model, outcome) => metrics.localModelRequest(model, outcome));
  const validate = requestValidator(settings.limits);
  const limiter = settings.rateLimit.perMinute > 0 ? new RateLimiter(settings.rateLimit.perMinute, settings.rateLimit.burst) : undefined;
  const created = () => Math.floor(Date.now() / 1000);
  let draining = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;

  const providerHeaders = (served: Served): Record<string, string> => ({
    "x-assistant-provider": served.provider.name,
    ...(served.fallback && { "x-assistant-fallback": "true" }),
  });

  const noteServed = (entry: RequestLog, served: Served) => {
    entry.provider = served.provider.name;
    entry.model = served.provider.model;
    entry.fallback = served.fallback;
    entry.attempts = served.attempts;
    if (served.failures.length > 0) entry.failures = served.failures;
  };

  async function chat(req: IncomingMessage, res: ServerResponse, entry: RequestLog, client: AbortSignal): Promise<void> {
    if (req.method !== "POST") throw new HttpError(405, "Use POST for chat completions.", "invalid_request_error", "method_not_allowed", null, { allow: "POST" });
    if (limiter) {
      const wait = limiter.take(clientAddress(req, settings.rateLimit.trustProxyHops));
      if (wait !== undefined) {
        throw new HttpError(429, `Too many requests from this client; retry in ${wait} s.`, "rate_limit_error", "rate_limit_exceeded", null, { "retry-after": String(wait) });
      }
    }
    const asked = validate(await readBody(req, settings.limits.bodyBytes), (model) => router.has(model), router.defaultModel);
    entry.stream = asked.stream;
    if (settings.logPrompts) entry.prompt = asked.messages.map((m) => `${m.role}: ${m.content}`).join("\n");
    const started = performance.now();
    const grounded = knowledge ? await knowledge.ground(asked, client) : { request: asked };
    const { request, sources } = grounded;
    if (sources) entry.sources = sources.length;
    // Only a conversation's first question is answered from the semantic cache: a follow-up ("and in prod?") means
    // nothing without the turns before it.
    const cacheKey = knowledge && isFirstQuestion(request) ? grounded.embedding : undefined;
    const cached = knowledge ? await knowledge.cached(request.model, cacheKey) : undefined;
    if (cached) {
      entry.cache = "semantic-hit";
      return answerFromCache(request, cached, res);
    }
    const remember = (model: string, text: string, finishReason: string) => void knowledge?.remember(model, cacheKey, text, finishReason, sources);
    if (request.stream) return stream(request, res, entry, client, started, sources, cacheKey ? remember : undefined);

    const served = await router.complete(request, client);
    noteServed(entry, served);
    const { text, finishReason, usage } = served.value;
    if (settings.logPrompts) entry.answer = text;
    const body = JSON.stringify({
      id: `chatcmpl-${randomUUID()}`,
      object: "chat.completion",
      created: created(),
      model: served.provider.model,
      choices: [{ index: 0, message: { role: "assistant", content: text, refusal: null }, logprobs: null, finish_reason: finishReason }],
      usage: usageBody(usage),
      ...(sources && { sources }),
    });
    sendJson(res, 200, body, providerHeaders(served));
    metrics.answered(served.provider.name, served.provider.model, (performance.now() - started) / 1000, usage);
    if (cacheKey) remember(served.provider.model, text, finishReason);
  }

  /** An earlier answer to a question this close, sent again as JSON or as a stream, with its sources. */
  function answerFromCache(request: ChatRequest, cached: CachedAnswer, res: ServerResponse): void {
    const headers = { "x-assistant-cache": "semantic-hit" };
    const sources = cached.sources as AnswerSource[] | null;
    const id = `chatcmpl-${randomUUID()}`;
    if (!request.stream) {
      const message = { role: "assistant", content: cached.text, refusal: null };
      const body = { id, object: "chat.completion", created: created(), model: request.model, choices: [{ index: 0, message, logprobs: null, finish_reason: cached.finishReason }], ...(sources && { sources }) };
      return sendJson(res, 200, JSON.stringify(body), headers);
    }
    const base = { id, object: "chat.completion.chunk", created: created(), model: request.model };
    const event = (choices: unknown[], extra: Record<string, unknown> = {}) => `data: ${JSON.stringify({ ...base, choices, ...extra })}\n\n`;
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no", ...headers });
    res.write(event([{ index: 0, delta: { role: "assistant", content: cached.text }, logprobs: null, finish_reason: null }]));
    res.write(event([{ index: 0, delta: {}, logprobs: null, finish_reason: cached.finishReason }]));
    if (sources) res.write(event([], { sources }));
    res.end("data: [DONE]\n\n");
  }

  async function stream(
    request: ChatRequest,
    res: ServerResponse,
    entry: RequestLog,
    client: AbortSignal,
    started: number,
    sources: AnswerSource[] | undefined,
    remember: ((model: string, text: string, finishReason: string) => void) | undefined,
  ): Promise<void> {
    const opened = await router.openStream(request, client);
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
    let finished: string | undefined;
    const keepAnswer = settings.logPrompts || remember !== undefined;
    await write(res, chunk({ role: "assistant", content: "" }));
    try {
      for await (const event of opened.events as AsyncIterable<StreamEvent>) {
        if (event.type === "text") {
          if (keepAnswer) answer += event.text;
          await write(res, chunk({ content: event.text }));
        } else if (event.type === "finish") {
          finished = event.reason;
          await write(res, chunk({}, event.reason));
        } else usage = event.usage;
        if (res.destroyed) break;
      }
    } catch (thrown) {
      if (thrown instanceof ClientGone || res.destroyed) return;
      const error = thrown instanceof UpstreamError ? thrown : new UpstreamError(String(thrown), "protocol");
      // The status is sent; the stream ends with an error event as OpenAI sends one (the SDKs raise it), then [DONE].
      entry.error = `stream interrupted: ${error.message}`;
      const body = { error: { message: `The model provider's stream broke off: ${error.message}`, type: "upstream_error", param: null, code: "stream_interrupted" } };
      res.end(`data: ${JSON.stringify(body)}\n\ndata: [DONE]\n\n`);
      return;
    } finally {
      if (settings.logPrompts) entry.answer = answer;
    }
    if (res.destroyed) return;
    if (request.includeUsage && usage) res.write(`data: ${JSON.stringify({ ...base, choices: [], usage: usageBody(usage) })}\n\n`);
    // The sources ride last, in a chunk without choices (the contract in lib/answer-sources.ts).
    if (sources) res.write(`data: ${JSON.stringify({ ...base, choices: [], ...usageField, sources })}\n\n`);
    res.end("data: [DONE]\n\n");
    metrics.answered(opened.provider.name, opened.provider.model, (performance.now() - started) / 1000, usage);
    if (remember && finished) remember(opened.provider.model, answer, finished);
  }

  function models(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== "GET") throw new HttpError(405, "Use GET to list models.", "invalid_request_error", "method_not_allowed", null, { allow: "GET" });
    const at = created();
    const data = router.models.map((id) => ({ id, object: "model", created: at, owned_by: settings.primary.provider }));
    sendJson(res, 200, JSON.stringify({ object: "list", data }));
  }

  function quiet(path: string, req: IncomingMessage, res: ServerResponse): void {
    if (path === "/healthz") return sendJson(res, 200, '{"status":"alive"}');
    if (path === "/readyz") {
      // Ready while serving: an upstream outage hits every replica alike, so taking pods out of the Service would
      // only turn the gateway's clear 503 (or the fallback's answer) into refused connections. Probes never call
      // an upstream, so they cost no tokens; the circuits are shown for people.
      const body = JSON.stringify({ status: draining ? "draining" : "ready", circuits: router.breakerStates() });
      return sendJson(res, draining ? 503 : 200, body);
    }
    metrics.registry.metrics().then(
      (text) => {
        res.writeHead(200, { "content-type": metrics.registry.contentType });
        res.end(text);
      },
      () => sendJson(res, 500, '{"status":"metrics failed"}'),
    );
    void req;
  }

  const server = createServer({ noDelay: true, keepAliveTimeout: 65_000, headersTimeout: 66_000 }, (req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0];
    if (QUIET_PATHS.has(path) && req.method === "GET") return quiet(path, req, res);

    const begun = performance.now();
    const header = req.headers["x-request-id"];
    const requestId = typeof header === "string" && REQUEST_ID.test(header) ? header : randomUUID();
    res.setHeader("x-request-id", requestId);
    if (draining) res.setHeader("connection", "close");
    const knowledgePath = admin ? knowledgeRoute(path) : undefined;
    const route = path === CHAT_ROUTE || path === MODELS_ROUTE ? path : (knowledgePath ?? "other");
    const entry: RequestLog = {};
    const client = new AbortController();
    inFlight++;
    res.on("close", () => {
      if (!res.writableFinished) client.abort();
      inFlight--;
      metrics.request(route, res.statusCode);
      log.info("request", { request_id: requestId, method: req.method, route, status: res.statusCode, duration_ms: Math.round((performance.now() - begun) * 10) / 10, ...entry });
      if (inFlight === 0) idle?.();
    });

    const handled =
      route === CHAT_ROUTE
        ? chat(req, res, entry, client.signal)
        : route === MODELS_ROUTE
          ? Promise.resolve(models(req, res))
          : knowledgePath && admin
            ? admin(req, res, path)
            : Promise.reject(new HttpError(404, `Unknown path ${path}; the API is under /v1 (POST ${CHAT_ROUTE}, GET ${MODELS_ROUTE}).`, "not_found_error", "not_found"));
    handled.catch((thrown: unknown) => {
      if (thrown instanceof ClientGone) return;
      const error = thrown instanceof HttpError ? thrown : thrown instanceof UpstreamError ? toHttpError(thrown) : undefined;
      if (!error) {
        entry.error = `internal: ${(thrown as Error)?.message ?? String(thrown)}`;
        if (res.headersSent) res.destroy();
        else sendError(res, new HttpError(500, "The gateway failed on this request.", "server_error", "internal_error"));
        return;
      }
      entry.error = error.message;
      if (thrown instanceof UpstreamError) entry.failures = [thrown.message];
      // A body left unread (too large) would keep the connection busy: answer, then close it.
      if (error.status === 413) res.setHeader("connection", "close");
      sendError(res, error);
    });
  });
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
  });

  return {
    server,
    metrics,
    router,
    knowledge,
    listen(port = settings.port, host = settings.host) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    shutdown() {
      draining = true;
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
          void (knowledge?.close() ?? Promise.resolve()).catch(() => undefined).then(() => resolve());
        };
        if (inFlight === 0) idle();
      });
    },
  };
}

/** One user message and no earlier answers (system prompts aside). */
function isFirstQuestion(request: ChatRequest): boolean {
  return request.messages.filter((m) => m.role === "user").length === 1 && !request.messages.some((m) => m.role === "assistant");
}

function usageBody(usage: Usage | undefined) {
  if (!usage) return undefined;
  return { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens };
}
