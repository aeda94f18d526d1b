/**
 * JSON lines on stdout, one object per event. Lines are gathered and written once per turn of the event loop, so
 * a busy gateway makes one write call for many requests instead of one each. Never handed the API key; prompt
 * text only when LOG_PROMPTS is on (server.ts decides).
 */
export type LogFields = Record<string, string | number | boolean | undefined | null | string[]>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Writes what is pending now (before exit). */
  flush(): void;
}

export function jsonLogger(write: (text: string) => void = (text) => process.stdout.write(text)): Logger {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join("");
    pending = [];
    write(text);
  };
  const log = (level: string) => (msg: string, fields?: LogFields) => {
    pending.push(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  return { info: log("info"), warn: log("warn"), error: log("error"), flush };
}
