/**
 * The non-streaming call of every OpenAI-style provider, on node:http directly: the hot path of a gateway whose
 * upstream already speaks the client's format. The request is one JSON write on a pooled keep-alive connection;
 * the answer is read as bytes, parsed once to check it (a choice with a message) and to read its usage and text,
 * and then relayed to the client as the same bytes (server.ts): no SDK objects, no web streams, no re-serialising.
 * The SDK (openai-style.ts) still makes streaming calls. Measured with `npm run bench` (docs/resilience.md).
 */
import { Agent as HttpAgent, IncomingMessage, request as httpRequest } from "http";
import { Agent as HttpsAgent, request as httpsRequest } from "https";
import { retryAfterMs } from "../resilience/retry-after";
import { CallCancellation, Completion, UpstreamError } from "./types";

/**
 * Keep-alive pools: idle connections are kept for reuse up to `maxFreeSockets` per upstream (node's default 256),
 * enough for the gateway's concurrency per pod; `lifo` reuses the warmest connection first, so idle ones age out.
 */
const agents = {
  http: new HttpAgent({ keepAlive: true, scheduling: "lifo", maxFreeSockets: 256 }),
  https: new HttpsAgent({ keepAlive: true, scheduling: "lifo", maxFreeSockets: 256 }),
};

/** Largest answer read from an upstream; a bigger one is an upstream fault, not a reason to run out of memory. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
/** Bytes of an error answer kept for the log. */
const MAX_ERROR_BYTES = 4096;

export interface RawCompletion extends Completion {
  /** The upstream's answer as received: an OpenAI chat.completion, checked, for the client as it is. */
  raw: Buffer;
}

interface OpenAiAnswer {
  choices?: { message?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
}

/** A client for one upstream's `POST {baseUrl}/chat/completions`. */
export function rawChatClient(baseUrl: string, apiKey: string | undefined) {
  const url = new URL(`${baseUrl.replace(/\/+$/, "")}/chat/completions`);
  const secure = url.protocol === "https:";
  const send = secure ? httpsRequest : httpRequest;
  const base = {
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port || undefined,
    path: `${url.pathname}${url.search}`,
    method: "POST",
    agent: secure ? agents.https : agents.http,
  };
  const auth = apiKey ? { authorization: `Bearer ${apiKey}` } : {};

  return (body: string, cancel: CallCancellation): Promise<RawCompletion> =>
    new Promise((resolve, reject) => {
      // Why the call was stopped (a timeout, the client gone) wins over the socket error the stop itself causes.
      let stopped: { reason: unknown } | undefined;
      let unregister = () => {};
      const done = (answer: RawCompletion) => {
        unregister();
        resolve(answer);
      };
      const fail = (error: unknown) => {
        unregister();
        reject(stopped ? stopped.reason : error);
      };
      const req = send({ ...base, headers: { ...auth, "content-type": "application/json", accept: "application/json", "content-length": Buffer.byteLength(body) } }, (res) =>
        read(res, done, fail),
      );
      req.once("error", (error) => fail(new UpstreamError(`connection failed: ${error.message}`, "network")));
      unregister = cancel.onCancel((reason) => {
        stopped = { reason };
        req.destroy(new UpstreamError("the call was stopped", "network"));
      });
      if (!stopped) req.end(body);
    });
}

function read(res: IncomingMessage, resolve: (value: RawCompletion) => void, fail: (error: unknown) => void): void {
  const status = res.statusCode ?? 0;
  const ok = status >= 200 && status < 300;
  const limit = ok ? MAX_ANSWER_BYTES : MAX_ERROR_BYTES;
  const chunks: Buffer[] = [];
  let size = 0;
  res.on("data", (chunk: Buffer) => {
    if (size < limit) chunks.push(chunk);
    size += chunk.length;
  });
  res.once("error", (error) => fail(new UpstreamError(`answer broke off: ${error.message}`, "network")));
  res.once("end", () => {
    const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    if (!ok) {
      const headers = { get: (name: string) => (res.headers[name] as string | undefined) ?? null };
      return fail(new UpstreamError(`answered ${status}: ${raw.toString("utf8", 0, Math.min(raw.length, MAX_ERROR_BYTES))}`, "http", status, retryAfterMs(headers)));
    }
    if (size > limit) return fail(new UpstreamError(`sent an answer larger than ${limit} bytes`, "protocol"));
    let answer: OpenAiAnswer;
    try {
      answer = JSON.parse(raw.toString("utf8")) as OpenAiAnswer;
    } catch {
      return fail(new UpstreamError("sent an answer that is not JSON", "protocol"));
    }
    const choice = answer?.choices?.[0];
    if (!choice || typeof choice.message !== "object" || choice.message === null) return fail(new UpstreamError("answered without a choice", "protocol"));
    const usage = answer.usage ? { promptTokens: answer.usage.prompt_tokens ?? 0, completionTokens: answer.usage.completion_tokens ?? 0 } : undefined;
    resolve({ raw, text: choice.message.content ?? "", finishReason: choice.finish_reason ?? "stop", usage });
  });
}
