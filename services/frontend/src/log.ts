/** One JSON object per line on stdout, as log collectors expect; never request bodies (they hold prompts). */
export type LogFields = Record<string, string | number | boolean | undefined>;

export function log(level: "info" | "warn" | "error", msg: string, fields: LogFields = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, service: "frontend", msg, ...fields })}\n`);
}
