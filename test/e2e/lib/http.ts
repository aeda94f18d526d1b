/** HTTP against the containers, on 127.0.0.1 only. */
import { createServer } from "net";
import { sleep } from "./process";

/** A port free on 127.0.0.1 now (the container binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.text() };
}

/** Polls `url` until it answers 200; returns the seconds it took, or throws after `timeoutMs`. */
export async function waitFor200(url: string, timeoutMs: number, alive: () => Promise<boolean>): Promise<number> {
  const began = Date.now();
  let last = "no answer";
  while (Date.now() - began < timeoutMs) {
    try {
      const answer = await get(url);
      if (answer.status === 200) return (Date.now() - began) / 1000;
      last = `HTTP ${answer.status} ${answer.body.slice(0, 200)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (!(await alive())) throw new Error(`the container exited before ${url} answered (last: ${last})`);
    await sleep(100);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000} s (last: ${last})`);
}

export function chatBody(question: string, stream: boolean): string {
  return JSON.stringify({ model: "mock", stream, messages: [{ role: "user", content: question }] });
}

/**
 * A streamed chat: resolves once the first chunk arrived, with a promise of the whole body. That promise never
 * rejects (a stream cut off is what the drain checks look for, and it may happen before they await it): a broken
 * stream resolves with what arrived, and streamedText then finds no `[DONE]`.
 */
export async function startStream(url: string, question: string): Promise<{ status: number; rest: Promise<string> }> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: chatBody(question, true) });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const first = await reader.read();
  let text = first.value ? decoder.decode(first.value, { stream: true }) : "";
  const rest = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return text;
        text += decoder.decode(value, { stream: true });
      }
    } catch {
      return text;
    }
  })();
  return { status: response.status, rest };
}

/** The text of an OpenAI-style SSE stream, and whether it ended with [DONE]. */
export function streamedText(body: string): { text: string; done: boolean } {
  let text = "";
  let done = false;
  for (const line of body.split("\n")) {
    if (!line.startsWith("data: ")) continue;
    const data = line.slice(6).trim();
    if (data === "[DONE]") done = true;
    else text += JSON.parse(data).choices?.[0]?.delta?.content ?? "";
  }
  return { text, done };
}
