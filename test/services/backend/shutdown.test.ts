/**
 * Graceful shutdown of the real process: on SIGTERM it stops accepting connections and reports not ready, lets an
 * answer in progress stream to its end, then exits 0; an answer longer than the grace period is cut when it ends.
 */
import { request } from "http";
import { spawnBackend } from "./support/process";
import { postChat, sseData, streamedText, USER_HELLO } from "./support/backend";
import { mockAnswer } from "../../../services/backend/src/providers/mock";

const ANSWER = mockAnswer(USER_HELLO.messages as never);

describe("given a backend streaming a slow mock answer", () => {
  it("when it gets SIGTERM, then it refuses new connections, finishes the stream, and exits 0", async () => {
    // About 20 words at 40 ms: the answer takes ~0.8 s, well within the grace period.
    const backend = await spawnBackend({ LLM_PROVIDER: "mock", MOCK_WORD_DELAY_MS: "40", SHUTDOWN_GRACE_SECONDS: "10" });
    const streaming = postChat(backend.url, { ...USER_HELLO, stream: true });
    const response = await streaming;
    expect(response.status).toBe(200);
    const events = sseData(response);
    backend.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 150));
    const refused = await fetch(`${backend.url}/healthz`).then(() => "accepted", (error: Error) => (error.cause as { code?: string })?.code ?? error.message);
    expect(refused).toBe("ECONNREFUSED");
    const received = await events;
    expect(streamedText(received)).toBe(ANSWER);
    expect(received.at(-1)).toBe("[DONE]");
    expect(await backend.exited).toBe(0);
    expect(backend.logs.map((l) => l.msg)).toEqual(["listening", "shutting down", "request", "stopped"]);
  });

  it("when the answer outlasts the grace period, then the process exits when the grace period ends", async () => {
    const backend = await spawnBackend({ LLM_PROVIDER: "mock", MOCK_WORD_DELAY_MS: "1000", SHUTDOWN_GRACE_SECONDS: "1" });
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
