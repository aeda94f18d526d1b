/**
 * A stand-in backend for the chat page's browser test, speaking the backend's API as the page uses it:
 * `GET /v1/models` lists two models, and `POST /v1/chat/completions` streams an answer chosen by the last question
 * (`held N` writes N lines and then waits for the test, see holdAnswer),
 * OpenAI's chunk format, then (for a question about sources) the final chunk with no choices and a `sources` array
 * that lib/answer-sources.ts defines, then `[DONE]`. Served through the real frontend server, so the page, its
 * headers and its proxy are the ones users get.
 */
import * as http from "http";
import { AddressInfo } from "net";
import { join } from "path";
import { AnswerSource, SOURCES_CHUNK_OBJECT } from "../../../lib/answer-sources";
import { createFrontendServer } from "../../../services/frontend/src/server";
import { readSettings } from "../../../services/frontend/src/settings";

export const MODELS = ["small-model", "large-model"];

export const MARKDOWN_ANSWER = [
  "## Scaling the **backend**",
  "",
  "Set *replicas* in `Pulumi.dev.yaml`, then:",
  "",
  "1. run `npm run render`",
  "2. review the ~~plan~~ diff",
  "",
  "| Phase | Pods |",
  "| :--- | ---: |",
  "| mock | 1 |",
  "| local-model | 3 |",
  "",
  "```python",
  "def replicas(load):",
  "    return max(2, load // 100)",
  "```",
  "",
  "See [the docs](https://example.com/docs) or [this](javascript:window.__xss='link').",
].join("\n");

/** Everything a model might repeat from a hostile page: none of it may run or load. */
export const HOSTILE_ANSWER = [
  "Here you go: <img src=x onerror=\"window.__xss='img'\"> and",
  "",
  "<script>window.__xss='script'</script>",
  "",
  "<iframe src=\"javascript:window.__xss='iframe'\"></iframe>",
  "",
  "<a href=\"javascript:window.__xss='a'\">click</a> **still bold**",
  "",
  "![tracker](https://example.com/pixel.png)",
].join("\n");

export const SOURCES: AnswerSource[] = [
  { index: 1, title: "Scaling guide", source: "https://docs.example.com/scaling?x=1", score: 0.91 },
  { index: 2, title: "Runbook", source: "runbooks/on-call.md", score: 0.84 },
  { index: 3, title: "Not a link", source: "javascript:window.__xss='source'", score: 0.5 },
];

/** About `count` tokens of varied Markdown: paragraphs, lists, code, tables; each token is a word or a mark. */
export function longMarkdown(count: number): string[] {
  const section = (n: number) => [
    `\n\n### Part ${n}\n\n`,
    ..."The gateway keeps a pool of connections per upstream and **reuses** them, so a burst of *short* requests does not open new sockets.".split(/(?<= )/),
    "\n\n- first ", "point with `code`\n", "- second ", "point\n", "- third ", "[link](https://example.com)\n\n",
    "```ts\n", "const ", "pool ", "= ", "new ", "Agent({ ", "keepAlive: ", "true ", "});\n", "```\n\n",
    "| a | b |\n", "| - | - |\n", `| ${n} | ${n * 2} |\n\n`,
  ];
  const tokens: string[] = [];
  for (let n = 1; tokens.length < count; n++) tokens.push(...section(n));
  return tokens.slice(0, count);
}

export interface ChatRequest {
  model?: string;
  messages: { role: string; content: string }[];
}

interface Answer {
  tokens: string[];
  /** Milliseconds between writes, and tokens per write. */
  delayMs: number;
  perWrite: number;
  sources?: AnswerSource[];
}

function answerFor(question: string): Answer {
  const words = (text: string) => text.split(/(?<=\s)/);
  if (question.startsWith("markdown")) return { tokens: words(MARKDOWN_ANSWER), delayMs: 5, perWrite: 3 };
  if (question.startsWith("hostile")) return { tokens: words(HOSTILE_ANSWER), delayMs: 5, perWrite: 3 };
  if (question.startsWith("sources")) return { tokens: words("Scale the backend [1] and page the on-call [2]."), delayMs: 5, perWrite: 2, sources: SOURCES };
  const long = /^long (\d+)/.exec(question);
  if (long) return { tokens: longMarkdown(Number(long[1])), delayMs: 2, perWrite: 25 };
  return { tokens: words(`You asked: ${question}`), delayMs: 5, perWrite: 2 };
}

export interface StandIn {
  chatUrl: string;
  requests: ChatRequest[];
  /** Lets every held answer (`held N`) write `lines` more lines, then hold again. */
  more: (lines: number) => void;
  /** Ends every held answer where it is, with `[DONE]`. */
  release: () => void;
  /** When (Date.now()) the last answer's stream was ended by the stand-in. */
  lastEndedAt: () => number;
  close: () => Promise<void>;
}

/** The stand-in backend and the real frontend server in front of it, both on free ports of 127.0.0.1. */
export async function startStandIn(): Promise<StandIn> {
  const requests: ChatRequest[] = [];
  let lastEndedAt = 0;
  const backend = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      if (req.url === "/v1/models") {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ object: "list", data: MODELS.map((id) => ({ id, object: "model", created: 0, owned_by: "stand-in" })) }));
        return;
      }
      const request = JSON.parse(body) as ChatRequest;
      requests.push(request);
      const question = request.messages[request.messages.length - 1].content;
      const held = /^held (\d+)/.exec(question);
      if (held) return holdAnswer(res, Number(held[1]));
      const answer = answerFor(question);
      res.writeHead(200, { "Content-Type": "text/event-stream", "X-Assistant-Provider": "stand-in", "X-Assistant-Fallback": "false" });
      const base = { id: "chatcmpl-stand-in", object: SOURCES_CHUNK_OBJECT, created: 0, model: request.model ?? "small-model" };
      let next = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        const piece = answer.tokens.slice(next, next + answer.perWrite);
        next += answer.perWrite;
        res.write(piece.map((content) => `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`).join(""));
        if (next >= answer.tokens.length) {
          clearInterval(timer);
          if (answer.sources) res.write(`data: ${JSON.stringify({ ...base, choices: [], sources: answer.sources })}\n\n`);
          res.end("data: [DONE]\n\n");
          lastEndedAt = Date.now();
        }
      }, answer.delayMs);
      res.on("close", () => clearInterval(timer));
    });
  });
  /**
   * A held answer writes `lines` lines, then waits, with the stream open, for `more` or `release`: a test can look
   * at an answer that is still streaming however slow the machine is, with no race against its end.
   */
  const heldAnswers = new Set<{ budget: number; release: () => void }>();
  function holdAnswer(res: http.ServerResponse, lines: number) {
    res.writeHead(200, { "Content-Type": "text/event-stream", "X-Assistant-Provider": "stand-in", "X-Assistant-Fallback": "false" });
    let written = 0;
    const chunk = (content: string) => `data: ${JSON.stringify({ id: "chatcmpl-held", object: SOURCES_CHUNK_OBJECT, created: 0, model: "small-model", choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
    const held = {
      budget: lines,
      release: () => {
        clearInterval(timer);
        heldAnswers.delete(held);
        if (!res.destroyed) res.end("data: [DONE]\n\n");
      },
    };
    const timer = setInterval(() => {
      if (held.budget <= 0 || res.destroyed) return;
      held.budget--;
      written++;
      res.write(chunk(`Line ${written} of the answer, held.\n\n`));
    }, 20);
    heldAnswers.add(held);
    res.on("close", () => {
      clearInterval(timer);
      heldAnswers.delete(held);
    });
  }

  await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
  const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  const settings = readSettings({ PORT: "0", HOST: "127.0.0.1", BACKEND_URL: backendUrl, PUBLIC_DIR: join(__dirname, "../../../services/frontend/public") });
  const frontend = createFrontendServer(settings);
  await new Promise<void>((resolve) => frontend.server.listen(0, "127.0.0.1", resolve));
  return {
    chatUrl: `http://127.0.0.1:${(frontend.server.address() as AddressInfo).port}/`,
    requests,
    lastEndedAt: () => lastEndedAt,
    more: (lines) => heldAnswers.forEach((held) => (held.budget += lines)),
    release: () => [...heldAnswers].forEach((held) => held.release()),
    close: async () => {
      await frontend.shutdown(0);
      backend.closeAllConnections();
      await new Promise<void>((resolve) => backend.close(() => resolve()));
    },
  };
}
