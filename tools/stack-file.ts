/**
 * Reads `Pulumi.<stack>.yaml` the way the Pulumi engine hands config to a program: string values, structured ones
 * as JSON. There is no passphrase or KMS key here, so:
 *
 * - every `secure:` value becomes a masked placeholder (inside a structured value too, where it stands for a value
 *   the schema may expect to be a URL or a host name: then a stand-in of that form, never shown, lets the rest of
 *   the stack render);
 * - a secret the stack needs but does not set gets a placeholder, and is listed in `unsetSecrets` so the render can
 *   say what to set before `pulumi up` (a real deployment fails with the `pulumi config set --secret` command);
 * - an optional secret it does not set (`huggingFaceToken`) stays unset, so the render shows what would deploy:
 *   no Secret for a token nobody gave.
 */
import { readFileSync } from "fs";
import { parse } from "yaml";
import { decodeValues } from "../config/load";
import { requiredSecrets, SecretKey, SECRET_KEYS, setSecretCommand, stackConfigSchema } from "../config/schema";
import { MASK } from "./mask";
import { PROJECT } from "./render";

/** A secret the render had to stand in for. */
export interface UnsetSecret {
  key: SecretKey;
  /** Why the stack needs it. */
  why: string;
  /** The command that sets it. */
  command: string;
}

/** A required setting the file leaves unset on purpose (it names something only its owner has, a certificate). */
export interface UnsetSetting {
  /** Its path under the project, e.g. `frontend.expose.certificateArn`. */
  key: string;
  why: string;
  /** The command that sets it. */
  command: string;
}

export interface StackFileConfig {
  config: Record<string, string>;
  secretKeys: string[];
  /** Required secrets the file does not set: rendered as placeholders, to set before `pulumi up`. */
  unsetSecrets: UnsetSecret[];
  /** Required settings the file does not set: rendered with a stand-in, to set before `pulumi up`. */
  unsetSettings: UnsetSetting[];
  /** Each stand-in value the render used, and what the render shows in its place. */
  placeholders: Record<string, string>;
}

/**
 * Settings a committed stack file leaves unset because no real value can be committed for everyone (a placeholder
 * would pass the format and fail only at `pulumi up`). The schema still requires them, so a real deployment stops
 * with the setting's name; the offline render stands in a value that passes, shows `<to set: key>` wherever it
 * lands and lists the key to set.
 */
const SETTING_STAND_INS: readonly { path: string[]; standIn: string; why: string; example: string }[] = [
  {
    path: ["frontend", "expose", "certificateArn"],
    standIn: "arn:aws:acm:to-set:999999999999:certificate/ffffffff-ffff-4fff-bfff-ffffffffffff",
    why: "the ACM certificate the ALB serves the chat's host with",
    example: "arn:aws:acm:<region>:<account>:certificate/<id>",
  },
];

/** Forms an encrypted string inside a structured value may need to have to pass the schema. */
const STAND_INS = ["https://secret.invalid/", "secret.invalid"];

function isSecure(value: unknown): boolean {
  return typeof value === "object" && value !== null && Object.keys(value).length === 1 && "secure" in value;
}

/** Replaces nested `secure:` values with the mask; returns the paths where it did. */
function withoutCiphertext(value: unknown, path: string[] = []): { value: unknown; secretPaths: string[][] } {
  if (isSecure(value)) return { value: MASK, secretPaths: [path] };
  if (Array.isArray(value)) {
    const items = value.map((item, i) => withoutCiphertext(item, [...path, String(i)]));
    return { value: items.map((i) => i.value), secretPaths: items.flatMap((i) => i.secretPaths) };
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).map(([k, v]) => [k, withoutCiphertext(v, [...path, k])] as const);
    return { value: Object.fromEntries(entries.map(([k, v]) => [k, v.value])), secretPaths: entries.flatMap(([, v]) => v.secretPaths) };
  }
  return { value, secretPaths: [] };
}

function setAt(target: unknown, path: string[], value: unknown): void {
  let node = target as Record<string, unknown>;
  for (const part of path.slice(0, -1)) node = node[part] as Record<string, unknown>;
  node[path[path.length - 1]] = value;
}

const samePath = (a: readonly PropertyKey[], b: readonly string[]) => a.length === b.length && a.every((part, i) => String(part) === b[i]);

/** Validates config offline: the parsed result, or the issues' paths. */
function tryParse(config: Record<string, string>, stack: string) {
  const values = Object.fromEntries(Object.entries(config).filter(([key]) => key.startsWith(`${PROJECT}:`)).map(([key, v]) => [key.slice(PROJECT.length + 1), v]));
  return stackConfigSchema(stack).safeParse(decodeValues(values));
}

/**
 * Where an encrypted string nested in a structured value fails the schema only because the placeholder is not a
 * URL or host name, puts a stand-in of that form in its place (it is a secret: every output masks it).
 */
function standInsForNestedSecrets(structured: Record<string, unknown>, config: Record<string, string>, nested: string[][], stack: string): void {
  for (const path of nested) {
    for (const standIn of STAND_INS) {
      const result = tryParse(config, stack);
      const failsHere = !result.success && result.error.issues.some((issue) => samePath(issue.path, path));
      if (!failsHere) break;
      setAt(structured, path, standIn);
      config[`${PROJECT}:${path[0]}`] = JSON.stringify(structured[path[0]]);
    }
  }
}

/** Config of a stack, from a parsed stack file's `config:` block. `stack` only shapes messages and commands. */
export function stackFileConfig(document: { config?: Record<string, unknown> } | null, stack = "dev"): StackFileConfig {
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const structured: Record<string, unknown> = {};
  const nested: string[][] = [];
  for (const [rawKey, rawValue] of Object.entries(document?.config ?? {})) {
    const key = rawKey.includes(":") ? rawKey : `${PROJECT}:${rawKey}`;
    const { value, secretPaths } = withoutCiphertext(rawValue);
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
    if (secretPaths.length > 0) secretKeys.push(key);
    if (key.startsWith(`${PROJECT}:`) && typeof value === "object" && value !== null) {
      const name = key.slice(PROJECT.length + 1);
      structured[name] = value;
      nested.push(...secretPaths.filter((path) => path.length > 0).map((path) => [name, ...path]));
    }
  }

  // First as if every secret were set: the parsed config says which ones this stack needs.
  const missing = SECRET_KEYS.filter((name) => !(`${PROJECT}:${name}` in config));
  const trial = { ...config, ...Object.fromEntries(missing.map((name) => [`${PROJECT}:${name}`, MASK])) };
  standInsForNestedSecrets(structured, trial, nested, stack);
  const unsetSettings = standInsForUnsetSettings(structured, trial, stack);
  const parsed = tryParse(trial, stack);
  // Invalid config keeps every placeholder, so that its message is about the real problem, not a missing secret.
  const required = parsed.success ? requiredSecrets(parsed.data) : SECRET_KEYS.map((key) => ({ key, why: "" }));

  for (const key of Object.keys(structured)) config[`${PROJECT}:${key}`] = trial[`${PROJECT}:${key}`];
  const unsetSecrets: UnsetSecret[] = [];
  for (const { key, why } of required.filter(({ key }) => missing.includes(key))) {
    config[`${PROJECT}:${key}`] = MASK;
    secretKeys.push(`${PROJECT}:${key}`);
    if (parsed.success) unsetSecrets.push({ key, why, command: setSecretCommand(key, stack) });
  }
  const placeholders = Object.fromEntries(unsetSettings.map(({ key, standIn }) => [standIn, `<to set: ${PROJECT}:${key}>`]));
  return { config, secretKeys, unsetSecrets, unsetSettings: unsetSettings.map(({ key, why, command }) => ({ key, why, command })), placeholders };
}

/** Stands in for each required setting the file leaves unset (see SETTING_STAND_INS); returns what it stood in for. */
function standInsForUnsetSettings(structured: Record<string, unknown>, config: Record<string, string>, stack: string): (UnsetSetting & { standIn: string })[] {
  const unset: (UnsetSetting & { standIn: string })[] = [];
  for (const { path, standIn, why, example } of SETTING_STAND_INS) {
    const result = tryParse(config, stack);
    const unsetHere = path.reduce<unknown>((node, part) => (typeof node === "object" && node !== null ? (node as Record<string, unknown>)[part] : undefined), structured) === undefined;
    const failsHere = !result.success && result.error.issues.some((issue) => samePath(issue.path, path));
    if (!unsetHere || !failsHere || typeof structured[path[0]] !== "object") continue;
    setAt(structured, path, standIn);
    config[`${PROJECT}:${path[0]}`] = JSON.stringify(structured[path[0]]);
    const key = path.join(".");
    unset.push({ key, why, standIn, command: `pulumi config set --path '${PROJECT}:${key}' ${example} --stack ${stack}` });
  }
  return unset;
}

/** Thrown for a stack file that is missing or is not YAML: a person's mistake, printed without a stack trace. */
export class StackFileError extends Error {}

/** Reads a stack file such as `Pulumi.dev.yaml`; `stack` shapes the `pulumi config set` commands it suggests. */
export function readStackFile(file: string, stack?: string): StackFileConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new StackFileError(`There is no stack file ${file}.`);
  }
  let document: { config?: Record<string, unknown> } | null;
  try {
    document = parse(text);
  } catch (error) {
    throw new StackFileError(`${file} is not valid YAML: ${(error as Error).message}`);
  }
  return stackFileConfig(document, stack);
}
