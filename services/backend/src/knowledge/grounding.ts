/**
 * A question grounded in passages: a system message with the numbered passages and the instruction to cite them
 * goes just before the last user message (the question), and each passage becomes a source of the contract in
 * lib/answer-sources.ts, its `index` the number of its marker.
 */
import { AnswerSource } from "../../../../lib/answer-sources";
import { ChatMessage } from "../providers/types";
import { Passage } from "./store";

/** The first line of the grounding message; the mock provider looks for it to answer from passage [1]. */
export const GROUNDING_HEADER = "Passages from the team's documents, numbered:";

export const CITE_INSTRUCTION =
  "Answer the user's question from these passages when they are relevant, and cite each passage you use with its number in square brackets, such as [1]. " +
  "If the passages do not answer the question, say so, and do not cite them.";

export function groundingMessage(passages: Passage[]): string {
  const numbered = passages.map((p, i) => `[${i + 1}] ${p.title} (${p.source})\n${p.content}`);
  return `${GROUNDING_HEADER}\n\n${numbered.join("\n\n")}\n\n${CITE_INSTRUCTION}`;
}

/** The messages with the grounding message inserted before the last user message. */
export function groundMessages(messages: ChatMessage[], passages: Passage[]): ChatMessage[] {
  let last = messages.length - 1;
  while (last >= 0 && messages[last].role !== "user") last--;
  const grounding: ChatMessage = { role: "system", content: groundingMessage(passages) };
  return [...messages.slice(0, last), grounding, ...messages.slice(last)];
}

export function sourcesOf(passages: Passage[]): AnswerSource[] {
  return passages.map((p, i) => ({ index: i + 1, title: p.title, source: p.source, score: Math.round(p.score * 1000) / 1000 }));
}

/** The question retrieval looks up: the last user message. */
export function questionOf(messages: ChatMessage[]): string {
  return [...messages].reverse().find((m) => m.role === "user")?.content ?? "";
}
