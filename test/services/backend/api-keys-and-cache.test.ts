/**
 * Client API keys with their own quotas, and the response cache, against the real backend and a real redis-server
 * shared by two backends (as two replicas): a wrong or missing key is a 401 in OpenAI's format and never logged;
 * the frontend's token admits the keyless chat; quotas and cache entries hold across both replicas.
 */
import { createHash } from "crypto";
import Redis from "ioredis";
import { RedisServer, startRedisServer } from "../../../tools/redis-server";
import { json, metricValue, postChat, RunningBackend, sseData, startBackend, streamedText, USER_HELLO } from "./support/backend";
import { answerText, StandIn, startStandIn } from "./support/stand-ins";

const ALICE = "sk-alice-0123456789abcdef0123456789abcdef";
const BOB = "sk-bob-fedcba9876543210fedcba9876543210";
const FRONTEND_TOKEN = "frontend-token-0123456789abcdef";
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const KEYS = JSON.stringify([
  { name: "alice", sha256: sha256(ALICE), requestsPerMinute: 2 },
  // The stand-in reports 17 tokens per answer: one answer empties a 10-token budget.
  { name: "bob", sha256: sha256(BOB), tokensPerMinute: 10 },
]);
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe("given two backends with client API keys, a frontend token and a response cache, sharing one redis-server", () => {
  let redis: RedisServer;
  let upstream: StandIn;
  let a: RunningBackend;
  let b: RunningBackend;
  beforeAll(async () => {
    redis = await startRedisServer();
    upstream = await startStandIn("openai");
    const env = {
      LLM_PROVIDER: "openai",
      LLM_BASE_URL: upstream.baseUrl,
      LLM_MODEL: "gpt-4o-mini",
      LLM_API_KEY: "sk-upstream",
      VALKEY_URL: redis.url,
      CLIENT_API_KEYS: KEYS,
      FRONTEND_TOKEN,
      CACHE_MODE: "deterministic",
    };
    [a, b] = await Promise.all([startBackend(env), startBackend(env)]);
    // The first command waits for the connection: the backends fail open (and count it) until Valkey is ready.
    await Promise.all([a, b].map((backend) => until(() => backend.logs.some((l) => l.msg === "valkey connected"))));
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await upstream?.close();
    await redis?.stop();
  });

  it("when a request has a wrong key, then it is a 401 invalid_api_key in OpenAI's format, and the key is nowhere in the logs", async () => {
    const wrong = "sk-wrong-key-that-must-never-be-logged";
    const response = await postChat(a.url, USER_HELLO, bearer(wrong));
    expect(response.status).toBe(401);
    expect(await json(response)).toEqual({ error: { message: expect.any(String), type: "invalid_request_error", param: null, code: "invalid_api_key" } });
    // A wrong key is refused even when the frontend's token comes with it.
    expect((await postChat(a.url, USER_HELLO, { ...bearer(wrong), "x-assistant-frontend-token": FRONTEND_TOKEN })).status).toBe(401);
    expect(JSON.stringify(a.logs)).not.toContain(wrong);
  });

  it("when a request has no key and no frontend token, then it is a 401; with the frontend's token (the browser chat), it is answered", async () => {
    const bare = await postChat(a.url, USER_HELLO);
    expect(bare.status).toBe(401);
    expect((await json(bare)).error.code).toBe("invalid_api_key");
    expect((await postChat(a.url, USER_HELLO, { "x-assistant-frontend-token": "not-the-token-at-all" })).status).toBe(401);
    expect((await postChat(a.url, USER_HELLO, { "x-assistant-frontend-token": FRONTEND_TOKEN })).status).toBe(200);
    expect((await fetch(`${a.url}/v1/models`)).status).toBe(401);
    expect((await fetch(`${a.url}/v1/models`, { headers: bearer(ALICE) })).status).toBe(200);
  });

  it("when alice sends more requests than her quota across both replicas, then the third is refused while bob is still served", async () => {
    expect((await postChat(a.url, USER_HELLO, bearer(ALICE))).status).toBe(200);
    expect((await postChat(b.url, USER_HELLO, bearer(ALICE))).status).toBe(200);
    const third = await postChat(a.url, USER_HELLO, bearer(ALICE));
    expect(third.status).toBe(429);
    expect((await json(third)).error).toMatchObject({ type: "rate_limit_error", code: "rate_limit_exceeded" });
    expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await postChat(b.url, USER_HELLO, bearer(BOB))).status).toBe(200);
  });

  it("when bob's answer used more tokens than his per-minute budget, then his next request, on the other replica, is refused for tokens", async () => {
    await until(async () => (await postChat(a.url, USER_HELLO, bearer(BOB))).status === 429);
    const refused = await postChat(a.url, USER_HELLO, bearer(BOB));
    expect((await json(refused)).error.code).toBe("token_limit_exceeded");
  });

  it("then usage is counted per key name (requests, prompt and completion tokens), and no key appears in the metrics or logs", async () => {
    expect(await metricValue(a.url, "ai_assistant_api_key_requests_total", { key: "alice" })).toBe(2);
    expect(await metricValue(b.url, "ai_assistant_api_key_requests_total", { key: "alice" })).toBe(1);
    expect(await metricValue(a.url, "ai_assistant_api_key_tokens_total", { key: "alice", kind: "prompt" })).toBe(11);
    expect(await metricValue(a.url, "ai_assistant_api_key_tokens_total", { key: "alice", kind: "completion" })).toBe(6);
    const text = (await Promise.all([a, b].map(async (backend) => (await fetch(`${backend.url}/metrics`)).text()))).join("\n");
    const logs = JSON.stringify([a.logs, b.logs]);
    for (const secret of [ALICE, BOB, FRONTEND_TOKEN]) {
      expect(text).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
    expect(a.logs.some((l) => l.msg === "request" && l.api_key === "alice")).toBe(true);
  });

  describe("when the chat asks the same question with temperature 0, first on one replica, then on the other", () => {
    const question = { messages: [{ role: "user", content: "What is Valkey?" }], temperature: 0 };
    const chat = { "x-assistant-frontend-token": FRONTEND_TOKEN };
    let calls: number;
    let first: Response;
    let second: Response;
    beforeAll(async () => {
      calls = upstream.received.length;
      first = await postChat(a.url, question, chat);
      // The entry is written after the answer is sent: wait until Valkey holds it.
      const valkey = new Redis(redis.url);
      try {
        await until(async () => (await valkey.keys("ai-assistant:cache:*")).length > 0);
      } finally {
        valkey.disconnect();
      }
      second = await postChat(b.url, question, chat);
    });

    it("then the first is a miss that calls the model, and the second a hit that does not, with the same answer", async () => {
      expect(first.headers.get("x-assistant-cache")).toBe("miss");
      expect(second.headers.get("x-assistant-cache")).toBe("hit");
      const [one, two] = [await json(first), await json(second)];
      expect(two.choices[0].message.content).toBe(answerText("openai"));
      expect(two.choices[0].message.content).toBe(one.choices[0].message.content);
      expect(two.usage).toEqual(one.usage);
      expect(second.headers.get("x-assistant-provider")).toBe("openai");
      expect(upstream.received.slice(calls).filter((r) => JSON.stringify(r.body).includes("What is Valkey?"))).toHaveLength(1);
    });

    it("then the same question as a stream is served from the cache as a stream", async () => {
      const before = upstream.received.length;
      const response = await postChat(a.url, { ...question, stream: true, stream_options: { include_usage: true } }, chat);
      expect(response.headers.get("x-assistant-cache")).toBe("hit");
      expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const events = await sseData(response);
      expect(streamedText(events)).toBe(answerText("openai"));
      expect(events.at(-1)).toBe("[DONE]");
      expect(events.at(-2)).toMatchObject({ choices: [], usage: { prompt_tokens: 11, completion_tokens: 6 } });
      expect(upstream.received.length).toBe(before);
    });

    it("then hits and the tokens they saved are counted", async () => {
      expect(await metricValue(b.url, "ai_assistant_cache_requests_total", { result: "hit" })).toBeGreaterThanOrEqual(1);
      expect(await metricValue(b.url, "ai_assistant_cache_saved_tokens_total", { provider: "openai", model: "gpt-4o-mini", kind: "completion" })).toBeGreaterThanOrEqual(6);
    });

    it("then a question that asks for sampling (temperature 0.7) is never cached", async () => {
      const sampled = { ...question, temperature: 0.7 };
      const before = upstream.received.length;
      for (let i = 0; i < 2; i++) {
        const response = await postChat(a.url, sampled, chat);
        expect(response.headers.get("x-assistant-cache")).toBeNull();
        await response.text();
      }
      expect(upstream.received.length).toBe(before + 2);
    });
  });
});

describe("given backends whose Valkey is unreachable", () => {
  const nowhere = "redis://127.0.0.1:9"; // the discard port: nothing listens on loopback
  const limited = { LLM_PROVIDER: "mock", VALKEY_URL: nowhere, RATE_LIMIT_PER_MINUTE: "60", RATE_LIMIT_BURST: "2", CACHE_MODE: "all" };

  it("when the policy is open, then requests are answered under this replica's own limits, with a warning and a counted failure", async () => {
    const backend = await startBackend({ ...limited, VALKEY_FAILURE_POLICY: "open" });
    try {
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push((await postChat(backend.url, USER_HELLO)).status);
      expect(answers).toEqual([200, 200, 429]);
      expect(await metricValue(backend.url, "ai_assistant_shared_state_errors_total", { operation: "limit" })).toBe(3);
      expect(await metricValue(backend.url, "ai_assistant_shared_state_errors_total", { operation: "cache-get" })).toBe(2);
      expect(backend.logs.some((l) => l.level === "warn" && l.msg === "valkey command failed" && l.policy === "open")).toBe(true);
    } finally {
      await backend.close();
    }
  });

  it("when the policy is closed, then requests are refused with a 503 that says why", async () => {
    const backend = await startBackend({ ...limited, VALKEY_FAILURE_POLICY: "closed" });
    try {
      const response = await postChat(backend.url, USER_HELLO);
      expect(response.status).toBe(503);
      expect((await json(response)).error).toMatchObject({ type: "service_unavailable", code: "shared_state_unavailable" });
    } finally {
      await backend.close();
    }
  });
});

async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
