/**
 * The backend's entry point: settings from the environment (the contract in lib/backend-env.ts), then the server.
 * A bad setting stops it at once with one line on stderr naming the variable; SIGTERM drains it gracefully.
 */
import { BackendEnvError, parseBackendEnv } from "../../../lib/backend-env";
import { jsonLogger } from "./log";
import { createBackend } from "./server";

function start(): void {
  let settings;
  try {
    settings = parseBackendEnv(process.env);
  } catch (error) {
    if (!(error instanceof BackendEnvError)) throw error;
    process.stderr.write(`backend: ${error.message}\n`);
    process.exit(1);
  }
  const log = jsonLogger();
  const backend = createBackend(settings, { logger: log });
  backend.listen().then(
    (port) =>
      log.info("listening", {
        port,
        host: settings.host,
        provider: settings.primary.provider,
        models: backend.router.models,
        fallbacks: settings.fallbacks.map((f) => f.provider),
        rate_limit_per_minute: settings.rateLimit.perMinute,
      }),
    (error: Error) => {
      process.stderr.write(`backend: cannot listen on ${settings.host}:${settings.port}: ${error.message}\n`);
      process.exit(1);
    },
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal, grace_seconds: settings.shutdownGraceMs / 1000 });
    void backend
      .shutdown()
      .then(() => log.info("stopped"))
      .then(() => log.drained())
      .then(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

start();
