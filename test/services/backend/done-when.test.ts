/**
 * The "done when", end to end: the backend process started with the environment of a rendered hosted-API
 * stack relays the hosted API's answer, with the stack's key sent as a bearer token, and answers from the mock
 * when the API fails.
 */
import { renderConfig } from "../../support/render";
import { HOSTED } from "../../support/configs";
import { answerText, StandIn, startStandIn } from "./support/stand-ins";
import { renderedBackendEnv } from "./support/rendered-env";
import { BackendProcess, spawnBackend } from "./support/process";
import { postChat, sseData, streamedText, USER_HELLO, json } from "./support/backend";

const API_KEY = "sk-hosted-api-key-of-the-stack";

describe("given the backend running with the environment of a rendered hosted-api stack", () => {
  let upstream: StandIn;
  let backend: BackendProcess;
  beforeAll(async () => {
    upstream = await startStandIn("openai");
    // The stack file holds the key as a secret; the render masks it, and the pod gets it from the Secret.
    const result = await renderConfig({ ...HOSTED, hostedApi: { provider: "openai-compatible", model: "stand-in-model", baseUrl: upstream.baseUrl, fallbackToMock: true } });
    // Only where it listens changes: loopback and a free port instead of the pod's 8080.
    backend = await spawnBackend({ ...renderedBackendEnv(result, API_KEY), HOST: "127.0.0.1", PORT: "0", BREAKER_FAILURES: "100" });
  }, 60_000);
  afterAll(async () => {
    await backend?.stop();
    await upstream?.close();
  });

  it("when a user asks, then the hosted API's answer is relayed and the key went as a bearer token", async () => {
    const response = await postChat(backend.url, USER_HELLO);
    expect(response.headers.get("x-assistant-provider")).toBe("openai-compatible");
    expect((await json(response)).choices[0].message.content).toBe(answerText("openai"));
    expect(upstream.received.at(-1)!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(upstream.received.at(-1)!.body).toMatchObject({ model: "stand-in-model", messages: USER_HELLO.messages });
  });

  it("when the hosted API fails, then the mock answers, streamed, and says so", async () => {
    upstream.always({ status: 500 });
    const response = await postChat(backend.url, { ...USER_HELLO, stream: true });
    expect([response.headers.get("x-assistant-provider"), response.headers.get("x-assistant-fallback")]).toEqual(["mock", "true"]);
    const events = await sseData(response);
    expect(streamedText(events).length).toBeGreaterThan(20);
    expect(events.at(-1)).toBe("[DONE]");
  });

  it("then its logs never held the key", () => {
    expect(JSON.stringify(backend.logs)).not.toContain(API_KEY);
  });
});
