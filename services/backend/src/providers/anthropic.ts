/**
 * Anthropic's Messages API through the official `@anthropic-ai/sdk`, streaming included (its server-sent events:
 * message_start, content_block_delta, message_delta, message_stop). System and developer messages become the
 * `system` parameter; `max_tokens` is required by the API, so the configured default fills in.
 */
import Anthropic from "@anthropic-ai/sdk";
import type { MessageCreateParamsBase } from "@anthropic-ai/sdk/resources/messages/messages";
import { CallCancellation, ChatRequest, Completion, Provider, StreamEvent, UpstreamError } from "./types";
import { retryAfterMs } from "../resilience/retry-after";
import { httpFetch } from "./http-fetch";

/** Anthropic's stop reasons in OpenAI's words. */
const FINISH: Record<string, string> = { end_turn: "stop", stop_sequence: "stop", max_tokens: "length", tool_use: "tool_calls", refusal: "content_filter" };

/**
 * The stack writes `https://api.anthropic.com/v1` (the API's versioned root, like the other providers'), while
 * the SDK appends `/v1/messages` to its base URL itself.
 */
export function anthropicBaseUrl(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "");
}

function fromSdkError(error: unknown, signal: AbortSignal): unknown {
  if (error instanceof UpstreamError) return error;
  if (signal.aborted) return signal.reason ?? error;
  if (error instanceof Anthropic.APIConnectionError) return new UpstreamError(`connection failed: ${error.message}`, "network");
  if (error instanceof Anthropic.APIError && typeof error.status === "number") {
    return new UpstreamError(`answered ${error.status}: ${error.message}`, "http", error.status, retryAfterMs(error.headers));
  }
  return new UpstreamError(`failed: ${(error as Error)?.message ?? String(error)}`, "protocol");
}

export class AnthropicProvider implements Provider {
  readonly name = "anthropic" as const;
  readonly key: string;
  private readonly client: Anthropic;

  constructor(
    readonly model: string,
    baseUrl: string,
    apiKey: string,
    private readonly defaultMaxTokens: number,
  ) {
    this.key = `anthropic ${baseUrl}`;
    this.client = new Anthropic({ apiKey, baseURL: anthropicBaseUrl(baseUrl), maxRetries: 0, timeout: 24 * 3600 * 1000, fetch: httpFetch });
  }

  private params(request: ChatRequest): MessageCreateParamsBase {
    const system = request.messages.filter((m) => m.role === "system" || m.role === "developer").map((m) => m.content);
    return {
      model: this.model,
      max_tokens: request.maxCompletionTokens ?? request.maxTokens ?? this.defaultMaxTokens,
      messages: request.messages
        .filter((m) => m.role === "user" || m.role === "assistant")
        .map((m) => ({ role: m.role as "user" | "assistant", content: m.content })),
      ...(system.length > 0 && { system: system.join("\n\n") }),
      ...(request.temperature !== undefined && { temperature: request.temperature }),
      ...(request.topP !== undefined && { top_p: request.topP }),
      ...(request.stop && { stop_sequences: request.stop }),
    };
  }

  async complete(request: ChatRequest, { signal }: CallCancellation): Promise<Completion> {
    try {
      const message = await this.client.messages.create({ ...this.params(request), stream: false }, { signal });
      const text = message.content.map((block) => (block.type === "text" ? block.text : "")).join("");
      return {
        text,
        finishReason: FINISH[message.stop_reason ?? "end_turn"] ?? "stop",
        usage: { promptTokens: message.usage.input_tokens, completionTokens: message.usage.output_tokens },
      };
    } catch (error) {
      throw fromSdkError(error, signal);
    }
  }

  async *stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<StreamEvent> {
    try {
      const events = await this.client.messages.create({ ...this.params(request), stream: true }, { signal });
      let promptTokens = 0;
      let finish: string | undefined;
      for await (const event of events) {
        if (event.type === "message_start") promptTokens = event.message.usage.input_tokens;
        else if (event.type === "content_block_delta" && event.delta.type === "text_delta") yield { type: "text", text: event.delta.text };
        else if (event.type === "message_delta") {
          finish = FINISH[event.delta.stop_reason ?? "end_turn"] ?? "stop";
          yield { type: "usage", usage: { promptTokens: event.usage.input_tokens ?? promptTokens, completionTokens: event.usage.output_tokens } };
        } else if (event.type === "message_stop") yield { type: "finish", reason: finish ?? "stop" };
      }
    } catch (error) {
      throw fromSdkError(error, signal);
    }
  }
}
