/**
 * The one place that decides what of a text may leave the gateway: every log line (log.ts) and every error message
 * built from upstream or client text goes through here. Key-like strings are replaced, URLs lose their userinfo and
 * query string (lib/backend-env.ts, as start-up errors need the same), client input is echoed only as a short excerpt.
 */
import { withoutUrlSecrets } from "../../../lib/backend-env";

export const REDACTED = "[redacted]";

/**
 * Patterns of credentials as providers and clients spell them: `Bearer <token>` (an Authorization header echoed),
 * OpenAI- and Anthropic-style keys (`sk-…`, `sk-ant-…`, `sk-proj-…`), Hugging Face tokens (`hf_…`), and the value
 * after an `x-api-key`, `api-key`, `api_key` or `apikey` name (header, JSON field or query parameter).
 */
const KEY_PATTERNS: readonly [RegExp, string][] = [
  [/\b(Bearer|Basic)\s+[^\s"',;]+/gi, `$1 ${REDACTED}`],
  [/\bsk-[A-Za-z0-9_-]{6,}/g, `sk-${REDACTED}`],
  [/\bhf_[A-Za-z0-9]{10,}/g, `hf_${REDACTED}`],
  [/((?:x-)?api[-_]?key|access[-_]?token)(["']?\s*[:=]\s*["']?)[^\s"'&,;]+/gi, `$1$2${REDACTED}`],
];

/** One cheap test before the replacements: most log fields (ids, routes, numbers as text) hold none of these. */
const MAY_HOLD_A_SECRET = /bearer|basic|sk-|hf_|api[-_]?key|access[-_]?token|:\/\//i;

export type Redactor = (text: string) => string;

/** A redactor that also removes `secrets` (the configured key) wherever they appear, in any case of the patterns. */
export function redactor(secrets: readonly (string | undefined)[] = []): Redactor {
  // Short strings would redact ordinary words; a real key is long.
  const exact = secrets.filter((s): s is string => typeof s === "string" && s.length >= 8);
  return (text) => {
    let out = text;
    for (const secret of exact) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    if (!MAY_HOLD_A_SECRET.test(out)) return out;
    for (const [pattern, replacement] of KEY_PATTERNS) out = out.replace(pattern, replacement);
    return withoutUrlSecrets(out);
  };
}

/** The default redactor, for texts outside a configured backend (no key known). */
export const redact: Redactor = redactor();

/** At most `max` characters of client input, marked when cut, for error messages that name what was sent. */
export function excerpt(text: string, max = 64): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]/g, "?");
  return flat.length <= max ? flat : `${flat.slice(0, max)}… (${text.length} characters)`;
}
