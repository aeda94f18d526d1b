/**
 * The one place that reads Pulumi config. It collects every `ai-assistant:` key of the running stack, validates
 * them all at once against the schema, and hands the program a typed object in which secrets are Pulumi secrets.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { PHASES } from "./phases";

// Not in `pulumi.runtime`'s typings, but it is the engine's own record of which keys were `secure:` values.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };
import { CONFIG_NAMESPACE, formatConfigIssues, KNOWN_NAMESPACES, Problem } from "./errors";
import { ParsedStackConfig, SecretKey, SECRET_KEYS, setSecretCommand, stackConfigSchema } from "./schema";
import { keepSecretValuesSecret, secretStrings } from "./secret-sections";

/** The secret settings, as Pulumi secrets: they stay encrypted in state and masked in every output. */
export type StackSecrets = Partial<Record<SecretKey, pulumi.Output<string>>>;

// Omit per union member, so that `config.phase === "hosted-api"` still narrows to that phase's settings.
type OmitEach<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What `index.ts` hands to the components: the validated config of one stack. */
export type StackConfig = OmitEach<ParsedStackConfig, SecretKey> & {
  /** Stack name, e.g. `dev`. */
  stack: string;
  secrets: StackSecrets;
  /**
   * Top-level keys other than the secret keys whose value the stack file encrypted, in whole or in part
   * (`hostedApi`): a component that can keep such settings in a Kubernetes Secret does so.
   */
  secretSections: ReadonlySet<string>;
};

/** Raw config as the Pulumi engine hands it over: values are strings, structured ones JSON. */
export interface RawConfig {
  values: Record<string, string>;
  /** Keys (without the namespace) whose values were encrypted (`secure:`) in the stack file. */
  secretKeys: ReadonlySet<string>;
  /** Full keys in a namespace nothing reads (`ai-asistant:backend`): each one is an error. */
  unknownNamespaceKeys?: readonly string[];
}

/** Where the config came from, for messages. The offline render sets it when given another file (`--stack-file`). */
let stackFileOverride: string | undefined;

/** Names the file config errors and warnings point at; `undefined` restores `Pulumi.<stack>.yaml`. */
export function setStackFileName(file: string | undefined): void {
  stackFileOverride = file;
}

/** The file a person edits to fix this stack's config. */
export function stackFileName(stack: string): string {
  return stackFileOverride ?? `Pulumi.${stack}.yaml`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}

/** One problem per key in an unknown namespace, suggesting the namespace it was probably meant for. */
function unknownNamespaceProblems(keys: readonly string[]): Problem[] {
  return keys.map((key) => {
    const [namespace, ...rest] = key.split(":");
    const closest = KNOWN_NAMESPACES.find((known) => editDistance(known, namespace) <= 2);
    return {
      path: [],
      key,
      expected: `a namespace this program or its providers read (${KNOWN_NAMESPACES.join(", ")})${closest ? `; did you mean ${closest}:${rest.join(":")}?` : ""}`,
      found: `namespace "${namespace}", which nothing reads`,
    };
  });
}

/** Structured values arrive as JSON text and booleans as "true"/"false"; everything else is a string. */
function decode(text: string): unknown {
  if (text === "true" || text === "false") return text === "true";
  if (/^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** Raw config values decoded: structured values as objects, booleans as booleans. */
export function decodeValues(values: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([key, text]) => [key, decode(text)]));
}

/**
 * Validates raw config; throws a `pulumi.RunError` (printed without a stack trace) listing every problem. Values of
 * keys marked secret are never printed. `stackFile` is the file the message names.
 */
export function parseStackConfig(raw: RawConfig, stack: string, stackFile = stackFileName(stack)): ParsedStackConfig {
  const input = decodeValues(raw.values);
  const schema = stackConfigSchema(stack);
  const result = schema.safeParse(input, { reportInput: true });
  const namespaceProblems = unknownNamespaceProblems(raw.unknownNamespaceKeys ?? []);
  if (result.success && namespaceProblems.length === 0) return result.data;
  const format = { secretSections: raw.secretKeys, problems: namespaceProblems };
  if (result.success) throw new pulumi.RunError(formatConfigIssues([], stackFile, format));
  let issues = result.error.issues;
  if (!(PHASES as readonly unknown[]).includes(input.phase)) {
    // Without a valid phase zod cannot pick a branch and stops there; check the rest as a mock stack so the
    // message still lists every other problem.
    const rest = schema.safeParse({ ...input, phase: "mock" }, { reportInput: true });
    const phaseIssue: z.core.$ZodIssue = {
      code: "custom",
      path: ["phase"],
      message: `expected one of ${PHASES.map((p) => `"${p}"`).join(", ")}`,
      input: input.phase,
    };
    issues = [phaseIssue, ...(rest.success ? [] : rest.error.issues)];
  }
  throw new pulumi.RunError(formatConfigIssues(issues, stackFile, format));
}

/** Splits parsed config into plain settings and Pulumi secrets. */
export function toStackConfig(parsed: ParsedStackConfig, stack: string, secretSections: ReadonlySet<string> = new Set()): StackConfig {
  const settings: Record<string, unknown> = { ...parsed };
  const secrets: StackSecrets = {};
  for (const key of SECRET_KEYS) {
    const value = parsed[key];
    delete settings[key];
    if (value !== undefined) secrets[key] = pulumi.secret(value);
  }
  return { ...(settings as OmitEach<ParsedStackConfig, SecretKey>), stack, secrets, secretSections };
}

/** Keys marked secret that are not secret keys: settings the stack file encrypted in whole or in part. */
export function secretSectionsOf(raw: RawConfig): Set<string> {
  return new Set([...raw.secretKeys].filter((key) => !(SECRET_KEYS as readonly string[]).includes(key)));
}

/** Reads this stack's `ai-assistant:` config from the Pulumi runtime. */
export function readRawConfig(): RawConfig {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const values: Record<string, string> = {};
  const secretKeys = new Set<string>();
  const unknownNamespaceKeys: string[] = [];
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    const namespace = fullKey.split(":")[0];
    if (!(KNOWN_NAMESPACES as readonly string[]).includes(namespace)) unknownNamespaceKeys.push(fullKey);
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    values[key] = value;
    if (isConfigSecret(fullKey)) secretKeys.add(key);
  }
  return { values, secretKeys, unknownNamespaceKeys };
}

/** Loads and validates the running stack's config: the program's only entry to configuration. */
export function loadStackConfig(): StackConfig {
  const stack = pulumi.getStack();
  const raw = readRawConfig();
  const parsed = parseStackConfig(raw, stack);
  for (const key of SECRET_KEYS) {
    if (parsed[key] !== undefined && !raw.secretKeys.has(key)) {
      // Still treated as a secret below; the warning names the key, never the value.
      pulumi.log.warn(
        `ai-assistant:${key} is stored in plain text in ${stackFileName(stack)}. It is handled as a secret, ` +
          `but encrypt it: \`${setSecretCommand(key, stack)}\`.`,
      );
    }
  }
  const secretSections = secretSectionsOf(raw);
  // What the file said (not the defaults filled in), so only the user's own encrypted values are tracked.
  const decoded = decodeValues(raw.values);
  keepSecretValuesSecret([...secretSections].flatMap((key) => secretStrings(decoded[key])));
  return toStackConfig(parsed, stack, secretSections);
}
