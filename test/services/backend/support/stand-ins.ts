/**
 * Stand-in upstream APIs on 127.0.0.1 that speak each real wire format: OpenAI's Chat Completions (JSON, and
 * server-sent `data:` chunks ending in `data: [DONE]`), Anthropic's Messages (JSON, and named SSE events from
 * message_start to message_stop), and Ollama's native `/api/chat` (JSON, and newline-delimited JSON). Each answers
 * by a script of behaviours (then `ok`), and records what it was sent.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from "http";
import { AddressInfo, Socket } from "net";

export type Behaviour =
  | "ok"
  /**
   * An error status with an API-style error body (or `body` as given, of `contentType`); `retryAfter` becomes the
   * Retry-After header.
   */
  | { status: number; retryAfter?: string; body?: string; contentType?: string }
  /** Accept the request and never answer. */
  | "hang"
  /** Stream two pieces of the answer, then drop the connection. */
  | "break"
  /** Answer after `ms` (a model's latency). */
  | { delayMs: number };

export interface Received {
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
  /** The caller hung up before the answer was complete (set when it happens). */
  abandoned: boolean;
}

export type Wire = "openai" | "anthropic" | "ollama";

export interface StandIn {
  wire: Wire;
  url: string;
  /** Base URL as the stack writes it: `…/v1` for OpenAI-style APIs and Anthropic, the API root for Ollama. */
  baseUrl: string;
  received: Received[];
  /** Behaviours for the next requests, in order; afterwards `fallback` (default `ok`). */
  script(...behaviours: Behaviour[]): void;
  always(behaviour: Behaviour): void;
  close(): Promise<void>;
}

export const answerText = (wire: Wire) => `Hello from the ${wire} stand-in`;

const words = (wire: Wire) => answerText(wire).split(" ").map((word, i) => (i === 0 ? word : ` ${word}`));

function sse(res: ServerResponse, event: string | undefined, data: unknown) {
  res.write(`${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
}

function openAi(body: Record<string, unknown>, res: ServerResponse, breakOff: boolean) {
  const model = body.model;
  const usage = { prompt_tokens: 11, completion_tokens: 6, total_tokens: 17 };
  if (!body.stream) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ id: "chatcmpl-standin", object: "chat.completion", created: 1, model, choices: [{ index: 0, message: { role: "assistant", content: answerText("openai") }, finish_reason: "stop" }], usage }));
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream" });
  const chunk = (delta: unknown, finish: string | null = null) => ({ id: "chatcmpl-standin", object: "chat.completion.chunk", created: 1, model, choices: [{ index: 0, delta, finish_reason: finish }] });
  sse(res, undefined, chunk({ role: "assistant", content: "" }));
  for (const [i, word] of words("openai").entries()) {
    if (breakOff && i === 2) return void setTimeout(() => res.socket?.destroy(), 50);
    sse(res, undefined, chunk({ content: word }));
  }
  sse(res, undefined, chunk({}, "stop"));
  if ((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage) sse(res, undefined, { id: "chatcmpl-standin", object: "chat.completion.chunk", created: 1, model, choices: [], usage });
  sse(res, undefined, "[DONE]");
  res.end();
}

function anthropic(body: Record<string, unknown>, res: ServerResponse, breakOff: boolean) {
  const model = body.model;
  if (!body.stream) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ id: "msg_standin", type: "message", role: "assistant", model, content: [{ type: "text", text: answerText("anthropic") }], stop_reason: "end_turn", stop_sequence: null, usage: { input_tokens: 12, output_tokens: 5 } }));
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream" });
  sse(res, "message_start", { type: "message_start", message: { id: "msg_standin", type: "message", role: "assistant", content: [], model, stop_reason: null, stop_sequence: null, usage: { input_tokens: 12, output_tokens: 1 } } });
  sse(res, "content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
  sse(res, "ping", { type: "ping" });
  for (const [i, word] of words("anthropic").entries()) {
    if (breakOff && i === 2) return void setTimeout(() => res.socket?.destroy(), 50);
    sse(res, "content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: word } });
  }
  sse(res, "content_block_stop", { type: "content_block_stop", index: 0 });
  sse(res, "message_delta", { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 5 } });
  sse(res, "message_stop", { type: "message_stop" });
  res.end();
}

function ollama(body: Record<string, unknown>, res: ServerResponse, breakOff: boolean) {
  const model = body.model;
  const created_at = "2026-11-30T12:00:00Z";
  const done = { done: true, done_reason: "stop", total_duration: 1000, prompt_eval_count: 13, eval_count: 5 };
  if (body.stream === false) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ model, created_at, message: { role: "assistant", content: answerText("ollama") }, ...done }));
    return;
  }
  res.writeHead(200, { "content-type": "application/x-ndjson" });
  for (const [i, word] of words("ollama").entries()) {
    if (breakOff && i === 2) return void setTimeout(() => res.socket?.destroy(), 50);
    res.write(`${JSON.stringify({ model, created_at, message: { role: "assistant", content: word }, done: false })}\n`);
  }
  res.end(`${JSON.stringify({ model, created_at, message: { role: "assistant", content: "" }, ...done })}\n`);
}

function errorBody(wire: Wire, status: number): string {
  const message = `stand-in failure ${status}`;
  if (wire === "anthropic") return JSON.stringify({ type: "error", error: { type: status === 429 ? "rate_limit_error" : "api_error", message } });
  if (wire === "ollama") return JSON.stringify({ error: message });
  return JSON.stringify({ error: { message, type: status === 429 ? "rate_limit_exceeded" : "server_error", param: null, code: null } });
}

const PATHS: Record<Wire, string> = { openai: "/v1/chat/completions", anthropic: "/v1/messages", ollama: "/api/chat" };
const ANSWER = { openai: openAi, anthropic, ollama };

export async function startStandIn(wire: Wire): Promise<StandIn> {
  const queue: Behaviour[] = [];
  let fallback: Behaviour = "ok";
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      const entry: Received = { path: req.url ?? "", headers: req.headers, body, abandoned: false };
      received.push(entry);
      res.once("close", () => (entry.abandoned = !res.writableFinished));
      if (req.url !== PATHS[wire]) {
        res.writeHead(404).end();
        return;
      }
      const behaviour = queue.shift() ?? fallback;
      if (behaviour === "hang") return;
      if (typeof behaviour === "object" && "status" in behaviour) {
        res.writeHead(behaviour.status, { "content-type": behaviour.contentType ?? "application/json", ...(behaviour.retryAfter !== undefined && { "retry-after": behaviour.retryAfter }) });
        res.end(behaviour.body ?? errorBody(wire, behaviour.status));
        return;
      }
      const answer = () => ANSWER[wire](body, res, behaviour === "break");
      if (typeof behaviour === "object") setTimeout(answer, behaviour.delayMs);
      else answer();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    wire,
    url,
    baseUrl: wire === "ollama" ? url : `${url}/v1`,
    received,
    script: (...behaviours) => void queue.push(...behaviours),
    always: (behaviour) => {
      queue.length = 0;
      fallback = behaviour;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
