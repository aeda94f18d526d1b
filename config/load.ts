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
import { CONFIG_NAMESPACE, formatConfigIssues } from "./errors";
import { ParsedStackConfig, SecretKey, SECRET_KEYS, setSecretCommand, stackConfigSchema } from "./schema";

/** The secret settings, as Pulumi secrets: they stay encrypted in state and masked in every output. */
export type StackSecrets = Partial<Record<SecretKey, pulumi.Output<string>>>;

// Omit per union member, so that `config.phase === "hosted-api"` still narrows to that phase's settings.
type OmitEach<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What `index.ts` hands to the components: the validated config of one stack. */
export type StackConfig = OmitEach<ParsedStackConfig, SecretKey> & {
  /** Stack name, e.g. `dev`. */
  stack: string;
  secrets: StackSecrets;
};

/** Raw config as the Pulumi engine hands it over: values are strings, structured ones JSON. */
export interface RawConfig {
  values: Record<string, string>;
  /** Keys (without the namespace) whose values were encrypted (`secure:`) in the stack file. */
  secretKeys: ReadonlySet<string>;
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

/** Validates raw config; throws a `pulumi.RunError` (printed without a stack trace) listing every problem. */
export function parseStackConfig(raw: RawConfig, stack: string): ParsedStackConfig {
  const input: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(raw.values)) input[key] = decode(text);
  const schema = stackConfigSchema(stack);
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
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
  throw new pulumi.RunError(formatConfigIssues(issues, `Pulumi.${stack}.yaml`));
}

/** Splits parsed config into plain settings and Pulumi secrets. */
export function toStackConfig(parsed: ParsedStackConfig, stack: string): StackConfig {
  const settings: Record<string, unknown> = { ...parsed };
  const secrets: StackSecrets = {};
  for (const key of SECRET_KEYS) {
    const value = parsed[key];
    delete settings[key];
    if (value !== undefined) secrets[key] = pulumi.secret(value);
  }
  return { ...(settings as OmitEach<ParsedStackConfig, SecretKey>), stack, secrets };
}

/** Reads this stack's `ai-assistant:` config from the Pulumi runtime. */
export function readRawConfig(): RawConfig {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const values: Record<string, string> = {};
  const secretKeys = new Set<string>();
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    values[key] = value;
    if (isConfigSecret(fullKey)) secretKeys.add(key);
  }
  return { values, secretKeys };
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
        `ai-assistant:${key} is stored in plain text in Pulumi.${stack}.yaml. It is handled as a secret, ` +
          `but encrypt it: \`${setSecretCommand(key, stack)}\`.`,
      );
    }
  }
  return toStackConfig(parsed, stack);
}
