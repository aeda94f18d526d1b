/**
 * Honest signals (issue 15, item 3): every request ends in exactly one outcome, and the response, the request
 * counter (`outcome` label) and the log line (`outcome` field and level) agree on it. A fallback answer is a 200 but
 * never `ok`; a stream that broke after its 200 is `interrupted`; a client that left is `aborted`. Retries,
 * fallbacks, upstream errors by kind and the circuit state have their own series.
 */
import { request } from "http";
import { CIRCUIT_STATE_VALUES, REQUEST_OUTCOMES } from "../../../lib/metrics-contract";
import { FALLBACK_ANSWER } from "../../../services/backend/src/providers/mock";
import { json, LogLine, metricValue, postChat, RunningBackend, sseData, startBackend, USER_HELLO } from "./support/backend";
import { StandIn, startStandIn } from "./support/stand-ins";

const REQUESTS = "ai_assistant_requests_total";
const CHAT = "/v1/chat/completions";

/**
 * The log line of one request, by the id the gateway answered with (or was sent), once its response has closed: the
 * line is written after the answer, so "the last line" may still be the request before.
 */
async function requestLine(gateway: RunningBackend, requestId: string | null): Promise<LogLine> {
  for (let i = 0; i < 100; i++) {
    const line = gateway.logs.find((l) => l.msg === "request" && l.request_id === requestId);
    if (line) return line;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`request ${requestId} was not logged`);
}

const idOf = (response: Response) => response.headers.get("x-request-id");

describe("given a hosted provider with the mock as its fallback", () => {
  let upstream: StandIn;
  let gateway: RunningBackend;
  beforeAll(async () => {
    upstream = await startStandIn("openai");
    gateway = await startBackend({
      LLM_PROVIDER: "openai",
      LLM_BASE_URL: upstream.baseUrl,
      LLM_MODEL: "gpt-4o-mini",
      LLM_API_KEY: "test-key-0123456789",
      LLM_FALLBACK: "mock",
      LLM_MAX_RETRIES: "1",
      LLM_RETRY_MAX_WAIT_SECONDS: "1",
      LLM_TIMEOUT_SECONDS: "1",
      BREAKER_FAILURES: "1000",
      MOCK_WORD_DELAY_MS: "30",
    });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });
  const count = (outcome: string, status: string) => metricValue(gateway.url, REQUESTS, { route: CHAT, status, outcome });

  it("when the provider answers, then the outcome is ok everywhere: 200, counted ok, logged at info", async () => {
    const response = await postChat(gateway.url, USER_HELLO);
    expect([response.status, response.headers.get("x-assistant-fallback")]).toEqual([200, null]);
    await response.text();
    expect(await requestLine(gateway, idOf(response))).toMatchObject({ level: "info", outcome: "ok", status: 200 });
    expect(await count("ok", "200")).toBe(1);
  });

  it("when the provider fails and the mock answers, then it is a fallback everywhere: marked 200, counted fallback (never ok), logged at warn, saying the model is unavailable", async () => {
    upstream.script({ status: 500 }, { status: 500 });
    const response = await postChat(gateway.url, USER_HELLO);
    expect([response.status, response.headers.get("x-assistant-fallback")]).toEqual([200, "true"]);
    const content = (await json(response)).choices[0].message.content as string;
    expect(content).toBe(FALLBACK_ANSWER);
    expect(content).toMatch(/unavailable right now/);
    expect(content).not.toMatch(/phase|mock|stack/i);
    expect(await requestLine(gateway, idOf(response))).toMatchObject({ level: "warn", outcome: "fallback", status: 200, provider: "mock", fallback: true, attempts: 3 });
    expect(await count("fallback", "200")).toBe(1);
    expect(await count("ok", "200")).toBe(1);
    expect(await metricValue(gateway.url, "ai_assistant_fallbacks_total", { from: "openai", to: "mock" })).toBe(1);
    expect(await metricValue(gateway.url, "ai_assistant_upstream_retries_total", { provider: "openai" })).toBe(1);
    expect(await metricValue(gateway.url, "ai_assistant_upstream_errors_total", { provider: "openai", kind: "failed" })).toBe(2);
  });

  it("when a stream breaks off after its 200, then it is interrupted everywhere: an error event, counted interrupted, logged at error", async () => {
    upstream.script("break");
    const response = await postChat(gateway.url, { ...USER_HELLO, stream: true });
    expect(response.status).toBe(200);
    const events = await sseData(response);
    expect(events.at(-2)).toEqual({ error: { message: "The model provider's stream broke off (its answer could not be read).", type: "upstream_error", param: null, code: "stream_interrupted" } });
    expect(await requestLine(gateway, idOf(response))).toMatchObject({ level: "error", outcome: "interrupted", status: 200 });
    expect(await count("interrupted", "200")).toBe(1);
  });

  it("when the client leaves mid-stream, then it is aborted: counted and logged as such, not as an answer", async () => {
    upstream.always({ status: 500 });
    await new Promise<void>((resolve) => {
      const req = request(`${gateway.url}${CHAT}`, { method: "POST", headers: { "content-type": "application/json", "x-request-id": "leaves-mid-stream" } }, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", () => undefined);
      req.end(JSON.stringify({ ...USER_HELLO, stream: true }));
    });
    expect(await requestLine(gateway, "leaves-mid-stream")).toMatchObject({ level: "info", outcome: "aborted" });
    expect(await count("aborted", "200")).toBe(1);
    upstream.always("ok");
  });

  it("when the client leaves while the provider is still answering, then the gateway hangs up on the provider at once: aborted, with no retry and no fallback", async () => {
    upstream.script("hang");
    const asked = upstream.received.length;
    const timeouts = () => metricValue(gateway.url, "ai_assistant_upstream_errors_total", { provider: "openai", kind: "timeout" });
    const timeoutsBefore = await timeouts();
    const req = request(`${gateway.url}${CHAT}`, { method: "POST", headers: { "content-type": "application/json", "x-request-id": "leaves-while-asked" } });
    req.on("error", () => undefined);
    req.end(JSON.stringify(USER_HELLO));
    while (upstream.received.length === asked) await new Promise((r) => setTimeout(r, 5));
    req.destroy();
    const left = Date.now();
    while (!upstream.received[asked].abandoned && Date.now() - left < 3000) await new Promise((r) => setTimeout(r, 5));
    expect(upstream.received[asked].abandoned).toBe(true);
    expect(await requestLine(gateway, "leaves-while-asked")).toMatchObject({ outcome: "aborted" });
    // Hung up because the client left, not by the attempt's 1 s timeout, which would count a timeout and try again.
    expect(await timeouts()).toBe(timeoutsBefore);
    expect(upstream.received.length).toBe(asked + 1);
    expect(await count("fallback", "200")).toBe(1);
  });

  it("when a request is refused as the client's fault, then it is client_error everywhere", async () => {
    const response = await postChat(gateway.url, "{not json");
    expect(response.status).toBe(400);
    expect(await requestLine(gateway, idOf(response))).toMatchObject({ level: "info", outcome: "client_error", status: 400 });
    const form = await fetch(`${gateway.url}${CHAT}`, { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify(USER_HELLO) });
    expect([form.status, (await json(form)).error.code]).toEqual([415, "unsupported_media_type"]);
    expect(await count("client_error", "415")).toBe(1);
  });
});

describe("given a hosted provider without a fallback", () => {
  let upstream: StandIn;
  let gateway: RunningBackend;
  beforeAll(async () => {
    upstream = await startStandIn("openai");
    gateway = await startBackend({ LLM_PROVIDER: "openai", LLM_BASE_URL: upstream.baseUrl, LLM_MODEL: "gpt-4o-mini", LLM_API_KEY: "test-key-0123456789", LLM_MAX_RETRIES: "0", LLM_TIMEOUT_SECONDS: "1", BREAKER_FAILURES: "3", BREAKER_COOLDOWN_SECONDS: "30" });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  it.each([
    [{ status: 429, retryAfter: "7" } as const, 429, "upstream_rate_limited", "rate_limited", "7"],
    [{ status: 400 } as const, 400, "upstream_rejected", "rejected", null],
    ["hang" as const, 504, "upstream_timeout", "timeout", null],
  ])("when it answers %j, then the client gets %i (%s), counted upstream_error of kind %s, logged at error", async (behaviour, status, code, kind, retryAfter) => {
    upstream.script(behaviour);
    const response = await postChat(gateway.url, USER_HELLO);
    expect([response.status, (await json(response)).error.code, response.headers.get("retry-after")]).toEqual([status, code, retryAfter]);
    expect(await requestLine(gateway, idOf(response))).toMatchObject({ level: "error", outcome: "upstream_error", upstream_error: kind, status });
    expect(await metricValue(gateway.url, REQUESTS, { route: CHAT, status: String(status), outcome: "upstream_error" })).toBe(1);
    expect(await metricValue(gateway.url, "ai_assistant_upstream_errors_total", { provider: "openai", kind })).toBe(1);
  });

  it("when its circuit opens, then the gauge says open and the 503 carries Retry-After", async () => {
    const gauge = () => metricValue(gateway.url, "ai_assistant_circuit_state", { provider: "openai" });
    // Three failures in a row (the timeout above counted; 429 and 400 do not open it: the provider answered).
    expect(await gauge()).toBe(CIRCUIT_STATE_VALUES.closed);
    upstream.script({ status: 500 }, { status: 500 }, { status: 500 });
    for (let i = 0; i < 3; i++) await (await postChat(gateway.url, USER_HELLO)).text();
    expect(await gauge()).toBe(CIRCUIT_STATE_VALUES.open);
    const refused = await postChat(gateway.url, USER_HELLO);
    expect([refused.status, (await json(refused)).error.code, refused.headers.get("retry-after")]).toEqual([503, "circuit_open", "30"]);
    expect(await requestLine(gateway, idOf(refused))).toMatchObject({ outcome: "upstream_error", upstream_error: "failed", status: 503 });
  });

  it("then every outcome counted is one of the contract's", async () => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    const outcomes = [...text.matchAll(/ai_assistant_requests_total\{[^}]*outcome="([^"]+)"/g)].map((m) => m[1]);
    expect(outcomes.length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => !(REQUEST_OUTCOMES as readonly string[]).includes(o))).toEqual([]);
  });
});

describe("given a bug in the gateway on one request", () => {
  let gateway: RunningBackend;
  beforeAll(async () => (gateway = await startBackend({ LLM_PROVIDER: "mock" })));
  afterAll(() => gateway.close());

  it("then that request alone is a 500 counted internal_error and logged at error with the cause, and the next one is answered", async () => {
    const complete = gateway.backend.router.complete;
    gateway.backend.router.complete = () => {
      throw new TypeError("a bug in the router");
    };
    const broken = await postChat(gateway.url, USER_HELLO);
    expect([broken.status, (await json(broken)).error]).toEqual([500, { message: "The gateway failed on this request.", type: "server_error", param: null, code: "internal_error" }]);
    expect(await requestLine(gateway, idOf(broken))).toMatchObject({ level: "error", outcome: "internal_error", error: expect.stringContaining("a bug in the router") });
    // A synchronous throw outside any request's promise (here: /readyz) is caught as well.
    const circuits = gateway.backend.router.circuits;
    gateway.backend.router.circuits = () => {
      throw new Error("a bug in readiness");
    };
    expect((await fetch(`${gateway.url}/readyz`)).status).toBe(500);
    gateway.backend.router.complete = complete;
    gateway.backend.router.circuits = circuits;
    expect((await postChat(gateway.url, USER_HELLO)).status).toBe(200);
    expect(await metricValue(gateway.url, REQUESTS, { route: CHAT, status: "500", outcome: "internal_error" })).toBe(1);
  });
});
