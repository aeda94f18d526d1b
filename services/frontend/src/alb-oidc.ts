/**
 * With the ALB's OIDC sign-in in front of the chat, only requests that passed that ALB may get in: the ALB signs the
 * user's claims into `x-amzn-oidc-data` and the frontend checks that signature on every request but its probes.
 * Anything else (a pod or instance that reaches the frontend without the ALB, a forged or replayed header) gets 401.
 *
 * The token, as AWS documents it (docs.aws.amazon.com/elasticloadbalancing/latest/application/
 * listener-authenticate-users.html, "User claims encoding and signature verification"):
 * - a JWT whose header names `alg` (ES256: ECDSA P-256 + SHA-256), `kid`, `signer` (the ALB's ARN), `iss`,
 *   `client` and `exp`; the payload holds the IdP's user claims;
 * - the public key is a PEM document at `https://public-keys.auth.elb.<region>.amazonaws.com/<kid>`;
 * - its base64url segments may end in `=` padding, which RFC 7515 forbids and strict JWT libraries therefore refuse
 *   (awsdocs/elb-application-load-balancers-user-guide#42); the signature covers the segments as sent.
 * AWS asks to check `signer` against the ALB's ARN: a key of the regional endpoint signs for every ALB of the region,
 * so a valid token from someone else's ALB is otherwise accepted (awslabs/aws-jwt-verify checks it the same way,
 * src/alb-verifier.ts, along with a UUID `kid`).
 */
import { createPublicKey, KeyObject, verify } from "crypto";
import * as http from "http";
import * as https from "https";
import { log } from "./log";
import { sendError } from "./proxy";
import { SECURITY_HEADERS } from "./security-headers";

export const ALB_OIDC_HEADER = "x-amzn-oidc-data";

export interface AlbOidcSettings {
  /** The ALB's region: its keys are served per region. */
  region: string;
  /** The ALB's ARN, or its ARN up to the name followed by `/*` (any ID of an ALB of that name). */
  signer: string;
  /** Base URL of the key endpoint; `<keyUrl>/<kid>` is fetched. AWS's regional endpoint unless set (tests, GovCloud). */
  keyUrl: string;
}

const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const SIGNER = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/app\/[A-Za-z0-9-]{1,32}\/(\*|[0-9a-f]{1,32})$/;
const KID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A base64url segment, with the `=` padding ALB tokens carry. */
const SEGMENT = /^[A-Za-z0-9_-]+={0,2}$/;
/** The ALB refuses claims and token over 11 KB together; a header far beyond that is not from it. */
const MAX_TOKEN_LENGTH = 16 * 1024;
/** Clock difference tolerated on `exp`, as ALB and pod clocks are both NTP-synchronised. */
const CLOCK_SKEW_SECONDS = 30;
const KEY_FETCH_TIMEOUT_MS = 3000;
const MAX_KEY_BYTES = 4096;
const MAX_CACHED_KEYS = 16;
/** A `kid` whose key could not be fetched is not asked for again for this long, so forged kids cannot flood AWS. */
const FAILED_KEY_RETRY_MS = 30_000;

export class AlbOidcSettingsError extends Error {}

/** `ALB_OIDC_REGION` and `ALB_OIDC_SIGNER` (both or neither; the stack sets them with OIDC on), `ALB_OIDC_KEY_URL`. */
export function readAlbOidcSettings(env: NodeJS.ProcessEnv): AlbOidcSettings | undefined {
  const region = env.ALB_OIDC_REGION || undefined;
  const signer = env.ALB_OIDC_SIGNER || undefined;
  if (region === undefined && signer === undefined) return undefined;
  if (region === undefined || !REGION.test(region)) {
    throw new AlbOidcSettingsError(`ALB_OIDC_REGION: expected an AWS region such as us-west-2 (with ALB_OIDC_SIGNER set), found ${JSON.stringify(region ?? "")}`);
  }
  if (signer === undefined || !SIGNER.test(signer) || signer.split(":")[3] !== region) {
    throw new AlbOidcSettingsError(
      `ALB_OIDC_SIGNER: expected the ALB's ARN in ${region}, or it up to the name then /*, such as arn:aws:elasticloadbalancing:${region}:123456789012:loadbalancer/app/chat/*; found ${JSON.stringify(signer ?? "")}`,
    );
  }
  const keyUrl = env.ALB_OIDC_KEY_URL || `https://public-keys.auth.elb.${region}.amazonaws.com`;
  const parsed = new URL(keyUrl);
  const loopback = parsed.hostname === "127.0.0.1" || parsed.hostname === "localhost";
  if (parsed.protocol !== "https:" && !(parsed.protocol === "http:" && loopback)) {
    throw new AlbOidcSettingsError(`ALB_OIDC_KEY_URL: expected an https URL (http on 127.0.0.1 only, for tests), found ${JSON.stringify(keyUrl)}`);
  }
  return { region, signer, keyUrl: keyUrl.replace(/\/+$/, "") };
}

/** Why a token was refused; logged (never the token), and the same 401 for the client whatever it was. */
export type Refusal = "missing" | "malformed" | "algorithm" | "signer" | "expired" | "key" | "signature";

export type Verdict = { ok: true; claims: Record<string, unknown> } | { ok: false; refusal: Refusal };

function decodeJson(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment.replace(/=+$/, ""), "base64url").toString("utf8"));
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** GETs `url` as text, capped in time and size; rejects on anything but a 200. */
function getText(url: string): Promise<string> {
  const client = url.startsWith("https:") ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(url, { timeout: KEY_FETCH_TIMEOUT_MS }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reject(new Error(`HTTP ${response.statusCode}`));
        return;
      }
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
        if (body.length > MAX_KEY_BYTES) request.destroy(new Error("key document too large"));
      });
      response.on("end", () => resolve(body));
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error("timed out")));
    request.on("error", reject);
  });
}

export class AlbOidcVerifier {
  private readonly keys = new Map<string, KeyObject>();
  private readonly fetching = new Map<string, Promise<KeyObject>>();
  private readonly failed = new Map<string, number>();

  constructor(
    private readonly settings: AlbOidcSettings,
    private readonly fetchText: (url: string) => Promise<string> = getText,
  ) {}

  private signerMatches(signer: unknown): boolean {
    if (typeof signer !== "string") return false;
    const expected = this.settings.signer;
    if (!expected.endsWith("/*")) return signer === expected;
    const prefix = expected.slice(0, -1);
    return signer.startsWith(prefix) && /^[0-9a-f]{1,32}$/.test(signer.slice(prefix.length));
  }

  /** The P-256 public key for `kid`: cached, fetched once however many requests wait for it. */
  private async key(kid: string, now: number): Promise<KeyObject> {
    const cached = this.keys.get(kid);
    if (cached) return cached;
    const failedAt = this.failed.get(kid);
    if (failedAt !== undefined && now - failedAt < FAILED_KEY_RETRY_MS) throw new Error("key fetch failed recently");
    let pending = this.fetching.get(kid);
    if (!pending) {
      pending = this.fetchText(`${this.settings.keyUrl}/${kid}`)
        .then((pem) => {
          const key = createPublicKey({ key: pem, format: "pem" });
          if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") throw new Error("not a P-256 key");
          if (this.keys.size >= MAX_CACHED_KEYS) this.keys.delete(this.keys.keys().next().value as string);
          this.keys.set(kid, key);
          this.failed.delete(kid);
          return key;
        })
        .catch((err: Error) => {
          if (this.failed.size >= MAX_CACHED_KEYS * 4) this.failed.clear();
          this.failed.set(kid, Date.now());
          log("warn", "cannot fetch the ALB's public key", { kid, error: err.message });
          throw err;
        })
        .finally(() => this.fetching.delete(kid));
      this.fetching.set(kid, pending);
    }
    return pending;
  }

  async verify(header: string | string[] | undefined, now = Date.now()): Promise<Verdict> {
    if (header === undefined || header === "") return { ok: false, refusal: "missing" };
    if (typeof header !== "string" || header.length > MAX_TOKEN_LENGTH) return { ok: false, refusal: "malformed" };
    const parts = header.split(".");
    if (parts.length !== 3 || !parts.every((part) => SEGMENT.test(part))) return { ok: false, refusal: "malformed" };
    const [headerPart, payloadPart, signaturePart] = parts;
    const jwtHeader = decodeJson(headerPart);
    const claims = decodeJson(payloadPart);
    if (!jwtHeader || !claims) return { ok: false, refusal: "malformed" };
    // ES256 and nothing else: never `none`, never an HMAC keyed with the public key.
    if (jwtHeader.alg !== "ES256") return { ok: false, refusal: "algorithm" };
    if (!this.signerMatches(jwtHeader.signer)) return { ok: false, refusal: "signer" };
    const expiry = typeof jwtHeader.exp === "number" ? jwtHeader.exp : typeof claims.exp === "number" ? claims.exp : undefined;
    if (expiry === undefined || expiry * 1000 + CLOCK_SKEW_SECONDS * 1000 <= now) return { ok: false, refusal: "expired" };
    if (typeof jwtHeader.kid !== "string" || !KID.test(jwtHeader.kid)) return { ok: false, refusal: "malformed" };
    let key: KeyObject;
    try {
      key = await this.key(jwtHeader.kid.toLowerCase(), now);
    } catch {
      return { ok: false, refusal: "key" };
    }
    const signature = Buffer.from(signaturePart.replace(/=+$/, ""), "base64url");
    // JWS ES256 signatures are r || s, 32 bytes each (RFC 7518 section 3.4), not DER.
    const valid = signature.length === 64 && verify("sha256", Buffer.from(`${headerPart}.${payloadPart}`), { key, dsaEncoding: "ieee-p1363" }, signature);
    return valid ? { ok: true, claims } : { ok: false, refusal: "signature" };
  }
}

/**
 * Wraps the server's request listener: with `settings`, every request but `openPaths` (the probes, which the kubelet
 * and the ALB's health checks send without the header) needs a valid ALB signature, or gets a 401 JSON error and
 * goes no further. Without `settings` (no OIDC in front) the listener is returned as it is.
 */
export function requireAlbSignature(settings: AlbOidcSettings | undefined, openPaths: readonly string[], listener: http.RequestListener): http.RequestListener {
  if (!settings) return listener;
  const verifier = new AlbOidcVerifier(settings);
  return (req, res) => {
    if (openPaths.includes((req.url ?? "/").split("?")[0])) {
      listener(req, res);
      return;
    }
    void verifier
      .verify(req.headers[ALB_OIDC_HEADER])
      .then((verdict) => {
      if (verdict.ok) {
        listener(req, res);
        return;
      }
      log("warn", "refused a request without a valid ALB signature", { reason: verdict.refusal, method: req.method, path: (req.url ?? "/").split("?")[0].slice(0, 200) });
      if (res.destroyed) return;
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
      res.setHeader("Connection", "close");
      sendError(res, 401, "sign in through the chat's address: this request did not come through its load balancer's sign-in", "invalid_request_error", "unauthenticated");
      req.resume();
    })
      .catch((err: Error) => {
        // A bug in the check or the handler fails this request alone, visibly.
        log("error", "request failed", { error: err.message });
        if (!res.headersSent && !res.destroyed) sendError(res, 500, "internal error", "server_error", "internal_error");
        else res.destroy();
      });
  };
}
