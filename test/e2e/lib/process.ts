/** Running commands for the harness: output captured for errors, progress optionally streamed. */
import { spawn, SpawnOptions } from "child_process";

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions extends SpawnOptions {
  /** Data written to the command's stdin. */
  input?: string | Buffer;
  /** Stream the command's output, each line prefixed, for long builds. */
  echo?: string;
  /** Only echo lines that match (e.g. a build's `Step n/m`). */
  echoOnly?: RegExp;
  /** Resolve on a non-zero exit instead of rejecting. */
  allowFailure?: boolean;
}

/** Runs `command args`; rejects with the tail of its output when it exits non-zero (unless allowFailure). */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const { input, echo, echoOnly, allowFailure, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...spawnOptions, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const forward = (chunk: Buffer) => {
      if (!echo) return;
      for (const line of chunk.toString().split("\n").filter((l) => l.trim() && (!echoOnly || echoOnly.test(l)))) process.stdout.write(`    ${echo}| ${line}\n`);
    };
    child.stdout!.on("data", (chunk: Buffer) => ((stdout += chunk), forward(chunk)));
    child.stderr!.on("data", (chunk: Buffer) => ((stderr += chunk), forward(chunk)));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0 && !allowFailure) {
        const tail = (stderr || stdout).trim().split("\n").slice(-15).join("\n");
        reject(new Error(`${command} ${args.slice(0, 3).join(" ")} … exited ${code}:\n${tail}`));
      } else resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
