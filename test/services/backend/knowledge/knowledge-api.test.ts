/**
 * The ingestion API against a real Postgres with pgvector (PGlite over the wire, the backend's own `pg` driver):
 * documents of every type go in, come back in searches ranked by meaning, re-adding is a no-op, deleting removes
 * every passage, bad documents get a 4xx that says why, and nothing is ever half-stored.
 */
import { Pool } from "pg";
import { json, RunningBackend, startBackend } from "../support/backend";
import { admin, ADMIN_KEY, CORPUS, EmbeddingsStandIn, startEmbeddingsStandIn } from "../support/knowledge";
import { makePdf } from "../support/pdf";
import { startTestDatabase, TestDatabase } from "../support/pglite";
import { KnowledgeStore } from "../../../../services/backend/src/knowledge/store";

const deployPdf = makePdf(["Deployment process. Releases are deployed on Tuesdays through the promote command, after the staging canary stays healthy for one hour."], "Deploying releases");

// One database for the file (PGlite takes seconds to start); each group starts from empty tables.
let db: TestDatabase;
beforeAll(async () => {
  db = await startTestDatabase();
}, 60_000);
afterAll(async () => db?.close());

async function emptyTables(): Promise<void> {
  const pool = new Pool({ connectionString: db.url, max: 1 });
  await pool.query("DROP TABLE IF EXISTS knowledge_chunks, knowledge_documents, semantic_cache");
  await pool.end();
}

describe("given a backend with the knowledge base on, in the mock phase", () => {
  let gateway: RunningBackend;
  let api: ReturnType<typeof admin>;
  beforeAll(async () => {
    await emptyTables();
    gateway = await startBackend({ LLM_PROVIDER: "mock", KNOWLEDGE_ENABLED: "true", KNOWLEDGE_DATABASE_URL: db.url, KNOWLEDGE_DATABASE_POOL: "1", KNOWLEDGE_ADMIN_KEY: ADMIN_KEY, KNOWLEDGE_CHUNK_CHARS: "200", KNOWLEDGE_CHUNK_OVERLAP: "40" });
    api = admin(gateway.url);
  }, 60_000);
  afterAll(async () => gateway?.close());

  it("when documents of each type are added, then each is stored once with its title, checksum and passages", async () => {
    const added = [
      await api.add(CORPUS.backups),
      await api.add(CORPUS.oncall),
      await api.add({ ...CORPUS.vacation, title: "Vacation policy" }),
      await api.add({ source: "deploy.pdf", content_base64: deployPdf.toString("base64") }),
    ];
    expect(added.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    const bodies = await Promise.all(added.map(json));
    expect(bodies.map((b) => [b.status, b.title, b.content_type ?? b.contentType])).toEqual([
      ["created", "Database backups", "text/markdown"],
      ["created", "On-call escalation", "text/html"],
      ["created", "Vacation policy", "text/plain"],
      ["created", "Deploying releases", "application/pdf"],
    ]);
    expect(bodies[0].checksum).toMatch(/^[0-9a-f]{64}$/);
    // 200-character passages: the backups runbook is split in several.
    expect(bodies[0].chunks).toBeGreaterThan(1);
    const listed = await json(await api.list());
    expect(listed.data.map((d: { source: string }) => d.source)).toEqual(["deploy.pdf", "https://wiki.example.com/oncall.html", "policies/vacation.txt", "runbooks/backups.md"]);
  });

  it.each([
    ["how do I restore the database from a backup in S3?", "runbooks/backups.md"],
    ["who does the pager escalate to?", "https://wiki.example.com/oncall.html"],
    ["how many vacation days do employees get?", "policies/vacation.txt"],
    ["on which day are releases deployed?", "deploy.pdf"],
  ])("when the question is %j, then the nearest passage is from %s", async (query, source) => {
    const found = await json(await api.search(query));
    expect(found.data[0]).toMatchObject({ source, content: expect.any(String), score: expect.any(Number) });
    expect(found.data[0].score).toBeGreaterThan(0.3);
  });

  it("when a question shares no words with any document, then nothing is above the threshold", async () => {
    const found = await json(await api.search("zebra quantum marmalade"));
    expect(found.data).toEqual([]);
  });

  it("when an unchanged document is added again, then nothing is written; when it changed, its passages are replaced", async () => {
    const before = await json(await api.list());
    const again = await api.add(CORPUS.backups);
    expect(again.status).toBe(200);
    const same = await json(again);
    const original = before.data.find((d: { source: string }) => d.source === CORPUS.backups.source);
    expect([same.status, same.id, same.addedAt]).toEqual(["unchanged", original.id, original.addedAt]);

    const changed = await json(await api.add({ ...CORPUS.vacation, content: `${CORPUS.vacation.content} Sabbaticals are granted after five years.` }));
    expect(changed.status).toBe("replaced");
    const found = await json(await api.search("are sabbaticals granted after five years?"));
    expect(found.data[0].source).toBe("policies/vacation.txt");
    expect(found.data[0].content).toContain("Sabbaticals");
    // The old version's passages are gone: every vacation passage belongs to the new document.
    const vacation = (await json(await api.search("vacation days sabbaticals", { top_k: 20, min_score: 0 }))).data.filter((p: { source: string }) => p.source === "policies/vacation.txt");
    expect(new Set(vacation.map((p: { documentId: string }) => p.documentId))).toEqual(new Set([changed.id]));
  });

  it("when a document is removed, by source or id, then its passages are no longer found, and removing it again is a 404", async () => {
    const removed = await api.remove("https://wiki.example.com/oncall.html");
    expect(removed.status).toBe(200);
    expect((await json(removed)).deleted).toBe(true);
    const found = await json(await api.search("who does the pager escalate to?", { min_score: 0, top_k: 20 }));
    expect(found.data.some((p: { source: string }) => p.source.includes("oncall"))).toBe(false);
    const again = await api.remove("https://wiki.example.com/oncall.html");
    expect([again.status, (await json(again)).error.code]).toEqual([404, "document_not_found"]);
    const pdf = (await json(await api.list())).data.find((d: { source: string }) => d.source === "deploy.pdf");
    expect((await api.remove(pdf.id)).status).toBe(200);
  });

  it.each([
    ["no key", undefined, 401, "invalid_admin_key"],
    ["a wrong key", "not-the-admin-key-at-all", 401, "invalid_admin_key"],
  ])("when the admin API is called with %s, then it is refused with 401 and nothing is read", async (_, key, status, code) => {
    const response = await fetch(`${gateway.url}/v1/knowledge/documents`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    expect([response.status, (await json(response)).error.code, response.headers.get("www-authenticate")]).toEqual([status, code, "Bearer"]);
  });

  it.each([
    ["an unsupported type", { source: "slides.pptx", content_base64: "AAAA" }, 415, "unsupported_document_type"],
    ["a type given explicitly that is unsupported", { source: "x", content_type: "image/png", content: "x" }, 415, "unsupported_document_type"],
    ["a malformed PDF", { source: "broken.pdf", content_base64: Buffer.from("%PDF-1.4 garbage").toString("base64") }, 422, "unreadable_document"],
    ["no content", { source: "empty.md" }, 400, "invalid_request"],
    ["no source", { content: "text" }, 400, "invalid_request"],
    ["an empty document", { source: "blank.md", content: "  \n" }, 422, "unreadable_document"],
  ])("when a document has %s, then it gets a clear 4xx and nothing is stored", async (_, body, status, code) => {
    const before = (await json(await api.list())).data.length;
    const response = await api.add(body);
    const { error } = await json(response);
    expect([response.status, error.code]).toEqual([status, code]);
    expect(error.message).toEqual(expect.any(String));
    expect((await json(await api.list())).data.length).toBe(before);
  });

  it("when a document is over the size cap, then it is refused with 413", async () => {
    const response = await api.add({ source: "huge.txt", content: "word ".repeat(3 * 1024 * 1024) });
    expect(response.status).toBe(413);
  });

  it("when the chat routes are used, then the knowledge routes did not change them and the routes are counted by template", async () => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(text).toMatch(/ai_assistant_requests_total\{route="\/v1\/knowledge\/documents",status="201",outcome="ok"\} 4/);
    expect(text).toMatch(/ai_assistant_requests_total\{route="\/v1\/knowledge\/documents",status="200",outcome="ok"\}/);
  });
});

describe("given a real Postgres, when a document's passages fail to store part-way", () => {
  beforeAll(emptyTables);

  it("then the transaction rolls back: the earlier version and its passages stay as they were", async () => {
    const store = new KnowledgeStore(db.url, 1, 3, () => undefined);
    try {
      await store.migrate();
      const doc = { source: "a.md", title: "A", contentType: "text/markdown", checksum: "one", bytes: 3 };
      const first = await store.putDocument(doc, ["alpha"], [[1, 0, 0]]);
      // 150 passages (two INSERT slices); the last one's vector has the wrong size, so the second slice fails.
      const passages = Array.from({ length: 150 }, (_, i) => `passage ${i}`);
      const vectors = passages.map((_, i) => (i === 149 ? [1, 0] : [0, 1, 0]));
      await expect(store.putDocument({ ...doc, checksum: "two" }, passages, vectors)).rejects.toThrow(/dimensions/);
      expect((await store.listDocuments()).map((d) => [d.id, d.checksum, d.chunks])).toEqual([[first.id, "one", 1]]);
      const pool = new Pool({ connectionString: db.url, max: 1 });
      expect((await pool.query("SELECT content FROM knowledge_chunks")).rows).toEqual([{ content: "alpha" }]);
      await pool.end();
    } finally {
      await store.close();
    }
  });

  it("then a database made for other vector sizes is refused at start with a message naming the setting", async () => {
    const store = new KnowledgeStore(db.url, 1, 8, () => undefined);
    await expect(store.migrate()).rejects.toThrow(/vector\(3\).*vector\(8\).*EMBEDDINGS_DIMENSIONS/);
    await store.close();
  });
});

describe("given embeddings from the provider's OpenAI-compatible /v1/embeddings", () => {
  let embeddings: EmbeddingsStandIn;
  let gateway: RunningBackend;
  beforeAll(async () => {
    await emptyTables();
    embeddings = await startEmbeddingsStandIn(64);
    gateway = await startBackend({
      LLM_PROVIDER: "openai",
      // The provider's own server answers embeddings (the stand-in serves /v1/embeddings only; chat is not asked here).
      LLM_BASE_URL: embeddings.baseUrl,
      LLM_MODEL: "gpt-4o-mini",
      LLM_API_KEY: "sk-provider-key",
      KNOWLEDGE_ENABLED: "true",
      KNOWLEDGE_DATABASE_URL: db.url,
      KNOWLEDGE_DATABASE_POOL: "1",
      KNOWLEDGE_ADMIN_KEY: ADMIN_KEY,
      EMBEDDINGS_MODEL: "text-embedding-3-small",
      EMBEDDINGS_DIMENSIONS: "64",
      EMBEDDINGS_BATCH: "2",
      KNOWLEDGE_CHUNK_CHARS: "200",
      KNOWLEDGE_CHUNK_OVERLAP: "0",
    });
  }, 60_000);
  afterAll(async () => {
    await gateway?.close();
    await embeddings?.close();
  });

  it("when a document is added, then its passages are embedded in batches with the model, size and provider key", async () => {
    const long = `${CORPUS.backups.content}\n\n${CORPUS.vacation.content}\n\n${CORPUS.backups.content.replace("# Database backups", "## Again")}`;
    const response = await admin(gateway.url).add({ ...CORPUS.backups, content: long });
    expect(response.status).toBe(201);
    const { chunks } = await json(response);
    expect(chunks).toBeGreaterThan(4);
    expect(embeddings.received.length).toBe(Math.ceil(chunks / 2));
    for (const call of embeddings.received) {
      expect(call).toMatchObject({ model: "text-embedding-3-small", dimensions: 64, authorization: "Bearer sk-provider-key" });
      expect(call.input.length).toBeLessThanOrEqual(2);
    }
    const found = await json(await admin(gateway.url).search("restore to a point in time"));
    expect(found.data[0].source).toBe("runbooks/backups.md");
  });

  it("when the embeddings server fails, then the document gets a 502 naming the embedder and nothing is stored", async () => {
    embeddings.failWith = 500;
    try {
      const response = await admin(gateway.url).add(CORPUS.vacation);
      const { error } = await json(response);
      expect([response.status, error.code]).toEqual([502, "embedding_failed"]);
      expect(JSON.stringify(error)).not.toContain("sk-provider-key");
    } finally {
      embeddings.failWith = undefined;
    }
    const listed = await json(await admin(gateway.url).list());
    expect(listed.data.map((d: { source: string }) => d.source)).toEqual(["runbooks/backups.md"]);
  });
});
