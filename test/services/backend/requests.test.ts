/**
 * Bad input gets an OpenAI-style 4xx and never reaches a provider; the per-client rate limit answers 429 with
 * Retry-After; request ids are echoed; logs carry neither the key nor the prompt unless prompt logging is on.
 */
import { request as httpRequest } from "http";
import { StandIn, startStandIn } from "./support/stand-ins";
import { metricValue, postChat, RunningBackend, startBackend, USER_HELLO, json } from "./support/backend";

const KEY = "sk-secret-key-never-logged";

describe("given a gateway in front of a hosted API", () => {
  let upstream: StandIn;
  let gateway: RunningBackend;
  beforeAll(async () => {
    upstream = await startStandIn("openai");
    gateway = await startBackend({ LLM_PROVIDER: "openai", LLM_BASE_URL: upstream.baseUrl, LLM_MODEL: "gpt-4o-mini", LLM_API_KEY: KEY, MAX_MESSAGES: "3", MAX_MESSAGE_CHARS: "100", MAX_BODY_BYTES: "2048" });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  const user = (content: string) => ({ role: "user", content });
  const BAD: [string, unknown, number, string | null][] = [
    ["malformed JSON", '{"messages": [', 400, null],
    ["a body that is not an object", "[1, 2]", 400, null],
    ["no messages", { model: "gpt-4o-mini" }, 400, "messages"],
    ["empty messages", { messages: [] }, 400, "messages"],
    ["a tool message", { messages: [user("hi"), { role: "tool", content: "x" }] }, 400, "messages.1.role"],
    ["a made-up role", { messages: [{ role: "wizard", content: "hi" }] }, 400, "messages.0.role"],
    ["no user message", { messages: [{ role: "system", content: "be nice" }] }, 400, "messages"],
    ["content that is not text", { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }] }, 400, "messages.0.content"],
    ["too many messages", { messages: [user("a"), user("b"), user("c"), user("d")] }, 400, "messages"],
    ["a message that is too long", { messages: [user("x".repeat(101))] }, 400, "messages.0.content"],
    ["a temperature out of range", { messages: [user("hi")], temperature: 7 }, 400, "temperature"],
    ["an unknown model", { model: "gpt-9", messages: [user("hi")] }, 404, "model"],
  ];

  it.each(BAD)("when the request has %s, then it is refused with an OpenAI-style error and the provider never sees it", async (_, body, status, param) => {
    const before = upstream.received.length;
    const response = await postChat(gateway.url, body);
    expect(response.status).toBe(status);
    const { error } = await json(response);
    expect(error).toEqual({ message: expect.any(String), type: "invalid_request_error", param, code: expect.any(String) });
    expect(upstream.received.length).toBe(before);
  });

  it("when the body is over the cap, then it is refused with 413, whether or not it declares its length", async () => {
    const big = JSON.stringify({ messages: [user("x".repeat(4000))] });
    const declared = await postChat(gateway.url, big);
    expect(declared.status).toBe(413);
    expect((await json(declared)).error.code).toBe("request_too_large");
    const chunked = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${gateway.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode, body }));
      });
      req.on("error", reject);
      req.write(big.slice(0, 1500));
      req.end(big.slice(1500));
    });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body).error.type).toBe("invalid_request_error");
    expect(upstream.received).toHaveLength(0);
  });

  it("when a path or method is wrong, then it is a 404 or 405 in the same error format, counted under route other", async () => {
    const missing = await fetch(`${gateway.url}/v1/completions`, { method: "POST", body: "{}" });
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.type).toBe("not_found_error");
    const wrongMethod = await fetch(`${gateway.url}/v1/chat/completions`);
    expect([wrongMethod.status, wrongMethod.headers.get("allow")]).toEqual([405, "POST, OPTIONS"]);
    expect(await metricValue(gateway.url, "ai_assistant_requests_total", { route: "other", status: "404" })).toBe(1);
  });

  it("when bad requests have come in, then the server still answers the next good one", async () => {
    const response = await postChat(gateway.url, USER_HELLO);
    expect(response.status).toBe(200);
  });

  it("when a request brings an X-Request-Id, then it is echoed and logged; otherwise one is made", async () => {
    const given = await postChat(gateway.url, USER_HELLO, { "x-request-id": "trace-abc.123" });
    expect(given.headers.get("x-request-id")).toBe("trace-abc.123");
    const made = await postChat(gateway.url, USER_HELLO);
    expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const unsafe = await postChat(gateway.url, USER_HELLO, { "x-request-id": "a b\"c" });
    expect(unsafe.headers.get("x-request-id")).not.toBe('a b"c');
    await new Promise((r) => setImmediate(r));
    expect(gateway.logs.find((l) => l.request_id === "trace-abc.123")).toMatchObject({ msg: "request", route: "/v1/chat/completions", status: 200, provider: "openai" });
  });

  it("then no log line holds the key or the prompt text", () => {
    const text = JSON.stringify(gateway.logs);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain("Say hello");
  });

  it("then health and metrics requests are neither counted nor logged", async () => {
    await fetch(`${gateway.url}/healthz`);
    await fetch(`${gateway.url}/readyz`);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).not.toMatch(/route="\/(healthz|readyz|metrics)"/);
    expect(metrics).toContain("process_cpu_seconds_total");
    expect(gateway.logs.some((l) => /healthz|readyz|metrics/.test(String(l.route)))).toBe(false);
  });
});

describe("given prompt logging on (LOG_PROMPTS=true)", () => {
  it("then the prompt and the answer are in the request's log line, the key still is not", async () => {
    const gateway = await startBackend({ LLM_PROVIDER: "mock", LOG_PROMPTS: "true", LLM_API_KEY: KEY });
    try {
      await postChat(gateway.url, USER_HELLO);
      await new Promise((r) => setImmediate(r));
      const line = gateway.logs.find((l) => l.msg === "request")!;
      expect(line.prompt).toBe("user: Say hello");
      expect(String(line.answer).length).toBeGreaterThan(10);
      expect(JSON.stringify(gateway.logs)).not.toContain(KEY);
    } finally {
      await gateway.close();
    }
  });
});

describe("given a rate limit of 60 a minute with a burst of 2, behind one trusted proxy", () => {
  let gateway: RunningBackend;
  beforeAll(async () => {
    gateway = await startBackend({ LLM_PROVIDER: "mock", RATE_LIMIT_PER_MINUTE: "60", RATE_LIMIT_BURST: "2", TRUST_PROXY_HOPS: "1" });
  });
  afterAll(() => gateway.close());
  const from = (client: string, forged?: string) => ({ "x-forwarded-for": forged ? `${forged}, ${client}` : client });

  it("when one client sends a third request at once, then it gets a 429 with Retry-After, counted", async () => {
    expect((await postChat(gateway.url, USER_HELLO, from("203.0.113.7"))).status).toBe(200);
    expect((await postChat(gateway.url, USER_HELLO, from("203.0.113.7"))).status).toBe(200);
    const limited = await postChat(gateway.url, USER_HELLO, from("203.0.113.7"));
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect((await json(limited)).error).toMatchObject({ type: "rate_limit_error", code: "rate_limit_exceeded" });
    expect(await metricValue(gateway.url, "ai_assistant_requests_total", { route: "/v1/chat/completions", status: "429" })).toBe(1);
  });

  it("when another client asks, or the first forges an address in front of the proxy's, then each is judged by the proxy's entry", async () => {
    expect((await postChat(gateway.url, USER_HELLO, from("198.51.100.9"))).status).toBe(200);
    expect((await postChat(gateway.url, USER_HELLO, from("203.0.113.7", "10.9.9.9"))).status).toBe(429);
  });

  it("when the client waits for the bucket to refill, then it is served again", async () => {
    await new Promise((r) => setTimeout(r, 1050));
    expect((await postChat(gateway.url, USER_HELLO, from("203.0.113.7"))).status).toBe(200);
  });
});
