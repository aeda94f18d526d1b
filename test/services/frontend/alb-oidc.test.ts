/**
 * The frontend behind the ALB's OIDC sign-in: only requests carrying a valid ALB signature (`x-amzn-oidc-data`) get
 * past it. A stand-in key endpoint on 127.0.0.1 serves PEM keys by kid as AWS's regional endpoint does; tokens are
 * signed here as the ALB signs them (ES256, `signer` = the ALB's ARN, base64url segments with `=` padding).
 */
import { generateKeyPairSync, KeyObject, sign } from "crypto";
import * as http from "http";
import { AddressInfo } from "net";
import { join } from "path";
import { AlbOidcVerifier, readAlbOidcSettings } from "../../../services/frontend/src/alb-oidc";
import { createFrontendServer, FrontendServer } from "../../../services/frontend/src/server";
import { readSettings } from "../../../services/frontend/src/settings";

const PUBLIC_DIR = join(__dirname, "../../../services/frontend/public");
const REGION = "us-west-2";
const ALB = "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/ai-assistant-test";
const OUR_ALB = `${ALB}/50dc6c495c0c9188`;
const KID = "6c8f9f1a-2b3c-4d5e-8f90-123456789abc";

const keyPair = () => generateKeyPairSync("ec", { namedCurve: "P-256" });
const ALB_KEYS = keyPair();

/** base64url with the `=` padding the ALB leaves on (RFC 7515 says none). */
function albSegment(data: Buffer | string): string {
  const text = Buffer.from(data).toString("base64url");
  return text + "=".repeat((4 - (text.length % 4)) % 4);
}

interface TokenOptions {
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  key?: KeyObject;
  padded?: boolean;
}

/** A token as the ALB makes it, with any field or the signing key replaced. */
function albToken({ header = {}, claims = {}, key = ALB_KEYS.privateKey, padded = true }: TokenOptions = {}): string {
  const exp = Math.floor(Date.now() / 1000) + 120;
  const segment = padded ? albSegment : (data: Buffer | string) => Buffer.from(data).toString("base64url");
  const head = segment(JSON.stringify({ typ: "JWT", kid: KID, alg: "ES256", iss: "https://login.example.com", client: "chat", signer: OUR_ALB, exp, ...header }));
  const body = segment(JSON.stringify({ sub: "1234", email: "user@example.com", exp, iss: "https://login.example.com", ...claims }));
  const signature = sign("sha256", Buffer.from(`${head}.${body}`), { key, dsaEncoding: "ieee-p1363" });
  return `${head}.${body}.${segment(signature)}`;
}

/** The stand-in of `https://public-keys.auth.elb.<region>.amazonaws.com/<kid>`: PEM by kid, requests counted. */
class KeyEndpoint {
  readonly keys = new Map<string, string>([[KID, ALB_KEYS.publicKey.export({ format: "pem", type: "spki" }).toString()]]);
  readonly requested: string[] = [];
  readonly server = http.createServer((req, res) => {
    this.requested.push(req.url ?? "");
    const pem = this.keys.get((req.url ?? "").slice(1));
    res.writeHead(pem ? 200 : 404, { "Content-Type": "text/plain" }).end(pem ?? "not found");
  });
  url = "";
  async start() {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}

/** The backend stand-in: records what reaches it. */
class Backend {
  readonly requests: string[] = [];
  readonly server = http.createServer((req, res) => {
    this.requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on("end", () => res.writeHead(200, { "Content-Type": "application/json" }).end('{"object":"list","data":[]}'));
  });
  url = "";
  async start() {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}

beforeAll(() => jest.spyOn(process.stdout, "write").mockImplementation(() => true));
afterAll(() => jest.restoreAllMocks());

describe("a frontend behind the ALB's OIDC sign-in", () => {
  const keys = new KeyEndpoint();
  const backend = new Backend();
  let frontend: FrontendServer;
  let url: string;
  beforeAll(async () => {
    await Promise.all([keys.start(), backend.start()]);
    const settings = readSettings({ BACKEND_URL: backend.url, ALB_OIDC_REGION: REGION, ALB_OIDC_SIGNER: `${ALB}/*`, ALB_OIDC_KEY_URL: keys.url });
    frontend = createFrontendServer({ ...settings, publicDir: PUBLIC_DIR });
    await new Promise<void>((resolve) => frontend.server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(frontend.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await frontend.shutdown(0);
    keys.server.close();
    backend.server.close();
  });

  const chat = (token?: string) =>
    fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...(token !== undefined && { "x-amzn-oidc-data": token }) },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    });

  it("passes a request the ALB signed to the backend, and serves the page to it", async () => {
    const before = backend.requests.length;
    const answer = await chat(albToken());
    expect(answer.status).toBe(200);
    expect(backend.requests.slice(before)).toEqual(["POST /v1/chat/completions"]);
    const page = await fetch(`${url}/`, { headers: { "x-amzn-oidc-data": albToken() } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<script");
  });

  it("takes the token with or without the ALB's base64 padding", async () => {
    expect((await chat(albToken({ padded: true }))).status).toBe(200);
    expect((await chat(albToken({ padded: false }))).status).toBe(200);
  });

  it.each<[string, () => string | undefined]>([
    ["no header (a pod or instance that skipped the ALB)", () => undefined],
    ["an empty header", () => ""],
    ["a forged signature (someone else's key under the ALB's kid)", () => albToken({ key: keyPair().privateKey })],
    ["claims changed after signing", () => {
      const [head, , signature] = albToken().split(".");
      return `${head}.${albSegment(JSON.stringify({ sub: "admin", email: "admin@example.com" }))}.${signature}`;
    }],
    ["another ALB's signature (a valid token, wrong signer)", () => albToken({ header: { signer: "arn:aws:elasticloadbalancing:us-west-2:999999999999:loadbalancer/app/ai-assistant-test/50dc6c495c0c9188" } })],
    ["an ALB of another name in the same account", () => albToken({ header: { signer: "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/other/50dc6c495c0c9188" } })],
    ["an expired token", () => albToken({ header: { exp: Math.floor(Date.now() / 1000) - 120 } })],
    ["no expiry at all", () => albToken({ header: { exp: undefined }, claims: { exp: undefined } })],
    ["alg none", () => {
      const [head, body] = albToken({ header: { alg: "none" } }).split(".");
      return `${head}.${body}.`;
    }],
    ["alg HS256", () => albToken({ header: { alg: "HS256" } })],
    ["alg ES384", () => albToken({ header: { alg: "ES384" } })],
    ["a kid that is not a UUID (a path on the key endpoint)", () => albToken({ header: { kid: "../../etc/passwd" } })],
    ["two segments", () => albToken().split(".").slice(0, 2).join(".")],
    ["garbage", () => "not a token"],
  ])("refuses %s with a 401 JSON error, and the backend never sees it", async (_, token) => {
    const before = backend.requests.length;
    const answer = await chat(token());
    expect(answer.status).toBe(401);
    expect(answer.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await answer.json()).toEqual({ error: { message: expect.stringContaining("sign in"), type: "invalid_request_error", param: null, code: "unauthenticated" } });
    expect(backend.requests.length).toBe(before);
  });

  it("refuses the page and everything else without a signature too", async () => {
    for (const path of ["/", "/app.js", "/v1/models", "/healthz/", "/readyz/", "/healthz/../v1/models"]) {
      expect((await fetch(`${url}${path}`)).status).toBe(401);
    }
  });

  it("keeps the probes open: /healthz and /readyz answer without a signature (the kubelet does not pass the ALB)", async () => {
    for (const path of ["/healthz", "/readyz"]) {
      const answer = await fetch(`${url}${path}`);
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ status: "ok" });
    }
  });

  it("fetches a key once and serves the rest from its cache", async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => chat(albToken())));
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    // Every test of this block signed with the same kid; the endpoint was asked for it once, and for nothing else.
    expect(keys.requested).toEqual([`/${KID}`]);
  });
});

describe("the verifier's key cache", () => {
  const settings = readAlbOidcSettings({ ALB_OIDC_REGION: REGION, ALB_OIDC_SIGNER: `${ALB}/*`, ALB_OIDC_KEY_URL: "http://127.0.0.1:9" })!;
  const pem = ALB_KEYS.publicKey.export({ format: "pem", type: "spki" }).toString();

  it("asks for a new kid once however many requests wait for it", async () => {
    const fetched: string[] = [];
    const verifier = new AlbOidcVerifier(settings, async (url) => {
      fetched.push(url);
      await new Promise((resolve) => setTimeout(resolve, 20));
      return pem;
    });
    const verdicts = await Promise.all(Array.from({ length: 10 }, () => verifier.verify(albToken())));
    expect(verdicts.every((verdict) => verdict.ok)).toBe(true);
    expect(fetched).toEqual([`http://127.0.0.1:9/${KID}`]);
  });

  it("does not ask again right away for a kid the endpoint does not know, so forged kids cannot flood it", async () => {
    const fetched: string[] = [];
    const verifier = new AlbOidcVerifier(settings, async (url) => {
      fetched.push(url);
      throw new Error("HTTP 404");
    });
    const unknown = albToken({ header: { kid: "00000000-0000-4000-8000-000000000000" } });
    expect(await verifier.verify(unknown)).toEqual({ ok: false, refusal: "key" });
    expect(await verifier.verify(unknown)).toEqual({ ok: false, refusal: "key" });
    expect(fetched).toHaveLength(1);
  });

  it("refuses a key that is not P-256", async () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "pem", type: "spki" }).toString();
    const verifier = new AlbOidcVerifier(settings, async () => rsa);
    expect(await verifier.verify(albToken())).toEqual({ ok: false, refusal: "key" });
  });

  it("accepts exactly the ALB named when the signer is a full ARN", async () => {
    const exact = new AlbOidcVerifier({ ...settings, signer: OUR_ALB }, async () => pem);
    expect((await exact.verify(albToken())).ok).toBe(true);
    expect(await exact.verify(albToken({ header: { signer: `${ALB}/0000000000000000` } }))).toEqual({ ok: false, refusal: "signer" });
  });
});

describe("its settings", () => {
  it("are off without the variables, and point at AWS's regional key endpoint by default", () => {
    expect(readAlbOidcSettings({})).toBeUndefined();
    expect(readAlbOidcSettings({ ALB_OIDC_REGION: REGION, ALB_OIDC_SIGNER: `${ALB}/*` })).toEqual({
      region: REGION,
      signer: `${ALB}/*`,
      keyUrl: "https://public-keys.auth.elb.us-west-2.amazonaws.com",
    });
  });

  it.each([
    [{ ALB_OIDC_SIGNER: `${ALB}/*` }, "ALB_OIDC_REGION: expected an AWS region"],
    [{ ALB_OIDC_REGION: REGION }, "ALB_OIDC_SIGNER: expected the ALB's ARN in us-west-2"],
    [{ ALB_OIDC_REGION: "eu-west-1", ALB_OIDC_SIGNER: `${ALB}/*` }, "ALB_OIDC_SIGNER: expected the ALB's ARN in eu-west-1"],
    [{ ALB_OIDC_REGION: REGION, ALB_OIDC_SIGNER: "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/*" }, "ALB_OIDC_SIGNER"],
    [{ ALB_OIDC_REGION: REGION, ALB_OIDC_SIGNER: `${ALB}/*`, ALB_OIDC_KEY_URL: "http://keys.example.com" }, "ALB_OIDC_KEY_URL: expected an https URL"],
  ])("stop the server at start on %j", (env, message) => {
    expect(() => readSettings(env)).toThrow(message);
  });
});
