/**
 * Encrypted values outside the secret keys. A stack file may encrypt any value (`hostedApi.baseUrl: {secure: …}`);
 * the Pulumi engine then marks the whole top-level key secret and hands the program the decrypted JSON. The
 * program uses most settings as plain values (names, sizes, URLs in a ConfigMap), so without help such a value would
 * be registered, stored in state and shown in previews in plain text. Two layers keep it secret:
 *
 * - components that know a section can hold secrets route it to a Kubernetes Secret (the backend's hosted-API
 *   settings, see components/app/llm-settings.ts), from `StackConfig.secretSections`;
 * - every other resource: a stack transformation marks secret each input property whose value contains one of the
 *   section's strings, so whatever receives the value registers it as a Pulumi secret.
 */
import * as pulumi from "@pulumi/pulumi";

/** Strings shorter than this are too common to be told apart from ordinary text ("true", "gp3"). */
const MIN_SECRET_LENGTH = 4;

/** Every string in `value` long enough to recognise, for the transformation below. */
export function secretStrings(value: unknown): string[] {
  if (typeof value === "string") return value.length >= MIN_SECRET_LENGTH ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(secretStrings);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(secretStrings);
  return [];
}

function contains(value: unknown, secrets: readonly string[]): boolean {
  if (typeof value === "string") return secrets.some((secret) => value.includes(secret));
  if (Array.isArray(value)) return value.some((item) => contains(item, secrets));
  if (typeof value === "object" && value !== null) return Object.values(value).some((item) => contains(item, secrets));
  return false;
}

/**
 * Marks secret, in every resource the stack registers, each input property that carries one of `secrets`.
 * Registered only when the stack file encrypts a value outside the secret keys, so other stacks are untouched.
 */
export function keepSecretValuesSecret(secrets: readonly string[]): void {
  if (secrets.length === 0) return;
  pulumi.runtime.registerStackTransformation((args) => {
    const props = Object.fromEntries(
      Object.entries(args.props).map(([key, value]) => [
        key,
        pulumi.output(value).apply((resolved) => (contains(resolved, secrets) ? pulumi.secret(resolved) : resolved)),
      ]),
    );
    return { props, opts: args.opts };
  });
}
