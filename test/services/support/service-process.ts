/** Runs one of the assistant's servers from its real entry point (`services/<name>/src/main.ts`) as a child process on 127.0.0.1, port 0. */
import { ChildProcess, spawn } from "child_process";
import { PROJECT_DIR } from "../../support/render";

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  port: number;
  /** Parsed JSON log lines so far. */
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
  /** SIGTERM (unless it has exited), then its exit code. */
  stop(): Promise<number | null>;
}

/** `startMs`: how long it may take to log `listening` (several processes starting at once on a busy machine need longer). */
export function spawnService(service: "backend" | "frontend", env: Record<string, string>, startMs = 15_000): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ["-r", "./tools/register.js", `services/${service}/src/main.ts`], {
    cwd: PROJECT_DIR,
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error(`the ${service} did not start within ${startMs / 1000} s: ${stderr}`)), startMs);
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    child.stdout!.on("data", (chunk) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>;
        buffered = buffered.slice(newline + 1);
        logs.push(line);
        if (line.msg === "listening") {
          clearTimeout(timer);
          const port = line.port as number;
          resolve({
            child,
            url: `http://127.0.0.1:${port}`,
            port,
            logs,
            exited,
            stop: () => {
              if (child.exitCode === null) child.kill("SIGTERM");
              return exited;
            },
          });
        }
      }
    });
    void exited.then((code) => reject(new Error(`the ${service} exited ${code} before listening: ${stderr}`)));
  });
}
