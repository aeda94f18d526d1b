/**
 * Starts the frontend server: `node -r ./tools/register.js services/frontend/src/main.ts` from source, or
 * `node dist/main.js` in the image. SIGTERM (Kubernetes) and SIGINT (Ctrl-C) fail readiness, keep serving for
 * SHUTDOWN_DRAIN_SECONDS, then stop accepting and let in-flight streams finish (SHUTDOWN_GRACE_SECONDS), then exit.
 */
import { AddressInfo } from "net";
import { log } from "./log";
import { createFrontendServer } from "./server";
import { readSettings, SettingsError } from "./settings";

function start(): void {
  let settings;
  try {
    settings = readSettings();
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    process.stderr.write(`frontend: ${err.message}\n`);
    process.exit(1);
  }
  // An exception no request handler caught (an error event nobody listened to) is logged, and the server keeps
  // serving: each request's state is its own, and exiting would cut every stream on the pod.
  process.on("uncaughtException", (error) => log("error", "uncaught exception; the process keeps serving", { error: String(error?.stack ?? error) }));
  process.on("unhandledRejection", (reason) => log("error", "unhandled rejection; the process keeps serving", { error: String((reason as Error)?.stack ?? reason) }));
  const { server, shutdown } = createFrontendServer(settings);
  server.on("error", (err: NodeJS.ErrnoException) => {
    process.stderr.write(`frontend: cannot listen on port ${settings.port}: ${err.code ?? err.message}\n`);
    process.exit(1);
  });
  server.listen(settings.port, settings.host, () => {
    const { port, address } = server.address() as AddressInfo;
    log("info", "listening", { port, address, backendUrl: settings.backendUrl.origin });
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log("info", "shutting down", { signal, drainSeconds: settings.shutdownDrainSeconds, graceSeconds: settings.shutdownGraceSeconds });
    void shutdown(settings.shutdownGraceSeconds, settings.shutdownDrainSeconds).then(() => {
      log("info", "stopped");
      process.exit(0);
    });
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

start();
