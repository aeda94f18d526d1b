/**
 * The knowledge and semanticCache flags against a real Postgres with pgvector, in a backend whose settings turn both
 * on: a flag that is off takes the feature away for the request (no retrieval, no sources, no cache lookup or write),
 * and with both flags on the same questions are grounded and answered again from the semantic cache (the control).
 */
import { FeatureRollouts } from "../../../../lib/feature-flags";
import { GROUNDING_HEADER } from "../../../../services/backend/src/knowledge/grounding";
import { json, metricValue, postChat, RunningBackend, startBackend } from "../support/backend";
import { flagVolume, FlagVolume } from "../support/flag-volume";
import { admin, ADMIN_KEY, CORPUS } from "../support/knowledge";
import { startTestDatabase, TestDatabase } from "../support/pglite";
import { StandIn, startStandIn } from "../support/stand-ins";

const RETRIEVALS = "ai_assistant_knowledge_retrievals_total";
const SEMANTIC = "ai_assistant_semantic_cache_requests_total";
const ask = (content: string) => ({ messages: [{ role: "user", content }] });

let db: TestDatabase;
let upstream: StandIn;
const volumes: FlagVolume[] = [];
beforeAll(async () => {
  [db, upstream] = await Promise.all([startTestDatabase(), startStandIn("openai")]);
}, 60_000);
afterAll(async () => {
  await upstream?.close();
  await db?.close();
  volumes.forEach((v) => v.remove());
});

async function gatewayWith(rollouts: FeatureRollouts): Promise<RunningBackend> {
  const flags = flagVolume(rollouts);
  volumes.push(flags);
  const gateway = await startBackend({
    LLM_PROVIDER: "openai",
    LLM_BASE_URL: upstream.baseUrl,
    LLM_MODEL: "gpt-4o-mini",
    LLM_API_KEY: "sk-test",
    KNOWLEDGE_ENABLED: "true",
    KNOWLEDGE_DATABASE_URL: db.url,
    KNOWLEDGE_DATABASE_POOL: "1",
    KNOWLEDGE_ADMIN_KEY: ADMIN_KEY,
    SEMANTIC_CACHE_ENABLED: "true",
    SEMANTIC_CACHE_MAX_DISTANCE: "0.1",
    FEATURE_FLAGS_FILE: flags.file,
  });
  for (const doc of Object.values(CORPUS)) expect((await admin(gateway.url).add(doc)).status).toBeLessThan(300);
  return gateway;
}

/** Asks the same question twice; what the upstream got and what came back. */
async function askTwice(gateway: RunningBackend, question: string) {
  upstream.received.length = 0;
  const answers = [];
  for (let i = 0; i < 2; i++) {
    const response = await postChat(gateway.url, ask(question));
    const body = await json(response);
    answers.push({ cache: response.headers.get("x-assistant-cache"), sources: (body.sources ?? []).length > 0 });
  }
  const grounded = upstream.received.map((r) => (r.body.messages as { content: string }[])[0].content.startsWith(GROUNDING_HEADER));
  return { answers, upstreamCalls: upstream.received.length, grounded };
}

describe("given knowledge and the semantic cache on in the settings", () => {
  it("when the knowledge flag is off for everyone, then no question is grounded or cached, and no retrieval is made", async () => {
    const gateway = await gatewayWith({ knowledge: { percentage: 0 } });
    try {
      const result = await askTwice(gateway, "How do I restore the knowledge database from a backup?");
      expect(result).toEqual({ answers: [{ cache: null, sources: false }, { cache: null, sources: false }], upstreamCalls: 2, grounded: [false, false] });
      expect(await metricValue(gateway.url, RETRIEVALS, { outcome: "hit" })).toBe(0);
      expect(await metricValue(gateway.url, SEMANTIC, { result: "miss" })).toBe(0);
    } finally {
      await gateway.close();
    }
  }, 60_000);

  it("when only the semanticCache flag is off, then questions are grounded with sources, and a question asked again goes to the model again", async () => {
    const gateway = await gatewayWith({ semanticCache: { percentage: 0 } });
    try {
      const result = await askTwice(gateway, "When does the duty engineer escalate to the team lead?");
      expect(result).toEqual({ answers: [{ cache: null, sources: true }, { cache: null, sources: true }], upstreamCalls: 2, grounded: [true, true] });
      expect(await metricValue(gateway.url, RETRIEVALS, { outcome: "hit" })).toBe(2);
      expect(await metricValue(gateway.url, SEMANTIC, { result: "miss" })).toBe(0);
    } finally {
      await gateway.close();
    }
  }, 60_000);

  it("when both flags are on, then the question is grounded and asked again is answered from the semantic cache", async () => {
    const gateway = await gatewayWith({ knowledge: { percentage: 100 }, semanticCache: { percentage: 100 } });
    try {
      const result = await askTwice(gateway, "How many days of paid vacation do employees take per year?");
      expect(result).toEqual({ answers: [{ cache: null, sources: true }, { cache: "semantic-hit", sources: true }], upstreamCalls: 1, grounded: [true] });
    } finally {
      await gateway.close();
    }
  }, 60_000);
});
