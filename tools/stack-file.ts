/**
 * Reads `Pulumi.<stack>.yaml` the way the Pulumi engine hands config to a program: string values, structured ones
 * as JSON. There is no passphrase or KMS key here, so every `secure:` value becomes a masked placeholder, and a
 * secret the stack file does not set at all gets one too, so that the offline render shows a stack whose secrets
 * are still to be set (a real deployment fails for those with the `pulumi config set --secret` command to run).
 */
import { readFileSync } from "fs";
import { join } from "path";
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

/** Reads `Pulumi.<stack>.yaml` from the project folder. */
export function readStackFile(projectDir: string, stack: string): StackFileConfig {
  const file = join(projectDir, `Pulumi.${stack}.yaml`);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new Error(`There is no stack file Pulumi.${stack}.yaml in ${projectDir}.`);
  }
  return stackFileConfig(parse(text));
}
