/**
 * The backend's HTTP server: an OpenAI-compatible gateway (`POST /v1/chat/completions`, JSON or server-sent events;
 * `GET /v1/models`), probes (`/healthz` alive, `/readyz` taking traffic), and `/metrics`. Plain node:http, so that
 * the hot path is the request, one validation, one upstream call and the writes, nothing else.
 *
 * Every request ends in exactly one outcome (lib/metrics-contract.ts REQUEST_OUTCOMES), written once, when its
 * response closes, to the request counter and the log line. Whatever a request does, it cannot stop the server: an
 * unexpected exception becomes a logged 500 for that request alone.
 */
import { createHash, randomUUID } from "crypto";
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
import { redactor } from "./redact";
import { checkJsonBody, readJsonBody } from "./request-body";
import { ClientPresence } from "./resilience/client-presence";
import { ClientGone, isLocalProvider, Router, Served } from "./resilience/router";
import { AnswerSource } from "../../../lib/answer-sources";
import { knowledgeAdmin, knowledgeRoute } from "./knowledge/admin-api";
import { Knowledge } from "./knowledge/knowledge";
import { CachedAnswer as SemanticCachedAnswer } from "./knowledge/store";
import { Admitted, SharedState } from "./shared-state";
import { CachedAnswer } from "./shared-state/response-cache";
import { allowedMethods, CHAT_ROUTE, methodNotAllowed, MODELS_ROUTE, notFound, QUIET_PATHS } from "./routes";
import { retryAfterSeconds, streamInterruptedEvent, toHttpError, upstreamKind } from "./upstream-errors";
import { FeatureFlags, RequestFeatures, WITHOUT_FLAGS } from "./feature-flags";

export { CHAT_ROUTE, MODELS_ROUTE } from "./routes";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface Backend {
  readonly server: Server;
  readonly metrics: BackendMetrics;
  readonly router: Router;
  /** The knowledge base, when `KNOWLEDGE_ENABLED` is true. */
  readonly knowledge?: Knowledge;
  /** Client keys, limits and the response cache (in Valkey when configured). */
  readonly shared: SharedState;
  /** The feature flags, when `FEATURE_FLAGS_FILE` is set. */
  readonly features?: FeatureFlags;
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
  sources?: number;
  /** The client API key's name (never the key). */
  api_key?: string;
  /** hit or miss: the exact response cache; semantic-hit: the knowledge base's semantic cache. */
  cache?: "hit" | "miss" | "semantic-hit";
  /** Each feature flag's variant for this request (`flag=variant`), when flags are on. */
  flags?: string[];
}

const LEVEL: Record<RequestOutcome, "info" | "warn" | "error"> = {
  ok: "info",
  cached: "info",
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
  const metrics = new BackendMetrics(localModels, () => router?.circuits() ?? [], settings.knowledge !== undefined);
  router = new Router(settings, metrics.routerEvents());
  const knowledge = settings.knowledge ? new Knowledge(settings.knowledge, metrics, log) : undefined;
  const admin = knowledge ? knowledgeAdmin(knowledge) : undefined;
  const validate = requestValidator(settings.limits);
  const shared = new SharedState(settings, metrics.registry, log);
  const features = settings.featureFlagsFile ? new FeatureFlags(settings.featureFlagsFile, (model) => router!.has(model), metrics, log) : undefined;
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

  async function chat(req: IncomingMessage, res: ServerResponse, entry: RequestLog, client: ClientPresence): Promise<void> {
    checkJsonBody(req);
    const admitted = await shared.admit(req);
    if (admitted.caller.kind === "key") entry.api_key = admitted.caller.key.name;
    let asked = validate(await readJsonBody(req, settings.limits.bodyBytes), (model) => router!.has(model), router!.defaultModel);
    // Flags for requests that will be answered only: a refused body counts no evaluation.
    const flags: RequestFeatures = features ? await features.evaluate(flagKey(admitted)) : WITHOUT_FLAGS;
    if (features) entry.flags = Object.entries(flags.variants).map(([flag, variant]) => `${flag}=${variant}`);
    // The model flag's share: requests for the default model (named or not) go to the flag's model instead.
    if (flags.model && asked.model === router!.defaultModel) asked = { ...asked, model: flags.model };
    entry.stream = asked.stream;
    if (settings.logPrompts) entry.prompt = asked.messages.map((m) => `${m.role}: ${m.content}`).join("\n");
    const started = performance.now();
    // The exact response cache first: keyed on the request as asked, it needs no embedding.
    const cacheKey = flags.responseCache ? shared.cache?.keyFor(asked) : undefined;
    if (cacheKey !== undefined) {
      const hit = await shared.cache!.get(cacheKey);
      shared.metrics.cache(hit ? "hit" : "miss");
      entry.cache = hit ? "hit" : "miss";
      if (hit) return answerFromCache(asked, hit, res, entry);
      res.setHeader("x-assistant-cache", "miss");
    }
    // With the knowledge flag off there is no retrieval, hence no embedding, and so no semantic cache either.
    const grounded = knowledge && flags.knowledge ? await knowledge.ground(asked, client.signal) : { request: asked, sources: undefined, embedding: undefined };
    const { request, sources } = grounded;
    if (sources) entry.sources = sources.length;
    // Only a conversation's first question is answered from the semantic cache: a follow-up ("and in prod?") means
    // nothing without the turns before it.
    const semanticKey = knowledge && flags.semanticCache && isFirstQuestion(request) ? grounded.embedding : undefined;
    const similar = knowledge ? await knowledge.cached(request.model, semanticKey) : undefined;
    if (similar) {
      entry.cache = "semantic-hit";
      return answerFromSemanticCache(request, similar, res, entry);
    }
    const remember = (model: string, text: string, finishReason: string) => void knowledge?.remember(model, semanticKey, text, finishReason, sources);
    if (request.stream) return stream(request, res, entry, client, started, admitted, cacheKey, sources, semanticKey ? remember : undefined);

    const served = await router!.complete(request, client);
    noteServed(entry, served);
    const { text, finishReason, usage, raw } = served.value;
    shared.answered(admitted, usage);
    if (cacheKey !== undefined && !served.fallback) shared.cache!.put(cacheKey, { text, finishReason, usage, provider: served.provider.name, model: served.provider.model, ...(sources && { sources }) });
    if (settings.logPrompts) entry.answer = text;
    if (semanticKey) remember(served.provider.model, text, finishReason);
    // A grounded answer with sources is built here, so that `sources` can be added; otherwise relayed as received.
    if (raw && !sources) {
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
      ...(sources && { sources }),
    });
    sendJson(res, 200, body, providerHeaders(served));
    metrics.answered(served.provider.name, served.provider.model, (performance.now() - started) / 1000, usage);
  }

  /** An earlier answer to a question this close (the knowledge base's semantic cache), sent again as JSON or as a stream, with its sources. */
  function answerFromSemanticCache(request: ChatRequest, cached: SemanticCachedAnswer, res: ServerResponse, entry: RequestLog): void {
    entry.outcome = "cached";
    entry.model = request.model;
    if (settings.logPrompts) entry.answer = cached.text;
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
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: draining ? "close" : "keep-alive", "x-accel-buffering": "no", ...headers });
    res.write(event([{ index: 0, delta: { role: "assistant", content: cached.text }, logprobs: null, finish_reason: null }]));
    res.write(event([{ index: 0, delta: {}, logprobs: null, finish_reason: cached.finishReason }]));
    if (sources) res.write(event([], { sources }));
    res.end("data: [DONE]\n\n");
  }

  /** A cached answer, as JSON or as a stream like a live one, with its sources; no model is called, no tokens are spent. */
  function answerFromCache(request: ChatRequest, hit: CachedAnswer, res: ServerResponse, entry: RequestLog): void {
    entry.provider = hit.provider;
    entry.model = hit.model;
    entry.outcome = "cached";
    if (settings.logPrompts) entry.answer = hit.text;
    if (hit.usage) shared.metrics.saved(hit.provider, hit.model, hit.usage);
    const headers = { "x-assistant-provider": hit.provider, "x-assistant-cache": "hit" };
    const id = `chatcmpl-${randomUUID()}`;
    if (!request.stream) {
      const body = JSON.stringify({
        id,
        object: "chat.completion",
        created: created(),
        model: hit.model,
        choices: [{ index: 0, message: { role: "assistant", content: hit.text, refusal: null }, logprobs: null, finish_reason: hit.finishReason }],
        usage: usageBody(hit.usage),
        ...(hit.sources && { sources: hit.sources }),
      });
      return sendJson(res, 200, body, headers);
    }
    const base = { id, object: "chat.completion.chunk", created: created(), model: hit.model };
    const usageField = request.includeUsage ? { usage: null } : {};
    const chunk = (delta: Record<string, string>, finishReason: string | null = null) =>
      `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }], ...usageField })}\n\n`;
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: draining ? "close" : "keep-alive", "x-accel-buffering": "no", ...headers });
    let body = chunk({ role: "assistant", content: "" }) + chunk({ content: hit.text }) + chunk({}, hit.finishReason);
    if (request.includeUsage && hit.usage) body += `data: ${JSON.stringify({ ...base, choices: [], usage: usageBody(hit.usage) })}\n\n`;
    // The sources ride last, as on the live answer (the contract in lib/answer-sources.ts).
    if (hit.sources) body += `data: ${JSON.stringify({ ...base, choices: [], ...usageField, sources: hit.sources })}\n\n`;
    res.end(`${body}data: [DONE]\n\n`);
  }

  async function stream(
    request: ChatRequest,
    res: ServerResponse,
    entry: RequestLog,
    client: ClientPresence,
    started: number,
    admitted: Admitted,
    cacheKey: string | undefined,
    sources: AnswerSource[] | undefined,
    remember: ((model: string, text: string, finishReason: string) => void) | undefined,
  ): Promise<void> {
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
    let finishReason: string | undefined;
    const keepAnswer = settings.logPrompts || (cacheKey !== undefined && !opened.fallback) || remember !== undefined;
    await write(res, chunk({ role: "assistant", content: "" }));
    try {
      for await (const event of opened.events as AsyncIterable<StreamEvent>) {
        if (event.type === "text") {
          if (keepAnswer) answer += event.text;
          await write(res, chunk({ content: event.text }));
        } else if (event.type === "finish") {
          finishReason = event.reason;
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
      shared.answered(admitted, usage);
    }
    if (res.destroyed) return;
    // Only a stream that ran to its end, from the provider asked, is worth answering again.
    if (cacheKey !== undefined && !opened.fallback && finishReason) {
      shared.cache!.put(cacheKey, { text: answer, finishReason, usage, provider: opened.provider.name, model: opened.provider.model, ...(sources && { sources }) });
    }
    if (request.includeUsage && usage) res.write(`data: ${JSON.stringify({ ...base, choices: [], usage: usageBody(usage) })}\n\n`);
    // The sources ride last, in a chunk without choices (the contract in lib/answer-sources.ts).
    if (sources) res.write(`data: ${JSON.stringify({ ...base, choices: [], ...usageField, sources })}\n\n`);
    res.end("data: [DONE]\n\n");
    metrics.answered(opened.provider.name, opened.provider.model, (performance.now() - started) / 1000, usage);
    if (remember && finishReason) remember(opened.provider.model, answer, finishReason);
  }

  function models(req: IncomingMessage, res: ServerResponse): void {
    shared.identify(req);
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
  function dispatch(path: string, req: IncomingMessage, res: ServerResponse, entry: RequestLog, client: ClientPresence): Promise<void> {
    // The knowledge base's own API (when enabled) answers its methods itself (405 with Allow for others).
    if (admin && knowledgeRoute(path)) return admin(req, res, path);
    const allowed = allowedMethods(path);
    if (!allowed) throw notFound(path);
    if (req.method === "OPTIONS") {
      res.writeHead(204, { allow: allowed.join(", ") });
      res.end();
      return Promise.resolve();
    }
    if (!allowed.includes(req.method ?? "")) throw methodNotAllowed(req.method, allowed);
    if (path === CHAT_ROUTE) return chat(req, res, entry, client);
    if (path === MODELS_ROUTE) models(req, res);
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
    const knowledgePath = admin ? knowledgeRoute(path) : undefined;
    const route = path === CHAT_ROUTE || path === MODELS_ROUTE ? path : (knowledgePath ?? "other");
    const entry: RequestLog = {};
    const client = new ClientPresence();
    inFlight++;
    res.once("close", () => {
      if (!res.writableFinished) client.leave();
      const durationMs = Math.round((performance.now() - begun) * 10) / 10;
      // The request's bookkeeping waits until this turn of the event loop has handled its I/O: answers of other
      // requests that arrived at the same moment are relayed first, not after this one's log line (docs/resilience.md).
      setImmediate(() => {
        inFlight--;
        try {
          const outcome = finalOutcome(res, entry);
          const status = res.headersSent ? res.statusCode : CLIENT_CLOSED_STATUS;
          metrics.request(route, status, outcome);
          log[LEVEL[outcome]]("request", { request_id: requestId, method: req.method, route, status, duration_ms: durationMs, ...entry, outcome });
        } finally {
          if (inFlight === 0) idle?.();
        }
      });
    });

    let handled: Promise<void>;
    try {
      handled = dispatch(path, req, res, entry, client);
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

  /** Valkey's connection and the knowledge base's pool, once the last request is answered. */
  const release = (): Promise<unknown> => Promise.allSettled([shared.close(), knowledge?.close() ?? Promise.resolve(), features?.close() ?? Promise.resolve()]);

  function close(): Promise<void> {
    closing = true;
    server.close();
    server.closeIdleConnections();
    return new Promise<void>((resolve) => {
      const grace = setTimeout(() => {
        log.warn("grace period over; closing the connections still answering", { in_flight: inFlight });
        server.closeAllConnections();
        void release().then(() => resolve());
      }, settings.shutdownGraceMs);
      idle = () => {
        clearTimeout(grace);
        server.closeIdleConnections();
        void release().then(() => resolve());
      };
      if (inFlight === 0) idle();
    });
  }

  return {
    server,
    metrics,
    router,
    knowledge,
    shared,
    features,
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

/**
 * The caller's key for the flags' percentages: the API key's name when it used one, else a hash of the client
 * identity the rate limits use (its address: never put in the flags' context or logs as it is).
 */
function flagKey(admitted: Admitted): string {
  if (admitted.caller.kind === "key") return `key:${admitted.caller.key.name}`;
  return `client:${createHash("sha256").update(admitted.bucket).digest("hex").slice(0, 32)}`;
}

/** One user message and no earlier answers (system prompts aside). */
function isFirstQuestion(request: ChatRequest): boolean {
  return request.messages.filter((m) => m.role === "user").length === 1 && !request.messages.some((m) => m.role === "assistant");
}

function usageBody(usage: Usage | undefined) {
  if (!usage) return undefined;
  return { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens };
}
