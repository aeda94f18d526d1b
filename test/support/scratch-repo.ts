/**
 * A scratch git repository holding this working tree as it is (tracked and new files, not ignored ones), as one
 * commit, with this checkout's node_modules linked in: a place to make commits and run the tools on them.
 */
import { spawnSync } from "child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "fs";
import { tmpdir } from "os";
import { dirname, join } from "path";
import { PROJECT_DIR } from "./render";

export interface ScratchRepo {
  dir: string;
  /** Runs a command in the repository; throws with its stderr when it fails. */
  run(command: string, args: string[]): string;
  remove(): void;
}

export function scratchRepo(): ScratchRepo {
  const root = mkdtempSync(join(tmpdir(), "scratch-repo-"));
  const dir = join(root, "repo");
  const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: PROJECT_DIR, encoding: "utf8" });
  for (const file of listed.stdout.split("\0").filter(Boolean)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    try {
      copyFileSync(join(PROJECT_DIR, file), join(dir, file));
    } catch {
      // A tracked file deleted in the working tree: the working tree is what is copied.
    }
  }
  const run = (command: string, args: string[]) => {
    const result = spawnSync(command, args, { cwd: dir, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr}`);
    return result.stdout;
  };
  run("git", ["init", "--quiet", "--initial-branch=main"]);
  run("git", ["config", "user.email", "test@example.com"]);
  run("git", ["config", "user.name", "test"]);
  run("git", ["add", "--all"]);
  run("git", ["commit", "--quiet", "--message", "the working tree"]);
  // After the commit: `node_modules/` in .gitignore matches a folder, not a symlink, so `git add` would take it.
  symlinkSync(join(PROJECT_DIR, "node_modules"), join(dir, "node_modules"), "dir");
  return { dir, run, remove: () => rmSync(root, { recursive: true, force: true }) };
}
