/** Runs the frontend's real entry point (`services/frontend/src/main.ts`) as a child process on 127.0.0.1, port 0. */
import { ChildProcess, spawn } from "child_process";
import { PROJECT_DIR } from "../../support/render";

export interface FrontendProcess {
  child: ChildProcess;
  url: string;
  port: number;
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export function spawnFrontend(env: Record<string, string>): Promise<FrontendProcess> {
  const child = spawn(process.execPath, ["-r", "./tools/register.js", "services/frontend/src/main.ts"], {
    cwd: PROJECT_DIR,
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error(`the frontend did not start within 15 s: ${stderr}`)), 15_000);
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
          resolve({ child, url: `http://127.0.0.1:${port}`, port, logs, exited, stop: () => (child.exitCode === null && child.kill("SIGTERM"), exited) });
        }
      }
    });
    void exited.then((code) => reject(new Error(`the frontend exited ${code} before listening: ${stderr}`)));
  });
}
