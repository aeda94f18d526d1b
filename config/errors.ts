/**
 * Turns zod issues into one message a person can act on: the stack file, then one line per problem with the
 * key path, what was expected and what was found. Values of secret keys, and of any key that holds an encrypted
 * (`secure:`) value, are never echoed.
 */
import { z } from "zod";
import { SECRET_KEYS } from "./schema";

export const CONFIG_NAMESPACE = "ai-assistant";

/**
 * Config namespaces something reads: this program, the providers it uses (each reads its own namespace, e.g.
 * `kubernetes:context`, `aws:region`), and Pulumi itself (`pulumi:tags`). A key in any other namespace is read by
 * nobody, which is nearly always a misspelt `ai-assistant:` key.
 */
export const KNOWN_NAMESPACES = [CONFIG_NAMESPACE, "kubernetes", "aws", "docker", "pulumi"] as const;

/** `ai-assistant:backend.resources.requests[0]` style path of an issue. */
export function keyPath(path: PropertyKey[]): string {
  const [top, ...rest] = path.map(String);
  const tail = rest.map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`)).join("");
  return `${CONFIG_NAMESPACE}:${top ?? ""}${tail}`;
}

function describeFound(value: unknown, path: PropertyKey[], secretSections: ReadonlySet<string>): string {
  const secret = (SECRET_KEYS as readonly PropertyKey[]).includes(path[0]) || secretSections.has(String(path[0]));
  if (secret && value !== undefined) return "a value (hidden: it is a secret)";
  if (value === undefined) return "nothing (the key is not set)";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** One line of the message; `key` overrides the `ai-assistant:` path (for keys in other namespaces). */
export interface Problem {
  path: PropertyKey[];
  expected: string;
  found: string;
  key?: string;
}

/** zod's own messages say "Invalid input: expected string, received number"; keep only what was expected. */
function expectedFrom(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type" && !issue.message.startsWith("expected ")) return issue.expected;
  return issue.message.replace(/^Invalid input: /, "").replace(/^expected /, "").replace(/, received .*$/, "");
}

function describeIssue(issue: z.core.$ZodIssue, secretSections: ReadonlySet<string>): Problem[] {
  const path = [...issue.path];
  if (issue.code === "unrecognized_keys") {
    // One line per unknown key, at the key itself: that is the line to fix in the stack file.
    return issue.keys.map((key) => ({
      path: [...path, key],
      expected: "a known key (see the config reference in docs/configuration.md)",
      found: "an unknown key",
    }));
  }
  return [{ path, expected: expectedFrom(issue), found: describeFound(issue.input, path, secretSections) }];
}

export interface FormatOptions {
  /** Top-level keys whose value holds an encrypted (`secure:`) value: what was found there is not printed. */
  secretSections?: ReadonlySet<string>;
  /** Problems found outside the schema (keys in an unknown namespace), listed first. */
  problems?: readonly Problem[];
}

/** The whole message for a failed parse of a stack file (`Pulumi.<stack>.yaml`, or the file the render was given). */
export function formatConfigIssues(issues: readonly z.core.$ZodIssue[], stackFile: string, options: FormatOptions = {}): string {
  const secretSections = options.secretSections ?? new Set<string>();
  const problems = [...(options.problems ?? []), ...issues.flatMap((issue) => describeIssue(issue, secretSections))];
  const lines = problems.map(({ path, expected, found, key }) => `  - ${key ?? keyPath(path)}: expected ${expected}; found ${found}`);
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  return `Invalid configuration in ${stackFile} (${count}):\n${lines.join("\n")}`;
}
