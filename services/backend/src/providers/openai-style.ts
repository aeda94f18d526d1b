/**
 * Every OpenAI-compatible API through the official `openai` SDK: OpenAI itself, any OpenAI-compatible URL,
 * Hugging Face's router (https://router.huggingface.co/v1 speaks the Chat Completions API) and vLLM's server.
 * One SDK client per upstream, made at start; the SDK's own retries are off (the gateway retries, see router.ts).
 * Non-streaming calls go around the SDK (openai-raw.ts): the answer is already in the client's format, and relaying
 * its bytes is the gateway's hot path.
 */
import OpenAI from "openai";
import type { ChatCompletionCreateParamsBase } from "openai/resources/chat/completions";
import { ProviderName } from "../../../../lib/backend-env";
import { CallCancellation, ChatRequest, Provider, StreamEvent, UpstreamError, Usage } from "./types";
import { retryAfterMs } from "../resilience/retry-after";
import { httpFetch } from "./http-fetch";
import { RawCompletion, rawChatClient } from "./openai-raw";

function usageOf(usage: OpenAI.CompletionUsage | null | undefined): Usage | undefined {
  return usage ? { promptTokens: usage.prompt_tokens ?? 0, completionTokens: usage.completion_tokens ?? 0 } : undefined;
}

/** SDK errors as {@link UpstreamError}s; an abort is the gateway's own (timeout or client gone) and stays as it is. */
export function fromSdkError(error: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason ?? error;
  const e = error as { status?: number; headers?: Headers; message?: string; name?: string };
  if (error instanceof OpenAI.APIConnectionError || e?.name === "APIConnectionError") {
    return new UpstreamError(`connection failed: ${e.message}`, "network");
  }
  if (typeof e?.status === "number") {
    return new UpstreamError(`answered ${e.status}: ${e.message ?? ""}`.trim(), "http", e.status, retryAfterMs(e.headers));
  }
  if (error instanceof OpenAI.APIError) return new UpstreamError(`stream error: ${error.message}`, "protocol");
  return new UpstreamError(`failed: ${(error as Error)?.message ?? String(error)}`, "protocol");
}

export class OpenAiStyleProvider implements Provider {
  readonly key: string;
  private readonly client: OpenAI;
  private readonly completeRaw: (body: string, cancel: CallCancellation) => Promise<RawCompletion>;

  constructor(
    readonly name: ProviderName,
    readonly model: string,
    baseUrl: string,
    apiKey: string | undefined,
    /** The name the upstream serves the model under, when it is not the one clients use (Triton's repository name). */
    private readonly servedModel: string = model,
  ) {
    this.key = `${name} ${baseUrl}`;
    this.completeRaw = rawChatClient(baseUrl, apiKey);
    this.client = new OpenAI({
      baseURL: baseUrl,
      // A keyless server (vLLM without --api-key) gets no Authorization header at all.
      apiKey: apiKey ?? "unused",
      defaultHeaders: apiKey ? undefined : { Authorization: null },
      maxRetries: 0,
      fetch: httpFetch,
      // The gateway aborts on its own timeout (which also covers gaps inside a stream).
      timeout: 24 * 3600 * 1000,
    });
  }

  private params(request: ChatRequest): ChatCompletionCreateParamsBase {
    return {
      model: this.servedModel,
      messages: request.messages,
      ...(request.temperature !== undefined && { temperature: request.temperature }),
      ...(request.topP !== undefined && { top_p: request.topP }),
      ...(request.maxTokens !== undefined && { max_tokens: request.maxTokens }),
      ...(request.maxCompletionTokens !== undefined && { max_completion_tokens: request.maxCompletionTokens }),
      ...(request.stop && { stop: request.stop }),
      ...(request.seed !== undefined && { seed: request.seed }),
    };
  }

  /** The answer, with the upstream's bytes (`raw`) for the client: see openai-raw.ts. */
  async complete(request: ChatRequest, cancel: CallCancellation): Promise<RawCompletion | Omit<RawCompletion, "raw">> {
    const answer = await this.completeRaw(JSON.stringify({ ...this.params(request), stream: false }), cancel);
    // An upstream serving the model under another name (Triton) would hand the client that name: its bytes are not
    // relayed, and the gateway writes the answer under the name the client asked for.
    if (this.servedModel === this.model) return answer;
    const { raw: _upstreamBytes, ...rebuilt } = answer;
    return rebuilt;
  }

  async *stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<StreamEvent> {
    try {
      // Usage is always asked for, so the token metrics count streamed answers too (vLLM, Ollama and OpenAI send it).
      const chunks = await this.client.chat.completions.create(
        { ...this.params(request), stream: true, stream_options: { include_usage: true } },
        { signal },
      );
      for await (const chunk of chunks) {
        const choice = chunk.choices?.[0];
        const text = choice?.delta?.content;
        if (text) yield { type: "text", text };
        if (choice?.finish_reason) yield { type: "finish", reason: choice.finish_reason };
        const usage = usageOf(chunk.usage);
        if (usage) yield { type: "usage", usage };
      }
    } catch (error) {
      throw error instanceof UpstreamError ? error : fromSdkError(error, signal);
    }
  }
}
