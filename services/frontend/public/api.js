// @ts-check
/**
 * The backend's OpenAI-compatible chat API, as the page uses it: `POST /v1/chat/completions` with `stream: true`,
 * read as server-sent events (`data: {chunk}` … `data: [DONE]`). The same origin serves the page and the API.
 */
import { readEventData } from "./sse.js";

/** @typedef {{ role: "system" | "user" | "assistant", content: string }} ChatMessage */
/**
 * Who answered: the provider named by `X-Assistant-Provider`, and whether it was the configured fallback.
 * @typedef {{ provider: string, fallback: boolean, requestId: string }} AnswerSource
 */

/**
 * One document an answer drew on, as the backend sends it (lib/answer-sources.ts): `index` is the number the
 * answer's `[n]` markers cite; `source` is an http(s) URL or the file name the document was added from.
 * @typedef {{ index: number, title: string, source: string }} CitedSource
 */

/** An error the page shows as a message: the API's own message when it sent one. */
export class ChatError extends Error {
  /**
   * @param {string} message
   * @param {number} [status]
   */
  constructor(message, status) {
    super(message);
    this.name = "ChatError";
    this.status = status;
  }
}

/**
 * The message of an OpenAI-style error body (`{"error": {"message": …}}`), or a plain description.
 * @param {Response} response
 */
async function errorOf(response) {
  const text = await response.text().catch(() => "");
  try {
    const body = JSON.parse(text);
    if (body && body.error && typeof body.error.message === "string") return new ChatError(body.error.message, response.status);
  } catch {
    // not JSON: fall through to the status line
  }
  return new ChatError(`the assistant answered ${response.status} ${response.statusText}`.trim(), response.status);
}

/**
 * The answer's source, from the response headers.
 * @param {Headers} headers
 * @returns {AnswerSource}
 */
export function answerSource(headers) {
  return {
    provider: headers.get("x-assistant-provider") ?? "unknown",
    fallback: (headers.get("x-assistant-fallback") ?? "").toLowerCase() === "true",
    requestId: headers.get("x-request-id") ?? "",
  };
}

/**
 * The well-formed entries of a `sources` array, in citation order; anything else in it is dropped (the page
 * shows what it can trust to be text, never markup).
 * @param {unknown} sources
 * @returns {CitedSource[]}
 */
export function citedSources(sources) {
  if (!Array.isArray(sources)) return [];
  return sources
    .filter((s) => s && Number.isInteger(s.index) && s.index > 0 && typeof s.title === "string" && typeof s.source === "string")
    .map((s) => ({ index: s.index, title: s.title.slice(0, 300), source: s.source.slice(0, 2000) }))
    .sort((a, b) => a.index - b.index);
}

/**
 * The ids of the models `GET /v1/models` lists (OpenAI's `{"data": [{"id": …}]}`), or [] when it cannot say.
 * @param {AbortSignal} [signal]
 * @returns {Promise<string[]>}
 */
export async function listModels(signal) {
  try {
    const response = await fetch("/v1/models", { headers: { Accept: "application/json" }, signal });
    if (!response.ok) return [];
    const body = await response.json();
    const ids = Array.isArray(body?.data) ? body.data.map((/** @type {{ id?: unknown }} */ m) => m?.id).filter((/** @type {unknown} */ id) => typeof id === "string" && id !== "") : [];
    return [...new Set(/** @type {string[]} */ (ids))];
  } catch {
    return [];
  }
}

/**
 * Sends the conversation and streams the answer: `onStart` once the headers say who answers, `onDelta` per piece
 * of text as it arrives, `onSources` when the final chunk lists the documents the answer drew on. Resolves when the
 * stream ends with `[DONE]`; rejects with a ChatError otherwise. Without `model` the backend answers with its
 * default model.
 * @param {{ messages: ChatMessage[], model?: string, signal?: AbortSignal,
 *           onStart: (source: AnswerSource) => void, onDelta: (text: string) => void,
 *           onSources?: (sources: CitedSource[]) => void }} request
 */
export async function streamChat({ messages, model, signal, onStart, onDelta, onSources }) {
  let response;
  try {
    response = await fetch("/v1/chat/completions", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ ...(model ? { model } : {}), messages, stream: true }),
      signal,
    });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ChatError("the assistant cannot be reached; check your connection and try again");
  }
  if (!response.ok) throw await errorOf(response);
  if (!response.body) throw new ChatError("the assistant sent an empty answer");
  onStart(answerSource(response.headers));
  for await (const data of readEventData(response.body)) {
    if (data === "[DONE]") return;
    let chunk;
    try {
      chunk = JSON.parse(data);
    } catch {
      throw new ChatError("the assistant sent a malformed event");
    }
    if (chunk.error) throw new ChatError(String(chunk.error.message ?? "the assistant failed while answering"));
    if (chunk.sources !== undefined) {
      const sources = citedSources(chunk.sources);
      if (sources.length > 0) onSources?.(sources);
    }
    const text = chunk.choices?.[0]?.delta?.content;
    if (typeof text === "string" && text !== "") onDelta(text);
  }
  throw new ChatError("the answer was cut off before it finished");
}
