/**
 * Nothing secret leaves the gateway (issue 15, item 2), whatever an upstream sends back. Stand-in providers answer
 * 401 with the key echoed (as OpenAI does: "Incorrect API key provided: sk-…") and 502 with an HTML page; the
 * client gets the status class and a fixed message, and no log line holds the key. Base URLs with credentials and
 * query keys appear nowhere (/readyz, metrics, start-up errors), and a client's own input is echoed only as a short
 * excerpt.
 */
import { parseBackendEnv } from "../../../lib/backend-env";
import { excerpt, redactor } from "../../../services/backend/src/redact";
import { json, postChat, RunningBackend, startBackend, USER_HELLO } from "./support/backend";
import { StandIn, startStandIn, Wire } from "./support/stand-ins";

const KEY = "sk-proj-Zx81LEAKMEq0aVt3J9wPc2";
const ECHOES = [
  `{"error":{"message":"Incorrect API key provided: ${KEY}. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","code":"invalid_api_key"}}`,
  `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key: ${KEY}; header was Authorization: Bearer ${KEY}"}}`,
  `{"error":"unauthorized: key=${KEY.slice(0, 20)}... x-api-key=other-secret-value-123"}`,
];
const HTML = "<html><head><title>502 Bad Gateway</title></head><body><h1>upstream connect error</h1><p>internal host 10.0.3.7</p></body></html>";

/** Every text a test can see from the outside: the client's bodies and headers, and every log line. */
function leaked(texts: string[], secrets: string[]): string[] {
  return secrets.filter((secret) => texts.some((text) => text.includes(secret)));
}

describe.each<Wire>(["openai", "anthropic", "ollama"])("given the %s provider whose 401 echoes the key and whose 502 is an HTML page", (wire) => {
  let upstream: StandIn;
  let gateway: RunningBackend;
  beforeAll(async () => {
    upstream = await startStandIn(wire);
    const provider = wire === "openai" ? "openai" : wire;
    gateway = await startBackend({ LLM_PROVIDER: provider, LLM_BASE_URL: upstream.baseUrl, LLM_MODEL: "m", LLM_API_KEY: KEY, LLM_MAX_RETRIES: "0", BREAKER_FAILURES: "1000" });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  it("when it answers 401 with the key in its message, then the client gets a 502 with a fixed message, and neither response nor log holds the key", async () => {
    const seen: string[] = [];
    for (const body of ECHOES) {
      for (const stream of [false, true]) {
        upstream.script({ status: 401, body });
        const response = await postChat(gateway.url, { ...USER_HELLO, stream });
        const text = await response.text();
        seen.push(text, JSON.stringify([...response.headers]));
        expect(response.status).toBe(502);
        expect(JSON.parse(text)).toEqual({ error: { message: "The model provider failed (it answered HTTP 401).", type: "upstream_error", param: null, code: "upstream_failed" } });
      }
    }
    await new Promise((r) => setImmediate(r));
    const logs = gateway.logs.map((line) => JSON.stringify(line));
    // The log says what happened, without the secret.
    expect(gateway.logs.filter((l) => l.msg === "request").every((l) => l.level === "error" && l.outcome === "upstream_error")).toBe(true);
    expect(logs.some((line) => line.includes("answered 401"))).toBe(true);
    expect(leaked([...seen, ...logs], [KEY, KEY.slice(0, 20), "other-secret-value-123"])).toEqual([]);
  });

  it("when it answers 502 with an HTML page, then no HTML reaches the client", async () => {
    upstream.script({ status: 502, body: HTML, contentType: "text/html" });
    const response = await postChat(gateway.url, USER_HELLO);
    const text = await response.text();
    expect(response.status).toBe(502);
    expect(text).not.toMatch(/<|10\.0\.3\.7|upstream connect/);
    expect((JSON.parse(text) as { error: { message: string } }).error.message).toBe("The model provider failed (it answered HTTP 502).");
  });
});

describe("given base URLs with credentials and query keys", () => {
  let upstream: StandIn;
  let gateway: RunningBackend;
  const userinfo = "admin:hunter2-password";
  beforeAll(async () => {
    upstream = await startStandIn("openai");
    const withSecrets = upstream.baseUrl.replace("http://", `http://${userinfo}@`) + "?api-key=query-secret-42";
    gateway = await startBackend({ LLM_PROVIDER: "openai-compatible", LLM_BASE_URL: withSecrets, LLM_MODEL: "m", LLM_FALLBACK: "mock" });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  it("then /readyz and /metrics show each upstream without them", async () => {
    const texts = [await (await fetch(`${gateway.url}/readyz`)).text(), await (await fetch(`${gateway.url}/metrics`)).text()];
    expect(texts[0]).toContain(`"openai-compatible ${upstream.url.replace("http://", "http://[redacted]@")}/v1?[redacted]":"closed"`);
    expect(texts[1]).toContain('ai_assistant_circuit_state{provider="openai-compatible",upstream="http://[redacted]@');
    expect(leaked(texts, ["hunter2", "query-secret-42", "admin"])).toEqual([]);
  });

  it("then a bad one at start is named without them", () => {
    const attempt = () => parseBackendEnv({ LLM_PROVIDER: "openai-compatible", LLM_BASE_URL: "ftp://admin:hunter2@models.internal/v1?key=query-secret-42", LLM_MODEL: "m" });
    expect(attempt).toThrow('LLM_BASE_URL: expected an http(s) URL such as https://api.openai.com/v1, found "ftp://[redacted]@models.internal/v1?[redacted]"');
  });
});

describe("given a client sending a huge model name or path", () => {
  let gateway: RunningBackend;
  beforeAll(async () => (gateway = await startBackend({ LLM_PROVIDER: "mock" })));
  afterAll(() => gateway.close());

  it("then the error echoes a short excerpt of it, not all of it", async () => {
    const model = "x".repeat(900_000);
    const response = await postChat(gateway.url, { ...USER_HELLO, model });
    expect(response.status).toBe(404);
    const { message } = (await json(response)).error;
    expect(message.length).toBeLessThan(200);
    expect(message).toContain(`${"x".repeat(64)}… (900000 characters)`);
    const path = await json(await fetch(`${gateway.url}/${"p".repeat(5000)}`));
    expect(path.error.message.length).toBeLessThan(200);
  });
});

describe("the redaction of log lines and messages", () => {
  const clean = redactor(["configured-key-0123456789"]);
  it.each([
    ["the configured key, wherever it is", "key configured-key-0123456789 was refused", "key [redacted] was refused"],
    ["a bearer token", "Authorization: Bearer abc.def-ghi", "Authorization: Bearer [redacted]"],
    ["an OpenAI or Anthropic key", "Incorrect API key provided: sk-ant-api03-AbCdEf012345.", "Incorrect API key provided: sk-[redacted]."],
    ["a Hugging Face token", "token hf_AbCdEfGhIjKlMnOp rejected", "token hf_[redacted] rejected"],
    ["an x-api-key header or field", '{"x-api-key": "k-12345"} and x-api-key: abcdef', '{"x-api-key": "[redacted]"} and x-api-key: [redacted]'],
    ["an api_key query parameter", "GET /v1?api_key=secret&x=1", "GET /v1?api_key=[redacted]&x=1"],
    ["a URL's userinfo and query", "calling https://user:pw@host.example/v1?key=abc failed", "calling https://[redacted]@host.example/v1?[redacted] failed"],
  ])("removes %s", (_what, text, expected) => {
    expect(clean(text)).toBe(expected);
  });

  it("leaves ordinary text alone, and cuts client input to an excerpt", () => {
    expect(clean("The model provider answered 500: overloaded (task-key skipped)")).toBe("The model provider answered 500: overloaded (task-key skipped)");
    expect(excerpt("short")).toBe("short");
    expect(excerpt("a".repeat(100))).toBe(`${"a".repeat(64)}… (100 characters)`);
    expect(excerpt("line\nbreak")).toBe("line?break");
  });
});
