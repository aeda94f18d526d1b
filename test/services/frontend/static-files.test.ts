/**
 * The frontend serves its text files gzipped to clients that accept gzip (and only to them), with an ETag per
 * encoding and `Vary: Accept-Encoding`, so caches never hand a gzipped body to a client that cannot read it.
 * Requests go over a raw `http.get`, which (unlike fetch) sends no Accept-Encoding of its own and decodes nothing.
 */
import * as http from "http";
import { AddressInfo } from "net";
import { join } from "path";
import { gunzipSync } from "zlib";
import { createFrontendServer } from "../../../services/frontend/src/server";
import { readSettings } from "../../../services/frontend/src/settings";
import { acceptsGzip } from "../../../services/frontend/src/static-files";

describe("Accept-Encoding", () => {
  it.each([
    ["gzip, deflate, br", true],
    ["br;q=1.0, gzip;q=0.8", true],
    ["x-gzip", true],
    ["*", true],
    ["GZIP", true],
    ["gzip;q=0", false],
    ["*;q=0.5, gzip;q=0", false],
    ["identity", false],
    ["br", false],
    ["", false],
    [undefined, false],
    ["gzip;q=nonsense", false],
  ])("%p accepts gzip: %p", (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});

describe("the frontend's static files", () => {
  let base: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    const frontend = createFrontendServer(readSettings({ PORT: "0", HOST: "127.0.0.1", BACKEND_URL: "http://127.0.0.1:9", PUBLIC_DIR: join(__dirname, "../../../services/frontend/public") }));
    await new Promise<void>((resolve) => frontend.server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(frontend.server.address() as AddressInfo).port}`;
    close = () => frontend.shutdown(0);
  });
  afterAll(async () => {
    await close();
    jest.restoreAllMocks();
  });

  function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      http.get(`${base}${path}`, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      }).on("error", reject);
    });
  }

  it("sends the vendored sanitizer gzipped when gzip is accepted, as JavaScript, and the same bytes once decoded", async () => {
    const plain = await get("/vendor/purify.es.mjs");
    const gzipped = await get("/vendor/purify.es.mjs", { "Accept-Encoding": "gzip, deflate, br" });
    expect(plain.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(gzipped.headers["content-encoding"]).toBe("gzip");
    expect(gzipped.headers.vary).toBe("Accept-Encoding");
    expect(plain.headers.vary).toBe("Accept-Encoding");
    expect(Number(gzipped.headers["content-length"])).toBe(gzipped.body.length);
    expect(gzipped.body.length).toBeLessThan(plain.body.length / 2);
    expect(gunzipSync(gzipped.body).equals(plain.body)).toBe(true);
    // One ETag per encoding, each revalidating only its own.
    expect(gzipped.headers.etag).not.toBe(plain.headers.etag);
    expect((await get("/vendor/purify.es.mjs", { "Accept-Encoding": "gzip", "If-None-Match": gzipped.headers.etag! })).status).toBe(304);
    expect((await get("/vendor/purify.es.mjs", { "If-None-Match": gzipped.headers.etag! })).status).toBe(200);
  });

  it("does not gzip for a client that refuses it", async () => {
    const refused = await get("/app.js", { "Accept-Encoding": "gzip;q=0, identity" });
    expect(refused.headers["content-encoding"]).toBeUndefined();
    expect(refused.body.toString("utf8")).toContain("// @ts-check");
  });
});
