/** One JSON object per line on stdout, as log collectors expect; never request bodies (they hold prompts). */
export type LogFields = Record<string, string | number | boolean | undefined>;

// A reader that went away (a closed pipe: the parent of `npm run assistant` killed) makes writes fail with EPIPE.
// Unheard, that error would be an uncaught exception, logged to the same closed pipe, and so on: logging is
// best-effort, and a server without a log reader still serves and still stops on SIGTERM.
process.stdout.on("error", () => undefined);

export function log(level: "info" | "warn" | "error", msg: string, fields: LogFields = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, service: "frontend", msg, ...fields })}\n`);
}
