import { spawnSync } from "child_process";
import { delimiter, join } from "path";
import { accessSync, constants } from "fs";

/** A step that cannot go on: printed as one message, no stack trace, exit 1. */
export class KindError extends Error {}

export interface RunOptions {
  /** Written to the command's stdin. */
  input?: string;
  /** Show the command's output live (long steps: cluster creation, `pulumi up`, rollouts) instead of capturing it. */
  live?: boolean;
  /** A non-zero exit is an answer (e.g. "no such container"), not a failure. */
  mayFail?: boolean;
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs one command; every call of the script goes through here, so the tests see exactly what would run. */
export type Runner = (command: string, args: string[], options?: RunOptions) => RunResult;

/** The command as a user would type it, for messages. */
export function commandLine(command: string, args: string[]): string {
  return [command, ...args].map((part) => (/^[\w@%+=:,./{}-]+$/.test(part) ? part : `'${part.replace(/'/g, `'\\''`)}'`)).join(" ");
}

export function shellRunner(cwd: string, env: NodeJS.ProcessEnv): Runner {
  return (command, args, options = {}) => {
    const result = spawnSync(command, args, {
      cwd,
      env,
      input: options.input,
      encoding: "utf8",
      stdio: [options.input === undefined ? (options.live ? "inherit" : "ignore") : "pipe", options.live ? "inherit" : "pipe", options.live ? "inherit" : "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.error) throw new KindError(`could not run \`${commandLine(command, args)}\`: ${result.error.message}`);
    const answer = { status: result.status ?? 1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
    if (answer.status !== 0 && !options.mayFail) {
      const detail = answer.stderr.trim().split("\n").slice(-5).join("\n");
      throw new KindError(`\`${commandLine(command, args)}\` exited ${answer.status}${detail ? `:\n${detail}` : " (its output is above)"}`);
    }
    return answer;
  };
}

/** The tools the script needs that are not on PATH (looked up as a shell would, without running them). */
export function missingTools(tools: readonly string[], path: string | undefined): string[] {
  const dirs = (path ?? "").split(delimiter).filter(Boolean);
  return tools.filter(
    (tool) =>
      !dirs.some((dir) => {
        try {
          accessSync(join(dir, tool), constants.X_OK);
          return true;
        } catch {
          return false;
        }
      }),
  );
}
