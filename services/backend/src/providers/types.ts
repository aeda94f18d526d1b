/** What every provider speaks: one chat request in, a completion or a stream of events out. */
import { ProviderName } from "../../../../lib/backend-env";

export type Role = "system" | "developer" | "user" | "assistant";

export interface ChatMessage {
  role: Role;
  content: string;
}

/** A validated chat request, in the gateway's own terms (see chat-request.ts). */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream: boolean;
  /** The client asked for a usage chunk at the end of the stream (`stream_options.include_usage`). */
  includeUsage: boolean;
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  /** Sent as `max_completion_tokens` (OpenAI's newer name) rather than `max_tokens`. */
  maxCompletionTokens?: number;
  stop?: string[];
  seed?: number;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export interface Completion {
  text: string;
  /** OpenAI's finish reasons: stop, length, content_filter, tool_calls. */
  finishReason: string;
  usage?: Usage;
  /**
   * The upstream's own answer, when it is already an OpenAI chat.completion that the provider checked: relayed to
   * the client byte for byte (OpenAI-style providers' non-streaming calls).
   */
  raw?: Buffer;
}

export type StreamEvent = { type: "text"; text: string } | { type: "finish"; reason: string } | { type: "usage"; usage: Usage };

/**
 * How an upstream call learns that it must stop: its attempt timed out, or the client left. The SDKs take the
 * AbortSignal; the raw path (openai-raw.ts) registers a callback instead, so the gateway's hot path makes no
 * AbortController and node:http attaches no abort listener per request (docs/resilience.md, "The gateway's speed").
 */
export interface CallCancellation {
  /** For APIs that take an AbortSignal; made on first use, already aborted when the call must stop. */
  readonly signal: AbortSignal;
  /** Calls `stop` with the reason once the call must stop (at once when it already must); returns the unregistering. */
  onCancel(stop: (reason: unknown) => void): () => void;
}

export interface Provider {
  /** The `provider` label and the `X-Assistant-Provider` header. */
  readonly name: ProviderName;
  /** The model as the upstream spells it. */
  readonly model: string;
  /** Tells circuit breakers apart: one per upstream server. */
  readonly key: string;
  complete(request: ChatRequest, cancel: CallCancellation): Promise<Completion>;
  stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<StreamEvent>;
}

/** Upstream error text kept for the log: enough to diagnose, never a whole HTML page. */
export const UPSTREAM_MESSAGE_CHARS = 300;

/**
 * Why an upstream call failed, in terms the retry and fallback logic decide on. `status` is the upstream's HTTP
 * status when it answered; `retryAfterMs` its `Retry-After`.
 */
export class UpstreamError extends Error {
  override name = "UpstreamError";
  /**
   * `message` is for the log only (redacted there): it may hold the upstream's own error text, cut to
   * {@link UPSTREAM_MESSAGE_CHARS}. Clients get a fixed message (upstream-errors.ts).
   */
  constructor(
    message: string,
    readonly kind: "http" | "network" | "timeout" | "protocol" | "circuit-open",
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message.length > UPSTREAM_MESSAGE_CHARS ? `${message.slice(0, UPSTREAM_MESSAGE_CHARS)}…` : message);
  }

  /** 429, 5xx and refused or reset connections are worth another try; a timeout already used its budget. */
  get retryable(): boolean {
    if (this.kind === "network") return true;
    return this.kind === "http" && this.status !== undefined && (this.status === 429 || this.status === 408 || this.status >= 500);
  }

  /** The request itself was refused (too long for the model, a bad parameter): no other provider would help. */
  get clientFault(): boolean {
    return this.kind === "http" && (this.status === 400 || this.status === 413 || this.status === 422);
  }
}
