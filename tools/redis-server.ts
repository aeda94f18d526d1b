/**
 * A throwaway `redis-server` (Debian's package) on 127.0.0.1 for tests and the bench: a free port, no persistence
 * (`--save ''`, `--appendonly no`), optionally a password; stopped with SIGTERM. The Valkey the stacks deploy speaks
 * the same protocol and runs the same Lua scripts, so the backend cannot tell them apart.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import { createServer } from "net";

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** The path of `redis-server`, or undefined when it is not installed. */
export function redisServerPath(): string | undefined {
  try {
    return execFileSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function startOnce(binary: string, port: number, options: RedisServerOptions): Promise<ChildProcess> {
  const listen = ["--port", String(port), "--bind", "127.0.0.1", "--daemonize", "no"];
  // A config file comes first; the command line's port and bind override its own.
  const args = options.configFile ? [options.configFile, ...listen] : [...listen, "--save", "", "--appendonly", "no", "--loglevel", "notice"];
  if (options.password) args.push("--requirepass", options.password);
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`redis-server did not start within 10 s: ${output}`));
    }, 10_000);
    child.stdout!.on("data", (chunk) => {
      output += chunk;
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr!.on("data", (chunk) => (output += chunk));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited ${code}: ${output}`));
    });
  });
}

export interface RedisServerOptions {
  password?: string;
  /** A config file to start from (its persistence settings kept) instead of the throwaway defaults. */
  configFile?: string;
}

/** Starts redis-server on a free loopback port (a few tries: another process may take the port in between). */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = redisServerPath();
  if (!binary) throw new Error("redis-server is not installed (Debian package redis-server; .ci/run installs it)");
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      const child = await startOnce(binary, port, options);
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
          await exited;
        },
      };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
