/**
 * The client API keys as the backend gets them: from the secret `clientApiKeys` (key name to key) and the quotas in
 * `backend.apiKeys`, the `CLIENT_API_KEYS` list of lib/backend-env.ts, in which each key is only its SHA-256. The
 * frontend's token is derived from the same secret (HMAC-SHA256), so that there is no second secret to set and
 * rotating the keys rotates it too. Both stay Pulumi secrets and reach the pods through Kubernetes Secrets.
 */
import { createHash, createHmac } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { ClientApiKey } from "../../lib/backend-env";
import { parseClientApiKeys, RENDER_PLACEHOLDER } from "../../config/shared-state";

export type KeyQuotas = Record<string, { requestsPerMinute?: number; tokensPerMinute?: number }>;

/** The backend's `CLIENT_API_KEYS` value (JSON). The offline render's placeholder stands for no key. */
export function hashedClientKeys(secret: string, quotas: KeyQuotas): string {
  if (secret === RENDER_PLACEHOLDER) return "[]";
  const { keys, problem } = parseClientApiKeys(secret);
  // config/schema.ts refused such a value before any resource; this is the program's own guard.
  if (!keys) throw new Error(`clientApiKeys: ${problem}`);
  const list: ClientApiKey[] = Object.entries(keys).map(([name, key]) => ({
    name,
    sha256: createHash("sha256").update(key, "utf8").digest("hex"),
    ...quotas[name],
  }));
  return JSON.stringify(list);
}

/** The frontend's token: a keyed hash of the keys' secret, 256 bits, never one of the keys. */
export function frontendToken(secret: string): string {
  return createHmac("sha256", secret).update("ai-assistant frontend token v1").digest("hex");
}

export interface ClientKeys {
  /** `CLIENT_API_KEYS` for the backend (a Pulumi secret). */
  hashed: pulumi.Output<string>;
  /** `FRONTEND_TOKEN` for the backend and `BACKEND_TOKEN` for the frontend (a Pulumi secret). */
  frontendToken: pulumi.Output<string>;
}

export function clientKeys(secret: pulumi.Input<string>, quotas: KeyQuotas): ClientKeys {
  const value = pulumi.secret(secret);
  return { hashed: value.apply((text) => hashedClientKeys(text, quotas)), frontendToken: value.apply(frontendToken) };
}
