/**
 * JSON lines on stdout, one object per event. Node writes to a pipe (a container's stdout) synchronously, so a
 * slow reader would stall every request; here lines are gathered for a few milliseconds and written together with
 * fs.write from libuv's thread pool, one write in flight at a time, never blocking the event loop. If the reader
 * falls far behind, lines are dropped (and the count logged) rather than memory growing. Never handed the API key; prompt text only when
 * LOG_PROMPTS is on (server.ts decides). Every line the backend logs passes {@link redactingLogger} first, so key-like
 * strings and URL credentials in upstream error text never reach the log.
 */
import { write as fsWrite, writeSync } from "fs";

export type LogFields = Record<string, string | number | boolean | undefined | null | string[]>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Resolves once every line logged so far is written (before exit). */
  drained(): Promise<void>;
}

/** Bytes of log lines kept waiting for the reader before new lines are dropped. */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

/**
 * How long a line waits for others before they are written together. A write hands the lines to a thread of
 * libuv's pool and back (futex wake-ups, an eventfd): once per line, that was a fifth of the gateway's CPU per
 * request (strace, docs/resilience.md); once per batch it is shared by every request of the moment. A line is at
 * most this late; `drained()` (before exit) writes what waits at once.
 */
export const LINGER_MS = 10;

export function jsonLogger(fd = 1): Logger {
  let pending: string[] = [];
  let pendingBytes = 0;
  let writing = false;
  let dropped = 0;
  let waiting: (() => void)[] = [];
  let linger: NodeJS.Timeout | undefined;
  const take = () => {
    if (dropped > 0) pending.push(`${JSON.stringify({ time: new Date().toISOString(), level: "warn", msg: "log lines dropped", count: dropped })}\n`);
    dropped = 0;
    const text = pending.join("");
    pending = [];
    pendingBytes = 0;
    return text;
  };
  const drain = () => {
    if (writing || pending.length === 0) return;
    writing = true;
    fsWrite(fd, take(), (error) => {
      writing = false;
      if (!error) drain();
      if (!writing) {
        // Nothing more to write (or the reader is gone): whoever waits for the lines is done waiting.
        const done = waiting;
        waiting = [];
        done.forEach((resolve) => resolve());
      }
    });
  };
  const log = (level: string) => (msg: string, fields?: LogFields) => {
    const line = `${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`;
    if (pendingBytes + line.length > MAX_PENDING_BYTES) {
      dropped++;
      return;
    }
    pending.push(line);
    pendingBytes += line.length;
    linger ??= setTimeout(() => {
      linger = undefined;
      drain();
    }, LINGER_MS);
  };
  return {
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    drained: () => {
      clearTimeout(linger);
      linger = undefined;
      if (!writing) {
        if (pending.length > 0) writeSync(fd, take());
        return Promise.resolve();
      }
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
}

/** `logger` with every message and string field passed through `clean` (redact.ts) first. */
export function redactingLogger(logger: Logger, clean: (text: string) => string): Logger {
  const scrub = (fields?: LogFields): LogFields | undefined => {
    if (!fields) return fields;
    const out: LogFields = {};
    for (const key in fields) {
      const value = fields[key];
      out[key] = typeof value === "string" ? clean(value) : Array.isArray(value) ? value.map(clean) : value;
    }
    return out;
  };
  return {
    info: (msg, fields) => logger.info(clean(msg), scrub(fields)),
    warn: (msg, fields) => logger.warn(clean(msg), scrub(fields)),
    error: (msg, fields) => logger.error(clean(msg), scrub(fields)),
    drained: () => logger.drained(),
  };
}
