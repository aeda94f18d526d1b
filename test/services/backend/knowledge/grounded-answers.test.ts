/**
 * Chat answers grounded in the knowledge base, against a real Postgres with pgvector: the upstream receives the
 * retrieved passages with numbered markers and the instruction to cite, the client receives the sources (JSON field,
 * or the last streamed chunk before [DONE]), the semantic cache answers a question asked again without calling the
 * model, and a retrieval failure answers without sources and is counted, never failing the request.
 */
import { SOURCES_CHUNK_OBJECT } from "../../../../lib/answer-sources";
import { CITE_INSTRUCTION, GROUNDING_HEADER } from "../../../../services/backend/src/knowledge/grounding";
import { json, metricValue, postChat, RunningBackend, sseData, startBackend, streamedText } from "../support/backend";
import { admin, ADMIN_KEY, CORPUS, startEmbeddingsStandIn } from "../support/knowledge";
import { startTestDatabase, TestDatabase } from "../support/pglite";
import { answerText, StandIn, startStandIn } from "../support/stand-ins";

const RESTORE_QUESTION = "How do I restore the knowledge database from a backup?";
const ask = (content: string, extra: Record<string, unknown> = {}) => ({ messages: [{ role: "user", content }], ...extra });
const RETRIEVALS = "ai_assistant_knowledge_retrievals_total";

let db: TestDatabase;
let upstream: StandIn;
beforeAll(async () => {
  [db, upstream] = await Promise.all([startTestDatabase(), startStandIn("openai")]);
}, 60_000);
afterAll(async () => {
  await upstream?.close();
  await db?.close();
});

const knowledgeEnv = (extra: Record<string, string> = {}) => ({
  KNOWLEDGE_ENABLED: "true",
  KNOWLEDGE_DATABASE_URL: db.url,
  KNOWLEDGE_DATABASE_POOL: "1",
  KNOWLEDGE_ADMIN_KEY: ADMIN_KEY,
  ...extra,
});
const hosted = { LLM_PROVIDER: "openai", LLM_BASE_URL: "", LLM_MODEL: "gpt-4o-mini", LLM_API_KEY: "sk-test", LLM_MODEL_ENDPOINTS: "" };

describe("given a gateway in front of a hosted API, with knowledge on and documents added", () => {
  let gateway: RunningBackend;
  beforeAll(async () => {
    gateway = await startBackend({ ...hosted, LLM_BASE_URL: upstream.baseUrl, ...knowledgeEnv() });
    for (const doc of Object.values(CORPUS)) expect((await admin(gateway.url).add(doc)).status).toBeLessThan(300);
  }, 60_000);
  afterAll(async () => gateway?.close());

  it("when a question matches a document, then the model receives its passages numbered before the question, and the answer carries the sources", async () => {
    upstream.received.length = 0;
    const response = await postChat(gateway.url, ask(RESTORE_QUESTION));
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.choices[0].message.content).toBe(answerText("openai"));
    expect(body.sources[0]).toEqual({ index: 1, title: "Database backups", source: "runbooks/backups.md", score: expect.any(Number) });
    expect(body.sources.map((s: { index: number }) => s.index)).toEqual(body.sources.map((_: unknown, i: number) => i + 1));
    expect(response.headers.get("x-assistant-cache")).toBeNull();

    const sent = upstream.received[0].body.messages as { role: string; content: string }[];
    expect(sent.map((m) => m.role)).toEqual(["system", "user"]);
    expect(sent[0].content.startsWith(GROUNDING_HEADER)).toBe(true);
    expect(sent[0].content).toContain("[1] Database backups (runbooks/backups.md)\n");
    expect(sent[0].content).toContain("knowledge.restore.from");
    expect(sent[0].content).toContain(CITE_INSTRUCTION);
    expect(sent[1]).toEqual({ role: "user", content: RESTORE_QUESTION });
    expect(await metricValue(gateway.url, RETRIEVALS, { outcome: "hit" })).toBe(1);
    const scraped = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(Number(/^ai_assistant_knowledge_retrieval_duration_seconds_count (\d+)$/m.exec(scraped)?.[1])).toBeGreaterThanOrEqual(1);
  });

  it("when the answer is streamed, then the last chunk before [DONE] has no choices and carries the sources, after the usage chunk", async () => {
    const response = await postChat(gateway.url, ask(RESTORE_QUESTION, { stream: true, stream_options: { include_usage: true } }));
    const events = await sseData(response);
    expect(streamedText(events)).toBe(answerText("openai"));
    expect(events[events.length - 1]).toBe("[DONE]");
    const last = events[events.length - 2] as Record<string, unknown>;
    expect(last).toMatchObject({ object: SOURCES_CHUNK_OBJECT, choices: [], sources: [{ index: 1, title: "Database backups", source: "runbooks/backups.md" }] });
    expect((events[events.length - 3] as { usage?: unknown }).usage).toMatchObject({ total_tokens: expect.any(Number) });
    // Only that one chunk carries sources.
    expect(events.filter((e) => typeof e === "object" && "sources" in (e as object))).toHaveLength(1);
  });

  it("when an earlier turn is in the conversation, then the passages go just before the last question", async () => {
    upstream.received.length = 0;
    const conversation = { messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "hi" }, { role: "assistant", content: "hello" }, { role: "user", content: "How many vacation days do employees get?" }] };
    const body = await json(await postChat(gateway.url, conversation));
    expect(body.sources[0].source).toBe("policies/vacation.txt");
    const sent = upstream.received[0].body.messages as { role: string; content: string }[];
    expect(sent.map((m) => m.role)).toEqual(["system", "user", "assistant", "system", "user"]);
    expect(sent[3].content).toContain("[1] vacation.txt (policies/vacation.txt)");
  });

  it("when no document is close to the question, then the request goes as it came and the answer has no sources field", async () => {
    upstream.received.length = 0;
    const missesBefore = await metricValue(gateway.url, RETRIEVALS, { outcome: "miss" });
    const body = await json(await postChat(gateway.url, ask("Write a haiku about zebras")));
    expect("sources" in body).toBe(false);
    expect(upstream.received[0].body.messages).toEqual([{ role: "user", content: "Write a haiku about zebras" }]);
    expect(await metricValue(gateway.url, RETRIEVALS, { outcome: "miss" })).toBe(missesBefore + 1);
    const events = await sseData(await postChat(gateway.url, ask("Write a haiku about zebras", { stream: true })));
    expect(events.some((e) => typeof e === "object" && "sources" in (e as object))).toBe(false);
  });

  it("when the semantic cache is not configured (the default), then the same question asked twice calls the model twice", async () => {
    upstream.received.length = 0;
    const first = await postChat(gateway.url, ask(RESTORE_QUESTION));
    const second = await postChat(gateway.url, ask(RESTORE_QUESTION));
    expect([first.headers.get("x-assistant-cache"), second.headers.get("x-assistant-cache")]).toEqual([null, null]);
    expect(upstream.received).toHaveLength(2);
  });
});

describe("given the mock phase with knowledge on (no keys, no model)", () => {
  let gateway: RunningBackend;
  beforeAll(async () => {
    gateway = await startBackend({ LLM_PROVIDER: "mock", ...knowledgeEnv() });
  }, 60_000);
  afterAll(async () => gateway?.close());

  it("when a question matches a document, then the mock answers from it and cites [1], with the source", async () => {
    const body = await json(await postChat(gateway.url, ask(RESTORE_QUESTION)));
    expect(body.choices[0].message.content).toMatch(/^From the team's documents \(mock answer\): .*backed up to S3.* \[1\]$/);
    expect(body.sources[0]).toMatchObject({ index: 1, source: "runbooks/backups.md" });
  });
});

describe("given the exact response cache on, with knowledge", () => {
  let gateway: RunningBackend;
  beforeAll(async () => {
    gateway = await startBackend({ ...hosted, LLM_BASE_URL: upstream.baseUrl, ...knowledgeEnv(), CACHE_MODE: "all" });
    for (const doc of Object.values(CORPUS)) expect((await admin(gateway.url).add(doc)).status).toBeLessThan(300);
  }, 60_000);
  afterAll(async () => gateway?.close());

  it("when a grounded answer is asked for again, then the cached answer comes back with the same sources, as JSON and as a stream", async () => {
    const question = ask("Where do the knowledge database backups go, and how do I restore one?", { temperature: 0 });
    const first = await postChat(gateway.url, question);
    const live = await json(first);
    expect(first.headers.get("x-assistant-cache")).toBe("miss");
    expect(live.sources[0]).toMatchObject({ index: 1, source: "runbooks/backups.md" });

    upstream.received.length = 0;
    const again = await postChat(gateway.url, question);
    expect(again.headers.get("x-assistant-cache")).toBe("hit");
    const cached = await json(again);
    expect(cached.choices[0].message.content).toBe(live.choices[0].message.content);
    expect(cached.sources).toEqual(live.sources);

    const streamed = await postChat(gateway.url, { ...question, stream: true, stream_options: { include_usage: true } });
    expect(streamed.headers.get("x-assistant-cache")).toBe("hit");
    const events = await sseData(streamed);
    expect(events[events.length - 1]).toBe("[DONE]");
    expect(events[events.length - 2]).toMatchObject({ object: SOURCES_CHUNK_OBJECT, choices: [], sources: live.sources });
    expect(events.filter((e) => typeof e === "object" && "sources" in (e as object))).toHaveLength(1);
    // Neither replay called the model.
    expect(upstream.received).toHaveLength(0);
  });

  it("when an ungrounded answer is cached, then its replay has no sources field", async () => {
    const question = ask("Write a limerick about otters", { temperature: 0 });
    await json(await postChat(gateway.url, question));
    const again = await postChat(gateway.url, question);
    expect(again.headers.get("x-assistant-cache")).toBe("hit");
    expect("sources" in (await json(again))).toBe(false);
  });
});

describe("given the semantic cache on, with a distance and a TTL", () => {
  let gateway: RunningBackend;
  const twoModels = JSON.stringify({ "gpt-4o-mini": "", "gpt-4o": "" });
  beforeAll(async () => {
    const endpoints = twoModels.replace(/""/g, JSON.stringify(upstream.baseUrl));
    gateway = await startBackend({ ...hosted, LLM_BASE_URL: upstream.baseUrl, LLM_MODEL_ENDPOINTS: endpoints, ...knowledgeEnv({ SEMANTIC_CACHE_ENABLED: "true", SEMANTIC_CACHE_MAX_DISTANCE: "0.1", SEMANTIC_CACHE_TTL_SECONDS: "2" }) });
    // The corpus, whether or not the groups above ran (re-adding is a no-op).
    for (const doc of Object.values(CORPUS)) expect((await admin(gateway.url).add(doc)).status).toBeLessThan(300);
  }, 60_000);
  afterAll(async () => gateway?.close());

  it("when a question close in meaning to an answered one comes, then the earlier answer and sources come back without a model call", async () => {
    upstream.received.length = 0;
    const first = await postChat(gateway.url, ask(RESTORE_QUESTION));
    const firstBody = await json(first);
    expect(first.headers.get("x-assistant-cache")).toBeNull();
    // Close in meaning: the same words, rephrased punctuation and case.
    const again = await postChat(gateway.url, ask("how do I restore the knowledge database from a backup"));
    expect(again.headers.get("x-assistant-cache")).toBe("semantic-hit");
    const againBody = await json(again);
    // One outcome per request: a semantic hit is `cached`, like an exact-cache hit (no model called).
    const hitLogs = gateway.logs.filter((l) => l.msg === "request" && l.cache === "semantic-hit");
    expect(hitLogs.map((l) => l.outcome)).toEqual(["cached"]);
    expect(againBody.choices[0].message.content).toBe(firstBody.choices[0].message.content);
    expect(againBody.sources).toEqual(firstBody.sources);
    expect(upstream.received).toHaveLength(1);

    const streamed = await postChat(gateway.url, ask(RESTORE_QUESTION, { stream: true }));
    expect(streamed.headers.get("x-assistant-cache")).toBe("semantic-hit");
    const events = await sseData(streamed);
    expect(streamedText(events)).toBe(answerText("openai"));
    expect(events[events.length - 2]).toMatchObject({ choices: [], sources: firstBody.sources });
    expect(upstream.received).toHaveLength(1);
    expect(await metricValue(gateway.url, "ai_assistant_semantic_cache_requests_total", { result: "hit" })).toBe(2);
  });

  it("when the question differs in meaning, or asks another model, or follows earlier turns, then the model answers", async () => {
    upstream.received.length = 0;
    expect((await postChat(gateway.url, ask("How many vacation days do employees get?"))).headers.get("x-assistant-cache")).toBeNull();
    expect((await postChat(gateway.url, ask(RESTORE_QUESTION, { model: "gpt-4o" }))).headers.get("x-assistant-cache")).toBeNull();
    const followUp = { messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "hello" }, { role: "user", content: RESTORE_QUESTION }] };
    expect((await postChat(gateway.url, followUp)).headers.get("x-assistant-cache")).toBeNull();
    expect(upstream.received).toHaveLength(3);
  });

  it("when a document is added or removed, then earlier answers are no longer reused (they may rest on old passages)", async () => {
    const question = ask("How many vacation days do employees get?");
    await postChat(gateway.url, question);
    expect((await postChat(gateway.url, question)).headers.get("x-assistant-cache")).toBe("semantic-hit");
    expect((await admin(gateway.url).add({ source: "policies/sabbatical.md", content: "# Sabbatical\n\nA sabbatical of three months is granted after five years." })).status).toBe(201);
    expect((await postChat(gateway.url, question)).headers.get("x-assistant-cache")).toBeNull();
    expect((await postChat(gateway.url, question)).headers.get("x-assistant-cache")).toBe("semantic-hit");
    expect((await admin(gateway.url).remove("policies/sabbatical.md")).status).toBe(200);
    expect((await postChat(gateway.url, question)).headers.get("x-assistant-cache")).toBeNull();
  });

  it("when the TTL has passed, then the cached answer is not used", async () => {
    await postChat(gateway.url, ask("Who does the pager escalate to?"));
    await new Promise((resolve) => setTimeout(resolve, 2200));
    upstream.received.length = 0;
    expect((await postChat(gateway.url, ask("Who does the pager escalate to?"))).headers.get("x-assistant-cache")).toBeNull();
    expect(upstream.received).toHaveLength(1);
  });
});

describe("given a gateway whose embeddings server is slower than the retrieval deadline", () => {
  it("then the question is answered without sources once the deadline passes, and the lookup counts as failed", async () => {
    const slow = await startEmbeddingsStandIn(384);
    const gateway = await startBackend({
      ...hosted,
      LLM_BASE_URL: upstream.baseUrl,
      ...knowledgeEnv({ EMBEDDINGS_BASE_URL: slow.baseUrl, EMBEDDINGS_MODEL: "slow-embedder", KNOWLEDGE_TIMEOUT_MS: "300" }),
    });
    try {
      slow.delayMs = 5000;
      upstream.received.length = 0;
      const began = Date.now();
      const body = await json(await postChat(gateway.url, ask(RESTORE_QUESTION)));
      expect(Date.now() - began).toBeLessThan(3000);
      expect(body.choices[0].message.content).toBe(answerText("openai"));
      expect("sources" in body).toBe(false);
      expect(upstream.received[0].body.messages).toEqual([{ role: "user", content: RESTORE_QUESTION }]);
      expect(await metricValue(gateway.url, RETRIEVALS, { outcome: "failed" })).toBe(1);
    } finally {
      await gateway.close();
      await slow.close();
    }
  }, 30_000);
});

describe("given a gateway with knowledge on, when the database goes away", () => {
  let gateway: RunningBackend;
  beforeAll(async () => {
    gateway = await startBackend({ ...hosted, LLM_BASE_URL: upstream.baseUrl, ...knowledgeEnv({ SEMANTIC_CACHE_ENABLED: "true" }) });
    await db.close();
  }, 60_000);
  afterAll(async () => gateway?.close());

  it("then chat still answers, without sources, and the failure is counted and logged; the admin API answers 5xx", async () => {
    upstream.received.length = 0;
    const response = await postChat(gateway.url, ask(RESTORE_QUESTION));
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.choices[0].message.content).toBe(answerText("openai"));
    expect("sources" in body).toBe(false);
    expect(upstream.received[0].body.messages).toEqual([{ role: "user", content: RESTORE_QUESTION }]);
    expect(await metricValue(gateway.url, RETRIEVALS, { outcome: "failed" })).toBe(1);
    expect(gateway.logs.some((l) => l.msg === "knowledge retrieval failed; answering without sources")).toBe(true);
    const streamed = await postChat(gateway.url, ask(RESTORE_QUESTION, { stream: true }));
    expect(streamedText(await sseData(streamed))).toBe(answerText("openai"));
    expect((await admin(gateway.url).list()).status).toBeGreaterThanOrEqual(500);
  });
});
