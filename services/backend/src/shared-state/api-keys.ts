/**
 * Client API keys: who is calling. With keys configured (`CLIENT_API_KEYS`), a request is one of
 * - a key client: `Authorization: Bearer <key>` whose SHA-256 matches a configured key; limited by that key's quota;
 * - the frontend: no `Authorization`, but the frontend's shared token in `X-Assistant-Frontend-Token` (the browser
 *   chat, which has no key); limited per client address, as before keys;
 * - anyone else: refused with 401, in OpenAI's error format.
 * A presented key that matches nothing is a 401 even with the frontend's token: a wrong key is never waved through.
 * Without keys configured every caller is anonymous (limited per address) and `Authorization` is ignored.
 *
 * Keys are compared as SHA-256 digests with `timingSafeEqual` against every configured key (no early exit), so the
 * time taken says nothing about how close a guess was. The key itself is never stored, logged or echoed.
 */
import { createHash, timingSafeEqual } from "crypto";
import { IncomingMessage } from "http";
import { ClientApiKey } from "../../../../lib/backend-env";
import { HttpError } from "../errors";

/** The header the frontend marks its forwarded requests with. */
export const FRONTEND_TOKEN_HEADER = "x-assistant-frontend-token";

export type Caller = { kind: "key"; key: ClientApiKey } | { kind: "frontend" } | { kind: "anonymous" };

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest();

/** OpenAI answers a bad key with 401 `invalid_api_key` (type `invalid_request_error`). */
function unauthorized(message: string): HttpError {
  return new HttpError(401, message, "invalid_request_error", "invalid_api_key", null, { "www-authenticate": 'Bearer realm="ai-assistant"' });
}

export class ApiKeys {
  private readonly digests: { key: ClientApiKey; digest: Buffer }[];
  private readonly frontendDigest?: Buffer;

  constructor(keys: readonly ClientApiKey[], frontendToken?: string) {
    this.digests = keys.map((key) => ({ key, digest: Buffer.from(key.sha256, "hex") }));
    this.frontendDigest = frontendToken ? sha256(frontendToken) : undefined;
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  get names(): string[] {
    return this.digests.map((d) => d.key.name);
  }

  /** Who sent the request; throws a 401 {@link HttpError} when keys are on and the request has no valid credential. */
  identify(req: IncomingMessage): Caller {
    if (!this.enabled) return { kind: "anonymous" };
    const header = req.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match) throw unauthorized("The Authorization header must be `Bearer <API key>`.");
      const presented = sha256(match[1]);
      let found: ClientApiKey | undefined;
      for (const { key, digest } of this.digests) if (timingSafeEqual(presented, digest) && !found) found = key;
      if (!found) throw unauthorized("Incorrect API key provided. Ask the assistant's operators for a key.");
      return { kind: "key", key: found };
    }
    const token = req.headers[FRONTEND_TOKEN_HEADER];
    if (this.frontendDigest && typeof token === "string" && timingSafeEqual(sha256(token), this.frontendDigest)) return { kind: "frontend" };
    throw unauthorized("You didn't provide an API key. Send it as `Authorization: Bearer <API key>`.");
  }
}
