/**
 * Zero-downtime drains (issue 15, item 5), with real processes: the frontend forwards to two backends through a
 * Service stand-in that routes new connections by readiness (test/services/support/balancer.ts). Chat requests,
 * JSON and streamed, run through the frontend without pause while one backend gets SIGTERM: it fails readiness,
 * keeps answering through its drain (5 s, the default, longer than the 4 s the frontend keeps an idle connection),
 * then closes. Not one request fails, every stream ends with [DONE], and the other backend takes over.
 */
import { spawnBackend, BackendProcess } from "./backend/support/process";
import { Balancer, startBalancer } from "./support/balancer";
import { FrontendProcess, spawnFrontend } from "./support/frontend-process";

const ASK = { messages: [{ role: "user", content: "What does a drain do?" }] };

interface Outcome {
  status: number | string;
  complete: boolean;
  /** When the request was sent (ms since the epoch). */
  at?: number;
}

async function ask(url: string, stream: boolean): Promise<Outcome> {
  try {
    const response = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...ASK, stream }) });
    const text = await response.text();
    if (!stream) return { status: response.status, complete: Boolean((JSON.parse(text) as { choices?: { message?: { content?: string } }[] }).choices?.[0]?.message?.content) };
    return { status: response.status, complete: text.endsWith("data: [DONE]\n\n") && !text.includes('"error"') };
  } catch (error) {
    return { status: (error as Error).message, complete: false };
  }
}

describe("given the frontend in front of two backends behind a readiness-routed Service", () => {
  let backends: BackendProcess[] = [];
  let balancer: Balancer;
  let frontend: FrontendProcess;
  beforeAll(async () => {
    const env = { LLM_PROVIDER: "mock", MOCK_WORD_DELAY_MS: "5", SHUTDOWN_DRAIN_SECONDS: "5", SHUTDOWN_GRACE_SECONDS: "10" };
    backends = await Promise.all([spawnBackend(env), spawnBackend(env)]);
    balancer = await startBalancer(backends.map((b) => b.url));
    frontend = await spawnFrontend({ BACKEND_URL: balancer.url, SHUTDOWN_DRAIN_SECONDS: "0" });
  }, 30_000);
  afterAll(async () => {
    await frontend?.stop();
    await balancer?.close();
    await Promise.all(backends.map((b) => b.stop()));
  });

  it("when one backend is sent SIGTERM under load, then no request fails and the other takes over", async () => {
    const [leaving, staying] = backends;
    const outcomes: Outcome[] = [];
    const started = Date.now();
    const deadline = started + 8000;
    const loops = Array.from({ length: 6 }, async (_, i) => {
      for (let n = 0; Date.now() < deadline; n++) {
        const at = Date.now();
        outcomes.push({ ...(await ask(frontend.url, (i + n) % 2 === 0)), at });
      }
    });
    await new Promise((r) => setTimeout(r, 1000));
    const before = [...balancer.connections.values()];
    const signalled = Date.now();
    leaving.child.kill("SIGTERM");
    const exitCode = await leaving.exited;
    const exitedAt = Date.now();
    const drainedAfter = Date.now() - started - 1000;
    await Promise.all(loops);

    const failed = outcomes.filter((o) => o.status !== 200 || !o.complete);
    expect({ failed: failed.slice(0, 5), count: failed.length }).toEqual({ failed: [], count: 0 });
    expect(exitCode).toBe(0);
    // It served through its drain, then stopped: the load ran on past its exit.
    expect(drainedAfter).toBeGreaterThanOrEqual(5000);
    expect(before.every((n) => n > 0)).toBe(true);
    // Requests were sent throughout: before the signal, during the drain, and after the exit (however busy the machine).
    const sent = (from: number, to: number) => outcomes.filter((o) => o.at! >= from && o.at! < to).length;
    expect([sent(started, signalled), sent(signalled, exitedAt), sent(exitedAt, Infinity)].every((n) => n > 0)).toBe(true);
    // Requests after the exit were all answered by the backend that stayed.
    expect((await fetch(`${staying.url}/readyz`)).status).toBe(200);
    expect(leaving.logs.map((l) => l.msg).filter((m) => m !== "request")).toEqual(["listening", "shutting down", "stopped"]);
  }, 30_000);
});
