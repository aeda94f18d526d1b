/** Starts the backend in the test's process on 127.0.0.1 (port 0), with settings parsed from an environment. */
import { parseBackendEnv } from "../../../../lib/backend-env";
import { LogFields, Logger } from "../../../../services/backend/src/log";
import { Backend, createBackend } from "../../../../services/backend/src/server";

export interface LogLine extends LogFields {
  level: string;
  msg: string;
}

export interface RunningBackend {
  backend: Backend;
  url: string;
  logs: LogLine[];
  close(): Promise<void>;
}

export async function startBackend(env: Record<string, string>): Promise<RunningBackend> {
  const logs: LogLine[] = [];
  const line = (level: string) => (msg: string, fields?: LogFields) => void logs.push({ level, msg, ...fields });
  const logger: Logger = { info: line("info"), warn: line("warn"), error: line("error"), drained: async () => undefined };
  const backend = createBackend(parseBackendEnv({ MOCK_WORD_DELAY_MS: "0", ...env }), { logger });
  const port = await backend.listen(0, "127.0.0.1");
  // With knowledge on, the schema is made before the test's first request.
  await backend.knowledge?.whenReady();
  await backend.features?.whenReady();
  return {
    backend,
    url: `http://127.0.0.1:${port}`,
    logs,
    close: async () => {
      await new Promise<void>((resolve) => {
        backend.server.closeAllConnections();
        backend.server.close(() => resolve());
      });
      await backend.shared.close();
      await backend.knowledge?.close();
      await backend.features?.close();
    },
  };
}

export const USER_HELLO = { messages: [{ role: "user", content: "Say hello" }] };

export async function postChat(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** The `data:` payloads of a server-sent event stream, parsed (`[DONE]` kept as the string). */
export async function sseData(response: Response): Promise<unknown[]> {
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((event) => event.startsWith("data: "))
    .map((event) => event.slice("data: ".length))
    .map((data) => (data === "[DONE]" ? data : JSON.parse(data)));
}

/** The text of a streamed answer. */
export function streamedText(events: unknown[]): string {
  return events
    .map((event) => (event as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content ?? "")
    .join("");
}

/** The value of one series in the backend's /metrics text, or 0 when absent. */
export async function metricValue(url: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}

/** A response's JSON body, loosely typed: tests check its shape with expect. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function json(response: Response): Promise<any> {
  return response.json();
}
