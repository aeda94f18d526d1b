/**
 * The connection to the stack's shared Valkey (any Redis-protocol server), tuned for a gateway's hot path: a command
 * either answers quickly or fails at once, so that a Valkey outage costs a request a few milliseconds, never a hang.
 * - `enableOfflineQueue: false`: while disconnected, commands fail immediately instead of queueing (ioredis README,
 *   "Offline Queue").
 * - `commandTimeout`: a command that does not answer in time fails with "Command timed out".
 * - `maxRetriesPerRequest: 0`: a command is not re-sent after a reconnect; the caller applies its failure policy.
 * - `retryStrategy`: reconnect forever, backing off to at most 2 s.
 * The password never reaches a log line: errors are logged by their message, which ioredis writes without it.
 */
import Redis from "ioredis";
import { Logger } from "../log";

/** Milliseconds a limiter or cache command may take before it counts as Valkey being unreachable. */
export const COMMAND_TIMEOUT_MS = 250;

export interface ValkeyConnection {
  readonly client: Redis;
  /** Closes the connection (shutdown). */
  close(): Promise<void>;
}

export function connectValkey(url: string, password: string | undefined, log: Logger): ValkeyConnection {
  const client = new Redis(url, {
    password,
    enableOfflineQueue: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(2000, 50 * 2 ** Math.min(attempt, 6)),
    // Keys are per stack already (one Valkey per stack); the prefix keeps the assistant's keys apart from anything else.
    keyPrefix: "ai-assistant:",
  });
  let connected = false;
  let lastWarning = 0;
  client.on("ready", () => {
    connected = true;
    log.info("valkey connected", { valkey: redactedUrl(url) });
  });
  client.on("error", (error: Error) => {
    // A reconnect loop errors every backoff step; one warning per 10 s is enough to see it in the logs.
    const now = Date.now();
    if (now - lastWarning < 10_000 && !connected) return;
    lastWarning = now;
    connected = false;
    log.warn("valkey unreachable", { valkey: redactedUrl(url), error: error.message });
  });
  return {
    client,
    async close() {
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}

/** The URL as a log may show it: host and port, never credentials. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return "(invalid url)";
  }
}
