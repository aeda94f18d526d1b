/**
 * The backend's entry point: settings from the environment (the contract in lib/backend-env.ts), then the server.
 * A bad setting stops it at once with one line on stderr naming the variable (URL credentials and the key hidden).
 * SIGTERM (or SIGINT) drains it: readiness fails and it keeps serving for SHUTDOWN_DRAIN_SECONDS, then it stops
 * accepting and in-flight answers get SHUTDOWN_GRACE_SECONDS.
 */
import { BackendEnvError, parseBackendEnv, withoutUrlSecrets } from "../../../lib/backend-env";
import { jsonLogger, redactingLogger } from "./log";
import { redactor } from "./redact";
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
  const raw = jsonLogger();
  const log = redactingLogger(raw, redactor([settings.apiKey]));
  // Last line of defence: an exception no request handler caught (an error event of a stream nobody listened to) is
  // logged, and the process keeps serving. Each request's state is its own, so one broken request leaves the others
  // sound; exiting would cut every stream on the pod, and a client that can trigger it could keep every pod restarting.
  process.on("uncaughtException", (error) => log.error("uncaught exception; the process keeps serving", { error: String(error?.stack ?? error) }));
  process.on("unhandledRejection", (reason) => log.error("unhandled rejection; the process keeps serving", { error: String((reason as Error)?.stack ?? reason) }));
  const backend = createBackend(settings, { logger: raw });
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
      process.stderr.write(`backend: cannot listen on ${withoutUrlSecrets(settings.host)}:${settings.port}: ${error.message}\n`);
      process.exit(1);
    },
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal, drain_seconds: settings.shutdownDrainMs / 1000, grace_seconds: settings.shutdownGraceMs / 1000 });
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
