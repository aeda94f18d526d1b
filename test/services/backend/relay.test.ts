/**
 * The gateway's hot path (issue 15, item 7): a non-streaming answer from an OpenAI-style upstream is relayed to the
 * client as the very bytes the upstream sent, once checked: a chat.completion with a choice. Anything else (HTML, a
 * JSON without a choice) is an upstream failure with the gateway's own message, never relayed.
 */
import { json, metricValue, postChat, RunningBackend, startBackend, USER_HELLO } from "./support/backend";
import { StandIn, startStandIn } from "./support/stand-ins";

const ANSWER = JSON.stringify({
  id: "chatcmpl-relay",
  object: "chat.completion",
  created: 1700000000,
  model: "relay-model-2026-01-01",
  system_fingerprint: "fp_relay",
  choices: [{ index: 0, message: { role: "assistant", content: "Relayed as sent.", refusal: null }, logprobs: null, finish_reason: "stop" }],
  usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
});

describe("given an OpenAI-compatible upstream", () => {
  let upstream: StandIn;
  let gateway: RunningBackend;
  beforeAll(async () => {
    upstream = await startStandIn("openai");
    gateway = await startBackend({ LLM_PROVIDER: "openai-compatible", LLM_BASE_URL: upstream.baseUrl, LLM_MODEL: "relay-model", LLM_MAX_RETRIES: "0", BREAKER_FAILURES: "1000" });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  it("when it answers a chat.completion, then the client gets exactly its bytes, with the gateway's headers, and its tokens are counted", async () => {
    upstream.script({ status: 200, body: ANSWER });
    const response = await postChat(gateway.url, USER_HELLO);
    expect([response.status, response.headers.get("x-assistant-provider"), response.headers.get("content-type")]).toEqual([200, "openai-compatible", "application/json"]);
    expect(await response.text()).toBe(ANSWER);
    expect(await metricValue(gateway.url, "ai_assistant_tokens_total", { provider: "openai-compatible", kind: "completion" })).toBe(4);
    // The request went out as the SDK would send it: the model as configured, the messages, no stream.
    expect(upstream.received.at(-1)!.body).toEqual({ model: "relay-model", messages: USER_HELLO.messages, stream: false });
  });

  it.each([
    ["an HTML page", "<html><body>Welcome to the captive portal</body></html>", "text/html"],
    ["JSON without a choice", '{"object":"chat.completion","choices":[]}', "application/json"],
    ["JSON that is an error", '{"error":{"message":"quota exceeded for key sk-abcdefgh12345"}}', "application/json"],
  ])("when it answers 200 with %s, then the client gets a 502 in the gateway's words, nothing of the upstream's", async (_what, body, contentType) => {
    upstream.script({ status: 200, body, contentType });
    const response = await postChat(gateway.url, USER_HELLO);
    const error = (await json(response)).error;
    expect([response.status, error.code, error.message]).toEqual([502, "upstream_failed", "The model provider failed (its answer could not be read)."]);
  });
});
