/**
 * The frontend server asked on a raw TCP socket, byte for byte: `fetch` (WHATWG URL parsing) resolves `/../` and
 * `%2e%2e` away before sending, so a path-traversal test through it passes even against a server that serves any
 * path. Here the request line goes out exactly as written, as an attacker's client would send it.
 */
import * as http from "http";
import { AddressInfo, connect } from "net";
import { join } from "path";
import { createFrontendServer, FrontendServer } from "../../../services/frontend/src/server";
import { readSettings } from "../../../services/frontend/src/settings";

const PUBLIC_DIR = join(__dirname, "../../../services/frontend/public");

interface RawAnswer {
  status: number;
  headers: string;
  body: string;
}

/** Sends `head` (request line and headers, without the blank line) and reads the whole answer. */
function raw(port: number, head: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.end(`${head}\r\nConnection: close\r\n\r\n`));
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const split = text.indexOf("\r\n\r\n");
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), headers: text.slice(0, split), body: text.slice(split + 4) });
    });
  });
}

/** Text found in files beside public/ (the server's source, its package, the repository's own files), never in it. */
const OUTSIDE_MARKERS = ["createFrontendServer", "@ai-assistant/frontend", "\"name\": \"ai-assistant\"", "root:x:0:0", "ai-assistant:phase"];

/** A stand-in backend that records the headers it receives. */
const received: http.IncomingHttpHeaders[] = [];
const backend = http.createServer((req, res) => {
  received.push(req.headers);
  req.resume();
  req.on("end", () => res.writeHead(200, { "Content-Type": "application/json" }).end("{}"));
});

let frontend: FrontendServer;
let port: number;

beforeAll(async () => {
  jest.spyOn(process.stdout, "write").mockImplementation(() => true);
  await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
  const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  frontend = createFrontendServer({ ...readSettings({ BACKEND_URL: backendUrl }), publicDir: PUBLIC_DIR });
  await new Promise<void>((resolve) => frontend.server.listen(0, "127.0.0.1", resolve));
  port = (frontend.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await frontend.shutdown(0);
  backend.close();
  jest.restoreAllMocks();
});

describe("path traversal on the wire", () => {
  it("the socket really sends what fetch would not: a file the server has comes back for its plain path", async () => {
    const page = await raw(port, "GET /app.js HTTP/1.1\r\nHost: chat");
    expect(page.status).toBe(200);
    expect(page.body.length).toBeGreaterThan(100);
  });

  it.each([
    "/../src/server.ts",
    "/../package.json",
    "/../../../package.json",
    "/../../../Pulumi.dev.yaml",
    "/../../../../../../../../etc/passwd",
    "/%2e%2e/src/server.ts",
    "/%2E%2E/package.json",
    "/.%2e/.%2e/.%2e/package.json",
    "/..%2fpackage.json",
    "/%2e%2e%2fsrc%2fserver.ts",
    "/..%2F..%2F..%2Fpackage.json",
    "/..\\package.json",
    "/..\\..\\..\\package.json",
    "/%2e%2e%5cpackage.json",
    "/./../package.json",
    "//../package.json",
    "/app.js/../../package.json",
    "/%252e%252e/package.json",
    "/..%00/package.json",
  ])("GET %s answers 400 or 404 and serves nothing from outside public/", async (target) => {
    const answer = await raw(port, `GET ${target} HTTP/1.1\r\nHost: chat`);
    expect([400, 404]).toContain(answer.status);
    for (const marker of OUTSIDE_MARKERS) expect(answer.body).not.toContain(marker);
  });

  it("an absolute-form request line names no file either", async () => {
    const answer = await raw(port, "GET http://chat/../package.json HTTP/1.1\r\nHost: chat");
    expect([400, 404]).toContain(answer.status);
    for (const marker of OUTSIDE_MARKERS) expect(answer.body).not.toContain(marker);
  });
});

describe("X-Forwarded-For on the wire", () => {
  it("appends the peer's address to the header the proxy in front sent", async () => {
    const got = await sendWithBody(port, "X-Forwarded-For: 203.0.113.9");
    expect(got["x-forwarded-for"]).toBe("203.0.113.9, 127.0.0.1");
  });

  it("keeps a whole chain, and appends once", async () => {
    const got = await sendWithBody(port, "X-Forwarded-For: 6.6.6.6, 198.51.100.23");
    expect(got["x-forwarded-for"]).toBe("6.6.6.6, 198.51.100.23, 127.0.0.1");
  });

  it("joins repeated header lines in order before appending, so no entry is lost or moved to the end", async () => {
    const got = await sendWithBody(port, "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 198.51.100.23");
    expect(got["x-forwarded-for"]).toBe("6.6.6.6, 198.51.100.23, 127.0.0.1");
  });

  it("starts the header with the peer when none came", async () => {
    const got = await sendWithBody(port, "");
    expect(got["x-forwarded-for"]).toBe("127.0.0.1");
  });

});

/** POSTs a small chat body with `extraHeaders` (CRLF-separated lines) and returns the headers the backend got. */
async function sendWithBody(to: number, extraHeaders: string): Promise<http.IncomingHttpHeaders> {
  const before = received.length;
  const body = '{"model":"m","messages":[{"role":"user","content":"hi"}]}';
  const lines = ["POST /v1/chat/completions HTTP/1.1", "Host: chat", "Content-Type: application/json", `Content-Length: ${Buffer.byteLength(body)}`];
  if (extraHeaders) lines.push(extraHeaders);
  const answer = await new Promise<number>((resolve, reject) => {
    const socket = connect(to, "127.0.0.1", () => socket.write(`${lines.join("\r\n")}\r\nConnection: close\r\n\r\n${body}`));
    let text = "";
    socket.on("data", (chunk) => (text += chunk.toString("utf8")));
    socket.on("error", reject);
    socket.on("close", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
  });
  expect(answer).toBe(200);
  expect(received.length).toBe(before + 1);
  return received.at(-1)!;
}
