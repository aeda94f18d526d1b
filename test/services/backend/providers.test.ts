/**
 * Each provider against a stand-in that speaks its real wire format: the answer is relayed in OpenAI's format
 * (JSON and SSE), says which provider served it, and its tokens are counted.
 */
import { answerText, StandIn, startStandIn, Wire } from "./support/stand-ins";
import { metricValue, postChat, RunningBackend, sseData, startBackend, streamedText, json } from "./support/backend";

interface Case {
  provider: string;
  wire: Wire;
  model: string;
  key?: string;
  /** What the upstream must have seen of the key. */
  auth: (headers: Record<string, string | string[] | undefined>) => void;
}

const CASES: Case[] = [
  { provider: "openai", wire: "openai", model: "gpt-4o-mini", key: "sk-openai-test", auth: (h) => expect(h.authorization).toBe("Bearer sk-openai-test") },
  { provider: "huggingface", wire: "openai", model: "meta-llama/Llama-3.1-8B-Instruct", key: "hf_test", auth: (h) => expect(h.authorization).toBe("Bearer hf_test") },
  { provider: "openai-compatible", wire: "openai", model: "llama", key: "compat-key", auth: (h) => expect(h.authorization).toBe("Bearer compat-key") },
  // In-cluster vLLM is keyless: the hosted API's key (set for the fallback) must never reach it.
  { provider: "vllm", wire: "openai", model: "Qwen/Qwen2.5-7B-Instruct", key: "hosted-key", auth: (h) => expect(h.authorization).toBeUndefined() },
  // @anthropic-ai/sdk 1.x sends the key as a bearer token (its client.js apiKeyAuth); 0.x sent x-api-key.
  {
    provider: "anthropic",
    wire: "anthropic",
    model: "claude-3-5-haiku-latest",
    key: "sk-ant-test",
    auth: (h) => {
      expect(h.authorization ?? `Bearer ${h["x-api-key"]}`).toBe("Bearer sk-ant-test");
      // The API version @anthropic-ai/sdk 1.14.0 pins (its client.js default headers); an SDK bump that changes it shows here.
      expect(h["anthropic-version"]).toBe("2026-10-21");
    },
  },
  { provider: "ollama", wire: "ollama", model: "llama3.2:3b", auth: (h) => expect(h.authorization).toBeUndefined() },
];

const PATH: Record<Wire, string> = { openai: "/v1/chat/completions", anthropic: "/v1/messages", ollama: "/api/chat" };

describe.each(CASES)("given the $provider provider and a stand-in speaking its API", ({ provider, wire, model, key, auth }) => {
  let upstream: StandIn;
  let gateway: RunningBackend;
  beforeAll(async () => {
    upstream = await startStandIn(wire);
    gateway = await startBackend({ LLM_PROVIDER: provider, LLM_BASE_URL: upstream.baseUrl, LLM_MODEL: model, ...(key && { LLM_API_KEY: key }) });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });
  const question = { messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Say hello" }] };

  it("when asked without streaming, then it relays the upstream's answer as an OpenAI chat.completion naming the provider", async () => {
    const response = await postChat(gateway.url, question);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-assistant-provider")).toBe(provider);
    const body = await json(response);
    expect(body).toMatchObject({ object: "chat.completion", model, choices: [{ index: 0, message: { role: "assistant", content: answerText(wire) }, finish_reason: "stop" }] });
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    const sent = upstream.received.at(-1)!;
    expect(sent.path).toBe(PATH[wire]);
    expect(sent.body.model).toBe(model);
    auth(sent.headers);
  });

  it("when asked to stream, then it relays the answer as OpenAI chunks ending in [DONE]", async () => {
    const response = await postChat(gateway.url, { ...question, stream: true, stream_options: { include_usage: true } });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(response.headers.get("x-assistant-provider")).toBe(provider);
    const events = await sseData(response);
    expect(events.at(-1)).toBe("[DONE]");
    expect(streamedText(events)).toBe(answerText(wire));
    const chunks = events.slice(0, -1) as { object: string; choices: { delta: unknown; finish_reason: string | null }[]; usage?: unknown }[];
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(chunks[0].choices[0].delta).toEqual({ role: "assistant", content: "" });
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe("stop");
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: expect.any(Number) } });
    expect(upstream.received.at(-1)!.body.stream).toBe(true);
  });

  it("then the tokens and the answer time are counted under its provider and model", async () => {
    expect(await metricValue(gateway.url, "ai_assistant_tokens_total", { provider, model, kind: "completion" })).toBeGreaterThan(0);
    expect(await metricValue(gateway.url, "ai_assistant_inference_duration_seconds_count", { provider, model })).toBe(2);
    expect(await metricValue(gateway.url, "ai_assistant_requests_total", { route: "/v1/chat/completions", status: "200" })).toBe(2);
  });
});

describe("given the mock provider", () => {
  let gateway: RunningBackend;
  beforeAll(async () => {
    gateway = await startBackend({ LLM_PROVIDER: "mock" });
  });
  afterAll(() => gateway.close());

  it("when the same question is asked twice, then the same canned answer streams word by word", async () => {
    const ask = async () => sseData(await postChat(gateway.url, { model: "mock", messages: [{ role: "user", content: "What is Kubernetes?" }], stream: true }));
    const [first, second] = [await ask(), await ask()];
    expect(streamedText(first)).toBe(streamedText(second));
    const pieces = first.slice(1, -2).map((e) => streamedText([e]));
    expect(pieces.length).toBe(streamedText(first).split(" ").length);
    expect(pieces.every((piece) => piece.trim().split(" ").length === 1)).toBe(true);
  });

  it("when the models are listed, then the mock model is served", async () => {
    const body = await json(await fetch(`${gateway.url}/v1/models`));
    expect(body).toEqual({ object: "list", data: [expect.objectContaining({ id: "mock", object: "model" })] });
  });
});

describe("given several local models on their own servers", () => {
  let first: StandIn;
  let second: StandIn;
  let gateway: RunningBackend;
  beforeAll(async () => {
    [first, second] = [await startStandIn("openai"), await startStandIn("openai")];
    gateway = await startBackend({
      LLM_PROVIDER: "vllm",
      LLM_BASE_URL: first.baseUrl,
      LLM_MODEL: "model-a",
      LLM_MODEL_ENDPOINTS: JSON.stringify({ "model-a": first.baseUrl, "model-b": second.baseUrl }),
    });
  });
  afterAll(async () => {
    await gateway.close();
    await Promise.all([first.close(), second.close()]);
  });

  it("when a request names a model, then it goes to that model's server; without one, to the default", async () => {
    await postChat(gateway.url, { model: "model-b", messages: [{ role: "user", content: "hi" }] });
    await postChat(gateway.url, { messages: [{ role: "user", content: "hi" }] });
    expect(second.received.map((r) => r.body.model)).toEqual(["model-b"]);
    expect(first.received.map((r) => r.body.model)).toEqual(["model-a"]);
    const listed = await json(await fetch(`${gateway.url}/v1/models`));
    expect(listed.data.map((m: { id: string }) => m.id)).toEqual(["model-a", "model-b"]);
  });
});
