/** Runs the real entry point (`node -r ./tools/register.js services/backend/src/main.ts`) as a child process. */
import { ChildProcess, spawn } from "child_process";
import { PROJECT_DIR } from "../../../support/render";

export interface BackendProcess {
  child: ChildProcess;
  url: string;
  /** Parsed JSON log lines so far. */
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** `startMs`: how long it may take to listen (several processes starting at once on a busy machine need longer). */
export function spawnBackend(env: Record<string, string>, startMs = 15_000): Promise<BackendProcess> {
  const child = spawn(process.execPath, ["-r", "./tools/register.js", "services/backend/src/main.ts"], {
    cwd: PROJECT_DIR,
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error(`the backend did not start within ${startMs / 1000} s: ${stderr}`)), startMs);
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
          resolve({
            child,
            url: `http://127.0.0.1:${line.port}`,
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
    void exited.then((code) => reject(new Error(`the backend exited ${code} before listening: ${stderr}`)));
  });
}
