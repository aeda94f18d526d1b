/**
 * Graceful shutdown of the real process: on SIGTERM it reports not ready at once and keeps serving new requests for
 * the drain period, then stops accepting connections, lets an answer in progress stream to its end, then exits 0;
 * an answer longer than the grace period is cut when it ends.
 */
import { request } from "http";
import { spawnBackend } from "./support/process";
import { postChat, sseData, streamedText, USER_HELLO } from "./support/backend";
import { mockAnswer } from "../../../services/backend/src/providers/mock";

const ANSWER = mockAnswer(USER_HELLO.messages as never);

describe("given a backend streaming a slow mock answer", () => {
  it("when it gets SIGTERM, then it fails readiness but serves through the drain, then refuses connections, finishes the stream, and exits 0", async () => {
    // About 20 words at 60 ms: the answer takes ~1.2 s, past the 0.5 s drain and well within the grace period.
    const backend = await spawnBackend({ LLM_PROVIDER: "mock", MOCK_WORD_DELAY_MS: "60", SHUTDOWN_DRAIN_SECONDS: "1", SHUTDOWN_GRACE_SECONDS: "10" });
    const response = await postChat(backend.url, { ...USER_HELLO, stream: true });
    expect(response.status).toBe(200);
    const events = sseData(response);
    const signalled = Date.now();
    backend.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 150));
    // Draining: not ready (with a Retry-After, as every 503), yet a new request is still answered, on a closing connection.
    const ready = await fetch(`${backend.url}/readyz`);
    expect([ready.status, ((await ready.json()) as { status: string }).status, ready.headers.get("retry-after")]).toEqual([503, "draining", "11"]);
    const during = await postChat(backend.url, USER_HELLO);
    expect([during.status, during.headers.get("connection")]).toEqual([200, "close"]);
    await during.text();
    // After the drain: the listener is closed.
    await new Promise((r) => setTimeout(r, Math.max(0, 1200 - (Date.now() - signalled))));
    const refused = await fetch(`${backend.url}/healthz`).then(() => "accepted", (error: Error) => (error.cause as { code?: string })?.code ?? error.message);
    expect(refused).toBe("ECONNREFUSED");
    const received = await events;
    expect(streamedText(received)).toBe(ANSWER);
    expect(received.at(-1)).toBe("[DONE]");
    expect(await backend.exited).toBe(0);
    expect(backend.logs.map((l) => l.msg)).toEqual(["listening", "shutting down", "request", "request", "stopped"]);
  });

  it("when the answer outlasts the grace period, then the process exits when the grace period ends", async () => {
    const backend = await spawnBackend({ LLM_PROVIDER: "mock", MOCK_WORD_DELAY_MS: "1000", SHUTDOWN_DRAIN_SECONDS: "0", SHUTDOWN_GRACE_SECONDS: "1" });
    const cut = new Promise<string>((resolve) => {
      const req = request(`${backend.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
        res.on("data", () => undefined);
        res.on("end", () => resolve("ended"));
        res.on("error", () => resolve("cut"));
        res.on("aborted", () => resolve("cut"));
      });
      req.on("error", () => resolve("cut"));
      req.end(JSON.stringify({ ...USER_HELLO, stream: true }));
    });
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    backend.child.kill("SIGTERM");
    expect(await backend.exited).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(5000);
    // The answer needed ~20 s: it was cut, and the client sees a broken stream, never a clean end.
    expect(await cut).toBe("cut");
    expect(backend.logs.some((l) => l.msg === "grace period over; closing the connections still answering")).toBe(true);
  });
});
