/**
 * Ollama through its native chat API, `POST /api/chat`, which streams newline-delimited JSON
 * (https://github.com/ollama/ollama/blob/main/docs/api.md). Chosen over its OpenAI-compatible `/v1` because the
 * stack points the backend at Ollama's API root, the native API is the one Ollama documents as stable (it calls the
 * OpenAI layer "experimental and subject to major adjustments including breaking changes"; verified: ollama/ollama
 * docs/openai.md), and it reports token counts (`prompt_eval_count`, `eval_count`) on every answer.
 * Ollama has no official JavaScript client in this project's dependencies, so this is plain HTTP on the same
 * keep-alive fetch the SDKs use (http-fetch.ts).
 */
import { CallCancellation, ChatRequest, Completion, Provider, StreamEvent, UpstreamError, Usage } from "./types";
import { retryAfterMs } from "../resilience/retry-after";
import { httpFetch } from "./http-fetch";

interface OllamaChunk {
  message?: { content?: string };
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  error?: string;
}

const usageOf = (chunk: OllamaChunk): Usage => ({ promptTokens: chunk.prompt_eval_count ?? 0, completionTokens: chunk.eval_count ?? 0 });
const finishOf = (chunk: OllamaChunk) => (chunk.done_reason === "length" ? "length" : "stop");

export class OllamaProvider implements Provider {
  readonly name = "ollama" as const;
  readonly key: string;
  private readonly url: string;

  constructor(
    readonly model: string,
    baseUrl: string,
  ) {
    this.key = `ollama ${baseUrl}`;
    this.url = `${baseUrl.replace(/\/+$/, "")}/api/chat`;
  }

  private async post(request: ChatRequest, stream: boolean, signal: AbortSignal): Promise<Response> {
    const options = {
      ...(request.temperature !== undefined && { temperature: request.temperature }),
      ...(request.topP !== undefined && { top_p: request.topP }),
      ...((request.maxCompletionTokens ?? request.maxTokens) !== undefined && { num_predict: request.maxCompletionTokens ?? request.maxTokens }),
      ...(request.stop && { stop: request.stop }),
      ...(request.seed !== undefined && { seed: request.seed }),
    };
    // Ollama knows system, user and assistant; a developer message is a system message.
    const messages = request.messages.map((m) => ({ role: m.role === "developer" ? "system" : m.role, content: m.content }));
    let response: Response;
    try {
      response = await httpFetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: this.model, messages, stream, options }),
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw new UpstreamError(`connection failed: ${(error as Error).cause ?? (error as Error).message}`, "network");
    }
    if (!response.ok) {
      const text = await response.text().catch(() => "");
      let message = text;
      try {
        // Ollama's errors are {"error": "text"}; anything else in front of it (a proxy) may send another shape.
        const error = (JSON.parse(text) as { error?: unknown }).error;
        if (typeof error === "string") message = error;
      } catch {
        // not JSON: keep the text
      }
      throw new UpstreamError(`answered ${response.status}: ${message.slice(0, 200)}`, "http", response.status, retryAfterMs(response.headers));
    }
    return response;
  }

  async complete(request: ChatRequest, { signal }: CallCancellation): Promise<Completion> {
    const response = await this.post(request, false, signal);
    let chunk: OllamaChunk;
    try {
      chunk = (await response.json()) as OllamaChunk;
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw new UpstreamError(`sent an unreadable answer: ${(error as Error).message}`, "protocol");
    }
    if (chunk.error) throw new UpstreamError(`failed: ${chunk.error}`, "protocol");
    return { text: chunk.message?.content ?? "", finishReason: finishOf(chunk), usage: usageOf(chunk) };
  }

  async *stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<StreamEvent> {
    const response = await this.post(request, true, signal);
    const decoder = new TextDecoder();
    let buffered = "";
    const parse = (line: string): StreamEvent[] => {
      if (!line.trim()) return [];
      let chunk: OllamaChunk;
      try {
        chunk = JSON.parse(line) as OllamaChunk;
      } catch {
        throw new UpstreamError("sent a line that is not JSON", "protocol");
      }
      if (chunk.error) throw new UpstreamError(`failed mid-answer: ${chunk.error}`, "protocol");
      const events: StreamEvent[] = [];
      if (chunk.message?.content) events.push({ type: "text", text: chunk.message.content });
      if (chunk.done) events.push({ type: "usage", usage: usageOf(chunk) }, { type: "finish", reason: finishOf(chunk) });
      return events;
    };
    try {
      for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(bytes, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          yield* parse(line);
        }
      }
      yield* parse(buffered + decoder.decode());
    } catch (error) {
      if (error instanceof UpstreamError) throw error;
      if (signal.aborted) throw signal.reason;
      throw new UpstreamError(`stream broke off: ${(error as Error).message}`, "network");
    }
  }
}
