/**
 * Canned answers for the mock phase, and one plain notice when the mock stands in as a fallback: deterministic (the
 * same conversation gets the same answer), no network, streamed word by word like a model would. Only the mock
 * phase's own answers talk about phases; a user who gets the fallback is told the model is unavailable, nothing about
 * how the stack is deployed.
 */
import { setTimeout as sleep } from "timers/promises";
import { MOCK_MODEL } from "../../../../lib/backend-env";
import { GROUNDING_HEADER } from "../knowledge/grounding";
import { ChatMessage, ChatRequest, Completion, Provider, StreamEvent, Usage } from "./types";

const ANSWERS = [
  "This is the mock assistant: no language model is connected, so this answer is canned. Switch the stack to the hosted-api or local-model phase for real answers.",
  "Canned answer from the mock provider. The stack, the backend and the chat page work end to end; only the model is missing.",
  "The mock provider answers every question with one of a few fixed replies, so you can test the chat without keys or GPUs.",
];
const GREETING = "Hello! I am the mock assistant. I answer with canned text, so everything but the model can be tried out.";

/** What the mock answers as a fallback, whatever was asked. */
export const FALLBACK_ANSWER =
  "The language model is unavailable right now, so this is an automatic placeholder reply, not an answer to your question. Please try again in a few minutes.";

/** Words as a rough token count, so the token metrics move in the mock phase too. */
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0;
  return h;
}

/**
 * With passages from the knowledge base before the question, the mock answers from the first one and cites it, so
 * that grounding and citations can be tried end to end without a model.
 */
function groundedAnswer(messages: ChatMessage[]): string | undefined {
  const grounding = messages.find((m) => m.role === "system" && m.content.startsWith(GROUNDING_HEADER));
  const first = grounding && /\n\[1\] [^\n]*\n([\s\S]*?)(?:\n\n\[2\] |\n\n[^\n]*$)/.exec(grounding.content)?.[1];
  if (!first) return undefined;
  const excerpt = first.replace(/\s+/g, " ").trim();
  const sentence = /^.{20,300}?[.!?](?=\s|$)/.exec(excerpt)?.[0] ?? excerpt.slice(0, 300);
  return `From the team's documents (mock answer): ${sentence} [1]`;
}

export function mockAnswer(messages: ChatMessage[]): string {
  const grounded = groundedAnswer(messages);
  if (grounded) return grounded;
  const question = [...messages].reverse().find((m) => m.role === "user")?.content ?? "";
  if (/^\s*(hi|hello|hey|hallo|bonjour)\b/i.test(question)) return GREETING;
  return ANSWERS[hash(question) % ANSWERS.length];
}

function usage(request: ChatRequest, answer: string): Usage {
  return { promptTokens: request.messages.reduce((n, m) => n + words(m.content), 0), completionTokens: words(answer) };
}

export class MockProvider implements Provider {
  readonly name = "mock" as const;
  readonly model = MOCK_MODEL;
  readonly key = "mock";
  private readonly answer: (messages: ChatMessage[]) => string;

  /** `role`: `phase` answers as the mock phase does; `fallback` only says the model is unavailable. */
  constructor(
    private readonly wordDelayMs: number,
    role: "phase" | "fallback" = "phase",
  ) {
    this.answer = role === "fallback" ? () => FALLBACK_ANSWER : mockAnswer;
  }

  async complete(request: ChatRequest): Promise<Completion> {
    const text = this.answer(request.messages);
    return { text, finishReason: "stop", usage: usage(request, text) };
  }

  async *stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<StreamEvent> {
    const text = this.answer(request.messages);
    const parts = text.split(" ");
    for (let i = 0; i < parts.length; i++) {
      if (i > 0 && this.wordDelayMs > 0) await sleep(this.wordDelayMs, undefined, { signal });
      yield { type: "text", text: i === 0 ? parts[i] : ` ${parts[i]}` };
    }
    yield { type: "finish", reason: "stop" };
    yield { type: "usage", usage: usage(request, text) };
  }
}
