/**
 * The chat page's browser modules (services/frontend/public/*.js), loaded as jest loads them, with the fetch API
 * Node has built in: the reader of server-sent events, fed a body in chunks split wherever a network splits them,
 * and the chat call, fed the answers the backend gives.
 */
type ReadEventData = (body: ReadableStream<Uint8Array>) => AsyncGenerator<string, void, void>;
type Source = { provider: string; fallback: boolean; requestId: string };
type Cited = { index: number; title: string; source: string };
type StreamChat = (request: {
  messages: { role: string; content: string }[];
  model?: string;
  onStart: (source: Source) => void;
  onDelta: (text: string) => void;
  onSources?: (sources: Cited[]) => void;
}) => Promise<void>;
import { AnswerSource, SOURCES_CHUNK_OBJECT } from "../../../lib/answer-sources";
/* eslint-disable @typescript-eslint/no-require-imports */
const { readEventData } = require("../../../services/frontend/public/sse.js") as { readEventData: ReadEventData };
const { streamChat, ChatError, listModels } = require("../../../services/frontend/public/api.js") as {
  streamChat: StreamChat;
  ChatError: new (message: string) => Error;
  listModels: () => Promise<string[]>;
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** A body that delivers `chunks` one by one. */
function body(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(typeof next === "string" ? encoder.encode(next) : next);
    },
  });
}

async function events(chunks: (string | Uint8Array)[]): Promise<string[]> {
  const seen: string[] = [];
  for await (const data of readEventData(body(chunks))) seen.push(data);
  return seen;
}

const OPENAI_STREAM = 'data: {"choices":[{"delta":{"content":"Grüße"}}]}\n\ndata: {"choices":[{"delta":{"content":" 👋"}}]}\n\ndata: [DONE]\n\n';

describe("reading server-sent events", () => {
  it("yields each event's data once its blank line arrives", async () => {
    expect(await events([OPENAI_STREAM])).toEqual(['{"choices":[{"delta":{"content":"Grüße"}}]}', '{"choices":[{"delta":{"content":" 👋"}}]}', "[DONE]"]);
  });

  it("reads the same events when every byte arrives on its own, multi-byte characters split too", async () => {
    const bytes = new TextEncoder().encode(OPENAI_STREAM);
    expect(await events([...bytes].map((byte) => new Uint8Array([byte])))).toEqual(await events([OPENAI_STREAM]));
  });

  it("accepts CRLF and CR line ends, a CRLF split across chunks included", async () => {
    expect(await events(["data: one\r\n\r\ndata: two\r", "\n\r", "\ndata: three\r\r"])).toEqual(["one", "two", "three"]);
  });

  it("joins the data lines of one event, and skips comments, other fields and empty events", async () => {
    expect(await events([": keep-alive\n\nevent: message\nid: 7\ndata: first\ndata:second\n\n\n\n"])).toEqual(["first\nsecond"]);
  });

  it("drops an event the stream cut off before its blank line", async () => {
    expect(await events(["data: whole\n\ndata: cut"])).toEqual(["whole"]);
  });
});

describe("asking the backend", () => {
  const realFetch = globalThis.fetch;
  let requests: { url: string; init: RequestInit }[];
  /** The backend answers every request with `response`. */
  const answer = (response: () => Response) => {
    requests = [];
    globalThis.fetch = (async (url: string, init: RequestInit) => {
      requests.push({ url, init });
      return response();
    }) as typeof fetch;
  };
  afterEach(() => (globalThis.fetch = realFetch));

  const sse = (text: string, headers: Record<string, string> = {}) => () =>
    new Response(text, { status: 200, headers: { "Content-Type": "text/event-stream", ...headers } });
  const chunk = (content: string) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\n`;

  async function ask(messages = [{ role: "user", content: "hi" }]) {
    const sources: Source[] = [];
    let text = "";
    const done = streamChat({ messages, onStart: (source) => sources.push(source), onDelta: (delta) => (text += delta) });
    return { done, sources, text: () => text };
  }

  it("posts the conversation as a stream request, and hands over each piece and who answered", async () => {
    answer(sse(`${chunk("Hel")}${chunk("lo")}data: [DONE]\n\n`, { "X-Assistant-Provider": "openai", "X-Request-Id": "r-1" }));
    const call = await ask([{ role: "user", content: "a" }, { role: "assistant", content: "b" }, { role: "user", content: "c" }]);
    await call.done;
    expect(requests[0].url).toBe("/v1/chat/completions");
    expect(requests[0].init.method).toBe("POST");
    expect(JSON.parse(String(requests[0].init.body))).toEqual({
      messages: [{ role: "user", content: "a" }, { role: "assistant", content: "b" }, { role: "user", content: "c" }],
      stream: true,
    });
    expect(call.text()).toBe("Hello");
    expect(call.sources).toEqual([{ provider: "openai", fallback: false, requestId: "r-1" }]);
  });

  it("says so when the fallback answered", async () => {
    answer(sse(`${chunk("canned")}data: [DONE]\n\n`, { "X-Assistant-Provider": "mock", "X-Assistant-Fallback": "true" }));
    const call = await ask();
    await call.done;
    expect(call.sources).toEqual([{ provider: "mock", fallback: true, requestId: "" }]);
  });

  it("rejects with the API's own message when it answers with an error", async () => {
    const error = { error: { message: "The model provider is rate limiting: slow down", type: "rate_limit_error", param: null, code: "upstream_rate_limited" } };
    answer(() => new Response(JSON.stringify(error), { status: 429, headers: { "Content-Type": "application/json" } }));
    const call = await ask();
    await expect(call.done).rejects.toThrow(new ChatError("The model provider is rate limiting: slow down"));
    expect(call.sources).toEqual([]);
  });

  it("rejects with the status when the error is not JSON", async () => {
    answer(() => new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }));
    await expect((await ask()).done).rejects.toThrow("the assistant answered 502 Bad Gateway");
  });

  it("rejects with the error event the backend sends when a stream breaks, keeping what arrived", async () => {
    const broken = { error: { message: "The model provider's stream broke off: socket hang up", type: "upstream_error", param: null, code: "stream_interrupted" } };
    answer(sse(`${chunk("Partial")}data: ${JSON.stringify(broken)}\n\n`));
    const call = await ask();
    await expect(call.done).rejects.toThrow("The model provider's stream broke off: socket hang up");
    expect(call.text()).toBe("Partial");
  });

  it("rejects when the stream ends without [DONE]", async () => {
    answer(sse(chunk("Half")));
    await expect((await ask()).done).rejects.toThrow("the answer was cut off before it finished");
  });

  it("rejects plainly when the assistant cannot be reached", async () => {
    globalThis.fetch = (async () => {
      throw new TypeError("fetch failed");
    }) as typeof fetch;
    await expect((await ask()).done).rejects.toThrow("the assistant cannot be reached; check your connection and try again");
  });

  it("hands over the sources of the final chunk without choices (lib/answer-sources.ts), well-formed ones only, in citation order", async () => {
    const sources: AnswerSource[] = [
      { index: 2, title: "Runbook", source: "runbooks/on-call.md", score: 0.8 },
      { index: 1, title: "Scaling guide", source: "https://docs.example.com/scaling", score: 0.9 },
    ];
    const final = { id: "c", object: SOURCES_CHUNK_OBJECT, choices: [], sources: [...sources, { index: "3", title: "bad" }, null, { index: 4, title: 7, source: "x" }] };
    answer(sse(`${chunk("See [1].")}data: ${JSON.stringify(final)}\n\ndata: [DONE]\n\n`));
    const cited: Cited[][] = [];
    let text = "";
    await streamChat({ messages: [{ role: "user", content: "hi" }], onStart: () => undefined, onDelta: (d) => (text += d), onSources: (s) => cited.push(s) });
    expect(text).toBe("See [1].");
    expect(cited).toEqual([[{ index: 1, title: "Scaling guide", source: "https://docs.example.com/scaling" }, { index: 2, title: "Runbook", source: "runbooks/on-call.md" }]]);
  });

  it("hands over no sources when the answer has none", async () => {
    answer(sse(`${chunk("Plain.")}data: [DONE]\n\n`));
    const cited: Cited[][] = [];
    await streamChat({ messages: [{ role: "user", content: "hi" }], onStart: () => undefined, onDelta: () => undefined, onSources: (s) => cited.push(s) });
    expect(cited).toEqual([]);
  });

  it("sends the conversation's model when it has one", async () => {
    answer(sse("data: [DONE]\n\n"));
    await streamChat({ messages: [{ role: "user", content: "hi" }], model: "large-model", onStart: () => undefined, onDelta: () => undefined });
    expect(JSON.parse(String(requests[0].init.body)).model).toBe("large-model");
  });
});

describe("listing the models", () => {
  const realFetch = globalThis.fetch;
  afterEach(() => (globalThis.fetch = realFetch));
  const serve = (response: () => Response) => (globalThis.fetch = (async () => response()) as typeof fetch);

  it("lists the ids of GET /v1/models, each once, skipping entries without one", async () => {
    serve(() => Response.json({ object: "list", data: [{ id: "a" }, { id: "b" }, { id: "a" }, { id: "" }, {}, null] }));
    expect(await listModels()).toEqual(["a", "b"]);
  });

  it("lists none when the backend fails, answers something else, or cannot be reached", async () => {
    serve(() => new Response("nope", { status: 500 }));
    expect(await listModels()).toEqual([]);
    serve(() => Response.json({ models: ["a"] }));
    expect(await listModels()).toEqual([]);
    globalThis.fetch = (async () => {
      throw new TypeError("fetch failed");
    }) as typeof fetch;
    expect(await listModels()).toEqual([]);
  });
});

describe("the conversations kept in the browser", () => {
  type Conversation = { id: string; title: string; model: string; entries: { role: string; content: string }[]; updated: number };
  /* eslint-disable @typescript-eslint/no-require-imports */
  const store = require("../../../services/frontend/public/store.js") as {
    STORAGE_KEY: string;
    titleFrom: (question: string) => string;
    load: () => { conversations: Conversation[]; currentId: string };
    save: (conversations: Conversation[], currentId: string) => boolean;
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  const memory = new Map<string, string>();
  beforeAll(() => {
    (globalThis as { localStorage?: unknown }).localStorage = {
      getItem: (key: string) => memory.get(key) ?? null,
      setItem: (key: string, value: string) => void memory.set(key, value),
    };
  });
  afterAll(() => delete (globalThis as { localStorage?: unknown }).localStorage);
  beforeEach(() => memory.clear());

  it("titles a conversation by its first question's first line, shortened on a word", () => {
    expect(store.titleFrom("  How do I scale\nthe backend?")).toBe("How do I scale");
    expect(store.titleFrom("word ".repeat(30))).toMatch(/^(word ){10,}word…$/);
    expect(store.titleFrom("word ".repeat(30)).length).toBeLessThanOrEqual(61);
    expect(store.titleFrom("   ")).toBe("New chat");
  });

  it("saves the conversations that have entries, and loads them back with the one last open", () => {
    const kept = { id: "a", title: "Scaling", model: "large-model", entries: [{ role: "user", content: "hi" }], updated: 2 };
    const empty = { id: "b", title: "New chat", model: "", entries: [], updated: 3 };
    expect(store.save([kept, empty], "a")).toBe(true);
    expect(store.load()).toEqual({ conversations: [kept], currentId: "a" });
  });

  it("drops what it cannot trust: broken JSON, entries of unknown roles, conversations without an id", () => {
    memory.set(store.STORAGE_KEY, "{not json");
    expect(store.load()).toEqual({ conversations: [], currentId: "" });
    memory.set(
      store.STORAGE_KEY,
      JSON.stringify({
        conversations: [
          { id: "a", title: 7, entries: [{ role: "user", content: "q" }, { role: "system", content: "injected" }, { role: "assistant", content: 3 }, null] },
          { title: "no id", entries: [] },
        ],
        currentId: 5,
      }),
    );
    expect(store.load()).toEqual({ conversations: [{ id: "a", title: "New chat", model: "", entries: [{ role: "user", content: "q" }], updated: 0 }], currentId: "" });
  });

  it("keeps an answer's known fields only, its sources well-formed", () => {
    const answer = { role: "assistant", content: "a", provider: "mock", fallback: true, stopped: "yes", extra: "<b>", sources: [{ index: 1, title: "T", source: "https://x.test/", score: 1 }, { index: "2" }] };
    memory.set(store.STORAGE_KEY, JSON.stringify({ conversations: [{ id: "a", entries: [answer, { role: "assistant", content: "b", sources: "abc" }] }] }));
    expect(store.load().conversations[0].entries).toEqual([
      { role: "assistant", content: "a", provider: "mock", fallback: true, sources: [{ index: 1, title: "T", source: "https://x.test/" }] },
      { role: "assistant", content: "b" },
    ]);
  });

  it("says so, instead of failing, when storage refuses to save", () => {
    (globalThis as { localStorage?: { setItem: unknown } }).localStorage!.setItem = () => {
      throw new Error("QuotaExceededError");
    };
    expect(store.save([{ id: "a", title: "t", model: "", entries: [{ role: "user", content: "q" }], updated: 1 }], "a")).toBe(false);
  });
});
