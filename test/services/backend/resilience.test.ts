/**
 * Failure handling against failing stand-ins: retries honour Retry-After, the fallback answers when the provider
 * fails or times out, a mid-stream disconnect ends the stream with an error event, the circuit breaker stops
 * calling a provider that keeps failing, and the metrics count what happened.
 */
import { answerText, StandIn, startStandIn, Wire } from "./support/stand-ins";
import { metricValue, postChat, RunningBackend, sseData, startBackend, streamedText, USER_HELLO, json } from "./support/backend";
import { FALLBACK_ANSWER } from "../../../services/backend/src/providers/mock";
import { backoffMs, retryAfterMs } from "../../../services/backend/src/resilience/retry-after";
import { CircuitBreaker } from "../../../services/backend/src/resilience/circuit-breaker";

const PROVIDER: Record<Wire, { provider: string; model: string }> = {
  openai: { provider: "openai", model: "gpt-4o-mini" },
  anthropic: { provider: "anthropic", model: "claude-3-5-haiku-latest" },
  ollama: { provider: "ollama", model: "llama3.2:3b" },
};
/** The mock as a fallback says the model is unavailable; it never answers as the mock phase does. */
const MOCK_TEXT = FALLBACK_ANSWER;

async function setUp(wire: Wire, env: Record<string, string> = {}) {
  const upstream = await startStandIn(wire);
  const { provider, model } = PROVIDER[wire];
  const gateway = await startBackend({ LLM_PROVIDER: provider, LLM_BASE_URL: upstream.baseUrl, LLM_MODEL: model, LLM_API_KEY: "test-key", LLM_TIMEOUT_SECONDS: "1", ...env });
  return { upstream, gateway, close: async () => (await gateway.close(), await upstream.close()) };
}

describe.each<Wire>(["openai", "anthropic", "ollama"])("given the %s provider with mock as its fallback", (wire) => {
  let upstream: StandIn;
  let gateway: RunningBackend;
  let close: () => Promise<void>;
  const { provider } = PROVIDER[wire];
  beforeAll(async () => ({ upstream, gateway, close } = await setUp(wire, { LLM_FALLBACK: "mock" })));
  afterAll(() => close());

  it("when it answers 429 with Retry-After: 1, then the gateway waits that long, retries, and the provider answers", async () => {
    upstream.script({ status: 429, retryAfter: "1" });
    const before = upstream.received.length;
    const started = Date.now();
    const response = await postChat(gateway.url, USER_HELLO);
    expect(response.headers.get("x-assistant-provider")).toBe(provider);
    expect((await json(response)).choices[0].message.content).toBe(answerText(wire));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(upstream.received.length - before).toBe(2);
  });

  it("when it keeps answering 500, then it is retried twice and the mock answers, marked as a fallback and counted as mock", async () => {
    upstream.script({ status: 500 }, { status: 500 }, { status: 500 });
    const before = upstream.received.length;
    const response = await postChat(gateway.url, USER_HELLO);
    expect(response.status).toBe(200);
    expect([response.headers.get("x-assistant-provider"), response.headers.get("x-assistant-fallback")]).toEqual(["mock", "true"]);
    expect((await json(response)).choices[0].message.content).toBe(MOCK_TEXT);
    expect(upstream.received.length - before).toBe(3);
    expect(await metricValue(gateway.url, "ai_assistant_inference_duration_seconds_count", { provider: "mock", model: "mock" })).toBe(1);
  });

  it("when it does not answer within the timeout, then the mock answers a stream without a retry", async () => {
    upstream.script("hang");
    const before = upstream.received.length;
    const response = await postChat(gateway.url, { ...USER_HELLO, stream: true });
    expect(response.headers.get("x-assistant-provider")).toBe("mock");
    expect(streamedText(await sseData(response))).toBe(MOCK_TEXT);
    expect(upstream.received.length - before).toBe(1);
  });

  it("when its stream breaks off mid-answer, then the stream ends with an error event and [DONE], and the server keeps serving", async () => {
    upstream.script("break");
    const response = await postChat(gateway.url, { ...USER_HELLO, stream: true });
    expect(response.headers.get("x-assistant-provider")).toBe(provider);
    const events = await sseData(response);
    expect(answerText(wire).startsWith(streamedText(events))).toBe(true);
    expect(streamedText(events).length).toBeGreaterThan(0);
    expect(streamedText(events)).not.toBe(answerText(wire));
    expect(events.at(-2)).toEqual({ error: expect.objectContaining({ type: "upstream_error", code: "stream_interrupted" }) });
    expect(events.at(-1)).toBe("[DONE]");
    expect((await postChat(gateway.url, USER_HELLO)).headers.get("x-assistant-provider")).toBe(provider);
  });
});

describe("given a provider whose Retry-After is longer than the gateway waits", () => {
  it("then the fallback answers at once, with no retry", async () => {
    const { upstream, gateway, close } = await setUp("openai", { LLM_FALLBACK: "mock", LLM_RETRY_MAX_WAIT_SECONDS: "5" });
    try {
      upstream.script({ status: 429, retryAfter: "120" });
      const started = Date.now();
      const response = await postChat(gateway.url, USER_HELLO);
      expect(response.headers.get("x-assistant-provider")).toBe("mock");
      expect(Date.now() - started).toBeLessThan(900);
      expect(upstream.received).toHaveLength(1);
    } finally {
      await close();
    }
  });
});

describe("given a provider that keeps failing and a circuit that opens after 2 failures", () => {
  it("then the third request is not sent to it, the mock answers, and readiness stays up", async () => {
    const { upstream, gateway, close } = await setUp("openai", { LLM_FALLBACK: "mock", LLM_MAX_RETRIES: "0", BREAKER_FAILURES: "2", BREAKER_COOLDOWN_SECONDS: "60" });
    try {
      upstream.always({ status: 503 });
      for (let i = 0; i < 3; i++) expect((await postChat(gateway.url, USER_HELLO)).headers.get("x-assistant-provider")).toBe("mock");
      expect(upstream.received).toHaveLength(2);
      const ready = await fetch(`${gateway.url}/readyz`);
      expect(ready.status).toBe(200);
      expect((await json(ready)).circuits).toEqual({ [`openai ${upstream.baseUrl}`]: "open", mock: "closed" });
    } finally {
      await close();
    }
  });
});

describe("given a provider that fails and no fallback", () => {
  let upstream: StandIn;
  let gateway: RunningBackend;
  let close: () => Promise<void>;
  beforeAll(async () => ({ upstream, gateway, close } = await setUp("openai", { LLM_MAX_RETRIES: "0", BREAKER_FAILURES: "100" })));
  afterAll(() => close());

  it("then a request gets an OpenAI-style 502, streamed or not, counted as a 5xx", async () => {
    upstream.always({ status: 500 });
    const plain = await postChat(gateway.url, USER_HELLO);
    const streamed = await postChat(gateway.url, { ...USER_HELLO, stream: true });
    for (const response of [plain, streamed]) {
      expect(response.status).toBe(502);
      expect(await json(response)).toEqual({ error: { message: expect.stringContaining("500"), type: "upstream_error", param: null, code: "upstream_failed" } });
    }
    expect(await metricValue(gateway.url, "ai_assistant_requests_total", { route: "/v1/chat/completions", status: "502" })).toBe(2);
  });

  it("then a timeout is a 504 and an upstream rate limit a 429 that passes Retry-After on", async () => {
    upstream.script("hang");
    expect((await postChat(gateway.url, USER_HELLO)).status).toBe(504);
    upstream.script({ status: 429, retryAfter: "30" });
    const limited = await postChat(gateway.url, USER_HELLO);
    expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "30"]);
  });
});

describe("Retry-After, backoff and the breaker's states", () => {
  const headers = (values: Record<string, string>) => ({ get: (name: string) => values[name] ?? null });

  it("reads delay-seconds, an HTTP-date and OpenAI's retry-after-ms", () => {
    const now = Date.parse("Tue, 01 Dec 2026 08:00:00 GMT");
    expect(retryAfterMs(headers({ "retry-after": "3" }), now)).toBe(3000);
    expect(retryAfterMs(headers({ "retry-after": "Tue, 01 Dec 2026 08:00:07 GMT" }), now)).toBe(7000);
    expect(retryAfterMs(headers({ "retry-after": "Tue, 01 Dec 2026 07:59:00 GMT" }), now)).toBe(0);
    expect(retryAfterMs(headers({ "retry-after-ms": "250", "retry-after": "3" }), now)).toBe(250);
    expect(retryAfterMs(headers({ "retry-after": "soon" }), now)).toBeUndefined();
  });

  it("backs off exponentially, with jitter, never beyond the longest wait", () => {
    expect([0, 1, 2].map((n) => backoffMs(n, 10_000, () => 1))).toEqual([200, 400, 800]);
    expect(backoffMs(1, 10_000, () => 0)).toBe(200);
    expect(backoffMs(20, 1000, () => 1)).toBe(1000);
  });

  it("opens after the failures, lets one trial through after the cooldown, and closes on its success", () => {
    let now = 0;
    const breaker = new CircuitBreaker(2, 1000, () => now);
    breaker.failure();
    expect(breaker.allow()).toBe(true);
    breaker.failure();
    expect([breaker.state, breaker.allow()]).toEqual(["open", false]);
    now = 1000;
    expect([breaker.state, breaker.allow(), breaker.allow()]).toEqual(["half-open", true, false]);
    breaker.failure();
    expect(breaker.state).toBe("open");
    now = 2000;
    expect(breaker.allow()).toBe(true);
    breaker.success();
    expect([breaker.state, breaker.allow()]).toEqual(["closed", true]);
  });
});
