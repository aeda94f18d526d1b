/**
 * A local model that sleeps (scaled to zero by KEDA): while its Service has no endpoints, connections are refused,
 * and the backend answers from the hosted fallback at once, counts the request as `asleep` (the counter KEDA wakes
 * the server on), and stays ready; once the server is back, answers come from it again.
 */
import { createConnection, createServer, Server, Socket } from "net";
import { BACKEND_METRICS } from "../../../lib/metrics-contract";
import { answerText, StandIn, startStandIn } from "./support/stand-ins";
import { json, metricValue, postChat, RunningBackend, sseData, startBackend, streamedText, USER_HELLO } from "./support/backend";

const MODEL = "Qwen/Qwen2.5-7B-Instruct";
const COUNTER = BACKEND_METRICS.localModelRequests.name;

/**
 * The local model server's address, as its Service would be: closed while the server sleeps (connections refused,
 * as kube-proxy refuses them for a Service without endpoints), forwarding to the stand-in vLLM once it is awake.
 */
class SleepingService {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private constructor(readonly port: number, private readonly target: StandIn) {}

  static async create(target: StandIn): Promise<SleepingService> {
    // Take a free port from the OS, then let it go: the service starts asleep on it.
    const probe = createServer();
    const port = await new Promise<number>((resolve) => probe.listen(0, "127.0.0.1", () => resolve((probe.address() as { port: number }).port)));
    await new Promise((resolve) => probe.close(resolve));
    return new SleepingService(port, target);
  }

  async wake(): Promise<void> {
    const upstream = new URL(this.target.url);
    this.server = createServer((client) => {
      const server = createConnection(Number(upstream.port), upstream.hostname);
      for (const socket of [client, server]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => socket.destroy());
      }
      client.pipe(server).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, "127.0.0.1", resolve));
  }

  async sleep(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (this.server) await new Promise((resolve) => this.server!.close(resolve));
    this.server = undefined;
  }
}

describe("given vLLM as the local model with the hosted API as its fallback", () => {
  let local: StandIn;
  let hosted: StandIn;
  let service: SleepingService;
  let gateway: RunningBackend;
  const count = (reason: string) => metricValue(gateway.url, COUNTER, { model: MODEL, reason });

  beforeAll(async () => {
    local = await startStandIn("openai");
    hosted = await startStandIn("openai");
    service = await SleepingService.create(local);
    gateway = await startBackend({
      LLM_PROVIDER: "vllm",
      LLM_BASE_URL: `http://127.0.0.1:${service.port}/v1`,
      LLM_MODEL: MODEL,
      LLM_FALLBACK: "hosted",
      FALLBACK_PROVIDER: "openai",
      FALLBACK_BASE_URL: hosted.baseUrl,
      FALLBACK_MODEL: "gpt-4o-mini",
      LLM_API_KEY: "test-key",
      LLM_TIMEOUT_SECONDS: "2",
      BREAKER_FAILURES: "2",
      BREAKER_COOLDOWN_SECONDS: "1",
    });
  });
  afterAll(async () => {
    await gateway.close();
    await service.sleep();
    await local.close();
    await hosted.close();
  });

  it("when it has served nothing yet, then its request counter exists at 0 for every reason (so rate() sees the first request)", async () => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    for (const reason of ["served", "asleep", "failed"]) expect(text).toContain(`${COUNTER}{model="${MODEL}",reason="${reason}"} 0`);
  });

  it("when the local model sleeps, then the hosted API answers at once (no retries), the request counts as asleep, and the backend stays ready", async () => {
    const started = Date.now();
    const response = await postChat(gateway.url, { ...USER_HELLO, model: MODEL });
    expect(response.status).toBe(200);
    expect([response.headers.get("x-assistant-provider"), response.headers.get("x-assistant-fallback")]).toEqual(["openai", "true"]);
    expect((await json(response)).choices[0].message.content).toBe(answerText("openai"));
    // A retry would wait for backoff first; a sleeping server takes minutes to wake, so none is made.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(local.received).toHaveLength(0);
    expect(await count("asleep")).toBe(1);
    expect(await count("served")).toBe(0);
    const ready = await fetch(`${gateway.url}/readyz`);
    expect(ready.status).toBe(200);
  });

  it("when it is still asleep, then a stream is answered by the hosted API, and once its circuit opens requests still count as asleep", async () => {
    const streamed = await postChat(gateway.url, { ...USER_HELLO, model: MODEL, stream: true });
    expect(streamed.headers.get("x-assistant-provider")).toBe("openai");
    expect(streamedText(await sseData(streamed))).toBe(answerText("openai"));
    // Two refusals opened the circuit (BREAKER_FAILURES 2): the next request skips the local model altogether.
    const skipped = await postChat(gateway.url, { ...USER_HELLO, model: MODEL });
    expect(skipped.headers.get("x-assistant-provider")).toBe("openai");
    expect(await count("asleep")).toBe(3);
    expect(local.received).toHaveLength(0);
  });

  it("when the server is awake again, then answers come from it, counted as served", async () => {
    await service.wake();
    // The circuit's cooldown (1 s) passes; its half-open trial reaches the awake server.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const response = await postChat(gateway.url, { ...USER_HELLO, model: MODEL });
    expect(response.headers.get("x-assistant-provider")).toBe("vllm");
    expect(response.headers.get("x-assistant-fallback")).toBeNull();
    expect(local.received).toHaveLength(1);
    const again = await postChat(gateway.url, { ...USER_HELLO, model: MODEL });
    expect(again.headers.get("x-assistant-provider")).toBe("vllm");
    expect(await count("served")).toBe(2);
    expect(await count("asleep")).toBe(3);
  });

  it("when the awake server fails with 500s, then it is retried, the hosted API answers, and the request counts as failed, not asleep", async () => {
    local.script({ status: 500 }, { status: 500 }, { status: 500 });
    const before = local.received.length;
    const response = await postChat(gateway.url, { ...USER_HELLO, model: MODEL });
    expect(response.headers.get("x-assistant-provider")).toBe("openai");
    expect(local.received.length - before).toBe(3);
    expect(await count("failed")).toBe(1);
    expect(await count("asleep")).toBe(3);
  });
});

describe("given a hosted provider only", () => {
  it("then no local-model requests are counted at all", async () => {
    const hosted = await startStandIn("openai");
    const gateway = await startBackend({ LLM_PROVIDER: "openai", LLM_BASE_URL: hosted.baseUrl, LLM_MODEL: "gpt-4o-mini", LLM_API_KEY: "test-key" });
    try {
      await postChat(gateway.url, USER_HELLO);
      expect(await (await fetch(`${gateway.url}/metrics`)).text()).not.toContain(`${COUNTER}{`);
    } finally {
      await gateway.close();
      await hosted.close();
    }
  });
});
