/**
 * Masking for everything the offline render writes. Three layers, so that one mistake does not leak a key:
 * values Pulumi marks secret, every value of a Kubernetes Secret, and any known secret string wherever it appears.
 */
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";

export const MASK = "[secret]";

function isSecretWrapper(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[specialSigKey] === specialSecretSig;
}

/** A copy of `value` with every Pulumi secret replaced by {@link MASK}. */
export function maskSecrets(value: unknown): unknown {
  if (isSecretWrapper(value)) return MASK;
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, maskSecrets(inner)]));
  }
  return value;
}

/** A Kubernetes Secret with every data value masked, whether or not it was marked secret. */
export function maskKubernetesSecret(object: Record<string, unknown>): Record<string, unknown> {
  const masked = { ...object };
  for (const field of ["data", "stringData"]) {
    const raw = masked[field];
    // The SDK may wrap the whole map as one secret; the keys are not secret and help a reviewer, so keep them.
    const values = isSecretWrapper(raw) ? (raw as { value: unknown }).value : raw;
    if (values && typeof values === "object") {
      masked[field] = Object.fromEntries(Object.keys(values).map((key) => [key, MASK]));
    }
  }
  return masked;
}

/** Replaces every occurrence of the given secret strings in `text`. */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  // Longest first, so that a secret containing another is masked whole.
  for (const secret of [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length)) {
    result = result.split(secret).join(MASK);
  }
  return result;
}
