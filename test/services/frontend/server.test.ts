import * as http from "http";
import { parseBackendEnv } from "../../../lib/backend-env";
import { AddressInfo } from "net";
import { join } from "path";
import { createFrontendServer, FrontendServer } from "../../../services/frontend/src/server";
import { CONTENT_SECURITY_POLICY } from "../../../services/frontend/src/security-headers";
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_SHUTDOWN_DRAIN_SECONDS, readSettings } from "../../../services/frontend/src/settings";

const PUBLIC_DIR = join(__dirname, "../../../services/frontend/public");

/** A stand-in backend on 127.0.0.1 whose handler each test sets; it records the requests it got. */
class Upstream {
  handler: http.RequestListener = (_req, res) => res.end();
  readonly requests: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  readonly server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      this.requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      this.handler(req, res);
    });
  });
  url = "";
  async start() {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}

async function startFrontend(backendUrl: string): Promise<{ frontend: FrontendServer; url: string }> {
  const frontend = createFrontendServer({ ...readSettings({ BACKEND_URL: backendUrl }), publicDir: PUBLIC_DIR });
  await new Promise<void>((resolve) => frontend.server.listen(0, "127.0.0.1", resolve));
  return { frontend, url: `http://127.0.0.1:${(frontend.server.address() as AddressInfo).port}` };
}

/** Silences the request log lines the server writes to stdout. */
beforeAll(() => jest.spyOn(process.stdout, "write").mockImplementation(() => true));
afterAll(() => jest.restoreAllMocks());

describe("the frontend server", () => {
  const upstream = new Upstream();
  let frontend: FrontendServer;
  let url: string;
  beforeAll(async () => {
    await upstream.start();
    ({ frontend, url } = await startFrontend(upstream.url));
  });
  afterAll(async () => {
    await frontend.shutdown(0);
    upstream.server.close();
  });

  describe("static files", () => {
    it("serves the chat page at / with an HTML type, revalidated on every load", async () => {
      const response = await fetch(`${url}/`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(response.headers.get("cache-control")).toBe("no-cache");
      expect(await response.text()).toContain('<script type="module" src="/app.js"></script>');
    });

    it.each([
      ["/app.js", "text/javascript; charset=utf-8"],
      ["/sse.js", "text/javascript; charset=utf-8"],
      ["/style.css", "text/css; charset=utf-8"],
      ["/favicon.svg", "image/svg+xml"],
    ])("serves %s as %s, cached briefly", async (path, type) => {
      const response = await fetch(`${url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe(type);
      expect(response.headers.get("cache-control")).toBe("public, max-age=300");
    });

    it("answers 304 without a body when the browser's copy is current, 200 when it is not", async () => {
      const etag = (await fetch(`${url}/app.js`)).headers.get("etag");
      expect(etag).toMatch(/^"[\w-]+"$/);
      const fresh = await fetch(`${url}/app.js`, { headers: { "If-None-Match": etag! } });
      expect(fresh.status).toBe(304);
      expect(await fresh.text()).toBe("");
      expect((await fetch(`${url}/app.js`, { headers: { "If-None-Match": '"stale"' } })).status).toBe(200);
    });

    it("answers unknown paths with a JSON 404 and other methods with 405", async () => {
      // Traversal (`/../`, `%2e%2e`, encoded slashes) is tested on a raw socket: fetch resolves it away before sending
      // (raw-requests.test.ts).
      const missing = await fetch(`${url}/no-such-file.js`);
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("not_found");
      const post = await fetch(`${url}/`, { method: "POST", body: "x" });
      expect(post.status).toBe(405);
      expect(post.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    });

    it("sends the security headers with every response", async () => {
      for (const path of ["/", "/app.js", "/healthz", "/missing"]) {
        const response = await fetch(`${url}${path}`);
        expect(response.headers.get("content-security-policy")).toBe(CONTENT_SECURITY_POLICY);
        expect(response.headers.get("x-content-type-options")).toBe("nosniff");
        expect(response.headers.get("x-frame-options")).toBe("DENY");
        expect(response.headers.get("referrer-policy")).toBe("no-referrer");
      }
      expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
      expect(CONTENT_SECURITY_POLICY).not.toContain("unsafe-inline");
    });
  });

  it("answers its health path without asking the backend", async () => {
    const before = upstream.requests.length;
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
    expect(upstream.requests.length).toBe(before);
  });

  describe("forwarding /v1/*", () => {
    it("passes method, path, query and body to the backend, and the answer's status and assistant headers back", async () => {
      upstream.handler = (_req, res) => {
        res.writeHead(429, { "Content-Type": "application/json", "Retry-After": "2", "X-Assistant-Provider": "openai", "X-Request-Id": "req-1", "Set-Cookie": "a=b", Server: "stand-in" });
        res.end('{"error":{"message":"slow down"}}');
      };
      const response = await fetch(`${url}/v1/chat/completions?x=1`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Cookie: "session=secret", "X-Request-Id": "from-browser" },
        body: '{"messages":[]}',
      });
      const got = upstream.requests.at(-1)!;
      expect(got).toMatchObject({ method: "POST", url: "/v1/chat/completions?x=1", body: '{"messages":[]}' });
      expect(got.headers["content-type"]).toBe("application/json");
      expect(got.headers["x-request-id"]).toBe("from-browser");
      expect(got.headers["x-forwarded-for"]).toBe("127.0.0.1");
      expect(got.headers.cookie).toBeUndefined();
      expect(response.status).toBe(429);
      expect(response.headers.get("retry-after")).toBe("2");
      expect(response.headers.get("x-assistant-provider")).toBe("openai");
      expect(response.headers.get("x-request-id")).toBe("req-1");
      expect(response.headers.get("set-cookie")).toBeNull();
      expect(response.headers.get("server")).toBeNull();
      expect(await response.json()).toEqual({ error: { message: "slow down" } });
    });

    it("gives every request an id when the browser sends none, and tells the browser", async () => {
      upstream.handler = (_req, res) => res.end("{}");
      const response = await fetch(`${url}/v1/models`);
      const id = upstream.requests.at(-1)!.headers["x-request-id"];
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers.get("x-request-id")).toBe(id);
    });

    it("streams server-sent events as the backend writes them, without waiting for the end", async () => {
      let finish!: () => void;
      upstream.handler = (_req, res) => {
        res.writeHead(200, { "Content-Type": "text/event-stream", "X-Assistant-Provider": "mock" });
        res.write('data: {"choices":[{"delta":{"content":"Hello"}}]}\n\n');
        finish = () => res.end("data: [DONE]\n\n");
      };
      const { response, firstChunk } = await new Promise<{ response: http.IncomingMessage; firstChunk: string }>((resolve, reject) => {
        const req = http.request(`${url}/v1/chat/completions`, { method: "POST", headers: { "Content-Type": "application/json" } }, (response) => {
          response.setEncoding("utf8");
          response.once("data", (firstChunk: string) => resolve({ response, firstChunk }));
        });
        req.on("error", reject);
        req.end('{"stream":true}');
      });
      // The backend has not ended its answer, yet the first event is here.
      expect(firstChunk).toBe('data: {"choices":[{"delta":{"content":"Hello"}}]}\n\n');
      expect(response.headers["content-type"]).toBe("text/event-stream");
      expect(response.headers["x-assistant-provider"]).toBe("mock");
      expect(response.headers["x-accel-buffering"]).toBe("no");
      const rest = new Promise<string>((resolve) => {
        let text = "";
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve(text));
      });
      finish();
      expect(await rest).toBe("data: [DONE]\n\n");
    });

    it("cancels the backend's request when the browser goes away mid-stream", async () => {
      const upstreamClosed = new Promise<boolean>((resolve) => {
        upstream.handler = (_req, res) => {
          res.writeHead(200, { "Content-Type": "text/event-stream" });
          res.write("data: {}\n\n");
          res.on("close", () => resolve(res.writableFinished));
        };
      });
      await new Promise<void>((resolve) => {
        const req = http.request(`${url}/v1/chat/completions`, { method: "POST" }, (response) => {
          response.once("data", () => {
            req.destroy();
            resolve();
          });
        });
        req.on("error", () => undefined);
        req.end("{}");
      });
      // The backend's response closed before it finished: its stream was cut off, not completed.
      expect(await upstreamClosed).toBe(false);
    });
  });
});

describe("the frontend server without a backend", () => {
  it("answers /v1/* with a 502 in OpenAI's error shape", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { frontend, url } = await startFrontend(`http://127.0.0.1:${port}`);
    try {
      const response = await fetch(`${url}/v1/chat/completions`, { method: "POST", body: "{}" });
      expect(response.status).toBe(502);
      expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect(await response.json()).toEqual({
        error: { message: "the backend is unreachable (ECONNREFUSED)", type: "server_error", param: null, code: "backend_unreachable" },
      });
    } finally {
      await frontend.shutdown(0);
    }
  });
});

describe("shutting down", () => {
  it("lets an answer in flight finish, and refuses new connections", async () => {
    const upstream = new Upstream();
    await upstream.start();
    let finish!: () => void;
    upstream.handler = (_req, res) => {
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      res.write("data: one\n\n");
      finish = () => res.end("data: [DONE]\n\n");
    };
    const { frontend, url } = await startFrontend(upstream.url);
    // Wrapped, since a promise resolved with a promise would wait for it.
    const { body } = await new Promise<{ body: Promise<string> }>((resolve) => {
      http
        .request(`${url}/v1/chat/completions`, { method: "POST" }, (response) => {
          let text = "";
          response.setEncoding("utf8");
          const ended = new Promise<string>((done) => response.on("end", () => done(text)));
          response.on("data", (chunk: string) => {
            text += chunk;
            resolve({ body: ended });
          });
        })
        .end("{}");
    });
    const stopped = frontend.shutdown(10);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    finish();
    expect(await body).toBe("data: one\n\ndata: [DONE]\n\n");
    await stopped;
    upstream.server.close();
  });
});

describe("settings", () => {
  it("defaults to port 3000 and the backend of `npm run backend`", () => {
    const settings = readSettings({});
    expect(settings.port).toBe(3000);
    expect(settings.backendUrl.href).toBe("http://127.0.0.1:8080/");
    expect(settings.shutdownGraceSeconds).toBe(25);
    expect(settings.shutdownDrainSeconds).toBe(DEFAULT_SHUTDOWN_DRAIN_SECONDS);
    expect(settings.maxBodyBytes).toBe(DEFAULT_MAX_BODY_BYTES);
  });

  it("drains and limits bodies as the backend does by default, so a body the backend would refuse never leaves", () => {
    const backend = parseBackendEnv({ LLM_PROVIDER: "mock" });
    expect(DEFAULT_SHUTDOWN_DRAIN_SECONDS * 1000).toBe(backend.shutdownDrainMs);
    expect(DEFAULT_MAX_BODY_BYTES).toBe(backend.limits.bodyBytes);
  });

  it.each([
    [{ PORT: "80a" }, 'PORT: expected an integer from 0 to 65535, found "80a"'],
    [{ PORT: "70000" }, 'PORT: expected an integer from 0 to 65535, found "70000"'],
    [{ BACKEND_URL: "backend:8080" }, 'BACKEND_URL: expected an http(s) URL such as http://127.0.0.1:8080, found "backend:8080"'],
    [{ BACKEND_URL: "http://user:pw@backend" }, 'BACKEND_URL: expected a base URL without query, fragment or credentials, found "http://[redacted]@backend"'],
    [{ BACKEND_URL: "http://backend/?key=secret" }, 'BACKEND_URL: expected a base URL without query, fragment or credentials, found "http://backend/?[redacted]"'],
  ])("refuses %j with one line naming the variable", (env, message) => {
    expect(() => readSettings(env)).toThrow(message);
  });
});
