/**
 * Reads `Pulumi.<stack>.yaml` the way the Pulumi engine hands config to a program: string values, structured ones
 * as JSON. There is no passphrase or KMS key here, so every `secure:` value becomes a masked placeholder, and a
 * secret the stack file does not set at all gets one too, so that the offline render shows a stack whose secrets
 * are still to be set (a real deployment fails for those with the `pulumi config set --secret` command to run).
 */
import { readFileSync } from "fs";
import { parse } from "yaml";
import { SECRET_KEYS } from "../config/schema";
import { MASK } from "./mask";
import { PROJECT } from "./render";

export interface StackFileConfig {
  config: Record<string, string>;
  secretKeys: string[];
}

function isSecure(value: unknown): boolean {
  return typeof value === "object" && value !== null && Object.keys(value).length === 1 && "secure" in value;
}

/** Replaces nested `secure:` values with the mask; reports whether there were any. */
function withoutCiphertext(value: unknown): { value: unknown; secret: boolean } {
  if (isSecure(value)) return { value: MASK, secret: true };
  if (Array.isArray(value)) {
    const items = value.map(withoutCiphertext);
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).map(([k, v]) => [k, withoutCiphertext(v)] as const);
    return { value: Object.fromEntries(entries.map(([k, v]) => [k, v.value])), secret: entries.some(([, v]) => v.secret) };
  }
  return { value, secret: false };
}

/** Config of a stack, from a parsed stack file's `config:` block. */
export function stackFileConfig(document: { config?: Record<string, unknown> } | null): StackFileConfig {
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [rawKey, rawValue] of Object.entries(document?.config ?? {})) {
    const key = rawKey.includes(":") ? rawKey : `${PROJECT}:${rawKey}`;
    const { value, secret } = withoutCiphertext(rawValue);
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
    if (secret) secretKeys.push(key);
  }
  for (const name of SECRET_KEYS) {
    const key = `${PROJECT}:${name}`;
    if (!(key in config)) {
      config[key] = MASK;
      secretKeys.push(key);
    }
  }
  return { config, secretKeys };
}

/** Thrown for a stack file that is missing or is not YAML: a person's mistake, printed without a stack trace. */
export class StackFileError extends Error {}

/** Reads a stack file such as `Pulumi.dev.yaml`. */
export function readStackFile(file: string): StackFileConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new StackFileError(`There is no stack file ${file}.`);
  }
  try {
    return stackFileConfig(parse(text));
  } catch (error) {
    throw new StackFileError(`${file} is not valid YAML: ${(error as Error).message}`);
  }
}
