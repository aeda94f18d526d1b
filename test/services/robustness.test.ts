/**
 * Nothing a client sends stops a server (issue 15, item 1). The real backend and the real frontend in front of it run
 * as processes; requests are written byte for byte on sockets. First the crash that was found (`POST /v1/models`
 * threw out of the request handler and the process exited), then every route with every method, then generated
 * requests (fast-check: methods, paths, headers, content types and codings, bodies of every shape and size, clients
 * that leave mid-request): every answer is a well-formed HTTP response, never a 5xx, an error is OpenAI's JSON shape
 * with a bounded message, and at the end both processes are alive, ready and logged no uncaught exception.
 */
import fc from "fast-check";
import { spawnBackend, BackendProcess } from "./backend/support/process";
import { FrontendProcess, spawnFrontend } from "./support/frontend-process";
import { RawRequest, RawResponse, rawRequest } from "./support/raw-http";

const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "FOO"];
const BACKEND_ROUTES: Record<string, string[]> = {
  "/v1/chat/completions": ["POST"],
  "/v1/models": ["GET", "HEAD"],
  "/healthz": ["GET", "HEAD"],
  "/readyz": ["GET", "HEAD"],
  "/metrics": ["GET", "HEAD"],
};

let backend: BackendProcess;
let frontend: FrontendProcess;
const port = (url: string) => Number(new URL(url).port);

beforeAll(async () => {
  backend = await spawnBackend({ LLM_PROVIDER: "mock", MOCK_WORD_DELAY_MS: "0", SHUTDOWN_DRAIN_SECONDS: "0" });
  frontend = await spawnFrontend({ BACKEND_URL: backend.url, SHUTDOWN_DRAIN_SECONDS: "0" });
}, 30_000);

afterAll(async () => {
  await Promise.all([frontend?.stop(), backend?.stop()]);
});

const send = async (url: string, request: Partial<RawRequest> & { method: string; path: string }) =>
  (await rawRequest(port(url), { headers: [], body: Buffer.alloc(0), ...request })) as RawResponse;

/** An error answer in OpenAI's shape, its message short (client input is echoed only as an excerpt). */
function expectJsonError(response: RawResponse): void {
  expect(response.headers["content-type"]).toMatch(/^application\/json/);
  const { error } = JSON.parse(response.body.toString("utf8")) as { error: { message: string; type: string; code: string | null } };
  expect(typeof error.message).toBe("string");
  expect(error.message.length).toBeLessThan(400);
  expect(typeof error.type).toBe("string");
}

async function expectAliveAndReady(): Promise<void> {
  expect([backend.child.exitCode, frontend.child.exitCode]).toEqual([null, null]);
  expect((await fetch(`${backend.url}/readyz`)).status).toBe(200);
  expect((await fetch(`${frontend.url}/readyz`)).status).toBe(200);
  const uncaught = [...backend.logs, ...frontend.logs].filter((line) => String(line.msg).startsWith("uncaught") || String(line.msg).startsWith("unhandled"));
  expect(uncaught).toEqual([]);
}

describe("given the backend and the frontend running as processes", () => {
  it("when POST /v1/models arrives (it used to throw out of the handler and end the process), then it is a 405 with Allow, and the backend lives on", async () => {
    for (const url of [backend.url, frontend.url]) {
      const response = await send(url, { method: "POST", path: "/v1/models", headers: [["Content-Type", "application/json"], ["Content-Length", "2"]], body: Buffer.from("{}") });
      expect([response.status, response.headers.allow]).toEqual([405, "GET, HEAD, OPTIONS"]);
      expectJsonError(response);
    }
    await expectAliveAndReady();
  });

  it("when every method is sent to every backend route, then each answers: its own methods, 204 with Allow for OPTIONS, 405 with Allow otherwise", async () => {
    for (const [path, methods] of Object.entries(BACKEND_ROUTES)) {
      for (const method of METHODS) {
        const response = await send(backend.url, { method, path, headers: [["Content-Type", "application/json"], ["Content-Length", "2"]], body: Buffer.from("{}") });
        const allowed = [...methods, "OPTIONS"].join(", ");
        if (method === "OPTIONS") expect([method, path, response.status, response.headers.allow]).toEqual([method, path, 204, allowed]);
        else if (methods.includes(method)) expect([method, path, response.status < 500]).toEqual([method, path, true]);
        else if (["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "TRACE", "PROPFIND"].includes(method)) {
          expect([method, path, response.status, response.headers.allow]).toEqual([method, path, 405, allowed]);
          if (method !== "HEAD") expectJsonError(response);
        } else if (method === "CONNECT") {
          // node hands CONNECT to a `connect` listener, and without one drops the socket unanswered.
          expect([method, path, response.status]).toEqual([method, path, 405]);
          expectJsonError(response);
        } else expect([method, path, response.status]).toEqual([method, path, 400]); // a method node's parser does not know
      }
    }
    // HEAD is answered like GET, without a body.
    const head = await send(backend.url, { method: "HEAD", path: "/v1/models" });
    expect([head.status, head.body.length]).toEqual([200, 0]);
    await expectAliveAndReady();
  });

  it("when generated requests of every kind arrive, some cut off mid-way, then each gets a well-formed answer and no 5xx, directly and through the frontend", async () => {
    const printable = (max: number) => fc.string({ unit: "grapheme-ascii", maxLength: max });
    const chat = fc.record({
      model: fc.option(fc.oneof(fc.constant("mock"), printable(40), fc.constant("m".repeat(5000))), { nil: undefined }),
      messages: fc.oneof(
        fc.array(fc.record({ role: fc.constantFrom("user", "system", "assistant", "tool", "x"), content: fc.oneof(printable(60), fc.integer(), fc.constant(null)) }), { maxLength: 4 }),
        fc.constant("not a list"),
      ),
      stream: fc.oneof(fc.boolean(), fc.constant("yes")),
      temperature: fc.option(fc.double({ noNaN: false }), { nil: undefined }),
    });
    // Bodies as text (the 1 MiB+ one as a marker), so that a counterexample prints short; bytes are made per run.
    const LARGE = "<larger than 1 MiB>";
    const body = fc.oneof(
      { weight: 4, arbitrary: chat.map((value) => JSON.stringify(value)) },
      { weight: 2, arbitrary: fc.json() },
      { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
      { weight: 1, arbitrary: fc.constant("") },
      // Larger than the 1 MiB limit: 413 from the backend, and from the frontend before it writes a byte on.
      { weight: 1, arbitrary: fc.constant(LARGE) },
    );
    const path = fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom("/v1/chat/completions", "/v1/models", "/healthz", "/readyz", "/metrics", "/", "/app.js", "/v1/", "/v1/completions") },
      { weight: 1, arbitrary: printable(80).map((p) => `/${p.replace(/[\s]/g, "%20")}`) },
      { weight: 1, arbitrary: fc.constantFrom("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/v1/chat/completions?x=1&y=%ff", "*", "//v1//models", "/v1/chat%2Fcompletions") },
    );
    const contentType = fc.constantFrom(undefined, "application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx");
    const contentEncoding = fc.constantFrom(undefined, undefined, undefined, "gzip", "br", "identity", "deflate, gzip");
    const request = fc.record({
      method: fc.oneof({ weight: 5, arbitrary: fc.constantFrom("POST", "GET") }, { weight: 2, arbitrary: fc.constantFrom(...METHODS) }),
      path,
      contentType,
      contentEncoding,
      requestId: fc.option(printable(200), { nil: undefined }),
      forwardedFor: fc.option(printable(60), { nil: undefined }),
      extra: fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/), printable(100)), { maxLength: 3 }),
      body,
      abort: fc.boolean().map((b) => b && Math.random() < 0.2),
      target: fc.constantFrom("backend", "frontend"),
    });
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const bytes = r.body === LARGE ? Buffer.alloc(1024 * 1024 + 10, "a") : Buffer.from(r.body, "utf8");
        const headers: [string, string][] = [["Content-Length", String(bytes.length)]];
        if (r.contentType) headers.push(["Content-Type", r.contentType]);
        if (r.contentEncoding) headers.push(["Content-Encoding", r.contentEncoding]);
        if (r.requestId !== undefined) headers.push(["X-Request-Id", r.requestId]);
        if (r.forwardedFor !== undefined) headers.push(["X-Forwarded-For", r.forwardedFor]);
        for (const [name, value] of r.extra) if (!/^(content-length|transfer-encoding|connection|host|expect)$/i.test(name)) headers.push([name, value]);
        const url = r.target === "backend" ? backend.url : frontend.url;
        const response = await rawRequest(port(url), { method: r.method, path: r.path, headers, body: bytes, abort: r.abort });
        if (response === "aborted") return;
        answered++;
        expect(response.status).toBeGreaterThanOrEqual(200);
        expect(response.status).toBeLessThan(500);
        const isJson = /^application\/json/.test(response.headers["content-type"] ?? "");
        if (response.status >= 400 && r.method !== "HEAD" && response.body.length > 0 && isJson) expectJsonError(response);
      }),
      { numRuns: 200, interruptAfterTimeLimit: 15_000 },
    );
    expect(answered).toBeGreaterThan(100);
    await expectAliveAndReady();
  }, 60_000);
});
