/**
 * The Docker Engine the harness builds and runs with. It uses the one `docker` reaches (DOCKER_HOST or the default
 * socket); when none answers and the harness runs as root with Debian's `dockerd` installed (as `.ci/run` leaves a
 * fresh machine), it starts one the way a sandbox without kernel networking privileges allows: vfs storage, no
 * bridge, no iptables. Builds and containers then use the host network (`--network host`).
 */
import { spawn } from "child_process";
import { mkdirSync, openSync } from "fs";
import { join } from "path";
import { run, sleep } from "./process";

export interface DockerEngine {
  version: string;
  /** Whether the harness started dockerd (and so stops it at the end). */
  startedByUs: boolean;
  stop(): Promise<void>;
}

async function serverVersion(): Promise<string | undefined> {
  const result = await run("docker", ["version", "--format", "{{.Server.Version}}"], { allowFailure: true });
  return result.code === 0 ? result.stdout.trim() : undefined;
}

/** The reachable engine, starting dockerd first if none answers. */
export async function ensureDocker(cacheDir: string): Promise<DockerEngine> {
  const running = await serverVersion();
  if (running) return { version: running, startedByUs: false, stop: async () => undefined };
  if (process.getuid?.() !== 0) throw new Error("no Docker engine answers, and only root can start dockerd here; start Docker or set DOCKER_HOST");
  mkdirSync(join(cacheDir, "logs"), { recursive: true });
  const logPath = join(cacheDir, "logs", "dockerd.log");
  const log = openSync(logPath, "a");
  const args = (process.env.E2E_DOCKERD_ARGS ?? "--storage-driver vfs --bridge=none --iptables=false --ip-masq=false").split(/\s+/).filter(Boolean);
  // Niced: the daemon does the builds' work (layer copies, RUN steps), on a machine other jobs share.
  const daemon = spawn("nice", ["-n", "19", "dockerd", ...args], { detached: true, stdio: ["ignore", log, log] });
  daemon.unref();
  for (let waited = 0; waited < 60_000; waited += 500) {
    await sleep(500);
    const version = await serverVersion();
    if (version) {
      return {
        version,
        startedByUs: true,
        stop: async () => {
          process.kill(daemon.pid!, "SIGTERM");
          for (let i = 0; i < 40 && (await serverVersion()); i++) await sleep(500);
        },
      };
    }
    if (daemon.exitCode !== null) break;
  }
  throw new Error(`dockerd did not answer within 60 s; see ${logPath}`);
}

export async function imageExists(reference: string): Promise<boolean> {
  return (await run("docker", ["image", "inspect", reference], { allowFailure: true })).code === 0;
}

/** Image size in bytes, as `docker images` reports it (all layers). */
export async function imageSize(reference: string): Promise<number> {
  return Number((await run("docker", ["image", "inspect", "--format", "{{.Size}}", reference])).stdout.trim());
}
