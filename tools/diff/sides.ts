/**
 * The two sides of a diff: the base ref, unpacked from git into a temporary folder that borrows this checkout's
 * node_modules (a symlink: nothing is installed), and the working tree as it is. Each side renders each stack with
 * its own render command, in a child process of its own (a fresh Pulumi runtime, the side's folder as the working
 * directory, so build contexts resolve there), several at once.
 */
import { spawn, spawnSync } from "child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "fs";
import { cpus, tmpdir } from "os";
import { join } from "path";

/** A side that could not be prepared or rendered: which side, and why. Printed without a stack trace. */
export class SideError extends Error {}

export interface Side {
  /** `base (main at 1a2b3c4)` or `working tree`, for messages. */
  label: string;
  dir: string;
  /** The commit a base side was unpacked from. */
  commit?: string;
}

function git(projectDir: string, args: string[]) {
  return spawnSync("git", args, { cwd: projectDir, encoding: "buffer", maxBuffer: 512 * 1024 * 1024 });
}

/** Unpacks `ref` into a temporary folder; the caller removes `root` when done. */
export function checkoutBase(projectDir: string, ref: string, root: string): Side {
  const resolved = git(projectDir, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  if (resolved.status !== 0) throw new SideError(`base side: ${ref} is not a commit in this repository (fetch it first, e.g. \`git fetch origin ${ref}\`)`);
  const commit = resolved.stdout.toString().trim();
  const dir = join(root, "base");
  const archive = git(projectDir, ["archive", "--format=tar", commit]);
  if (archive.status !== 0) throw new SideError(`base side: git archive ${commit} failed: ${archive.stderr.toString().trim()}`);
  mkdirSync(dir, { recursive: true });
  const untar = spawnSync("tar", ["-x", "-C", dir], { input: archive.stdout });
  if (untar.status !== 0) throw new SideError(`base side: unpacking ${commit} failed: ${untar.stderr.toString().trim()}`);
  // A committed node_modules link (`node_modules/` in .gitignore does not match a symlink) gives way to this one.
  rmSync(join(dir, "node_modules"), { force: true });
  symlinkSync(join(projectDir, "node_modules"), join(dir, "node_modules"), "dir");
  return { label: `base (${ref} at ${commit.slice(0, 7)})`, dir, commit };
}

/** Files that differ between `commit` and the working tree, new untracked files included. */
export function changedFiles(projectDir: string, commit: string): string[] {
  const tracked = git(projectDir, ["diff", "--name-only", "--no-renames", commit, "--"]);
  const untracked = git(projectDir, ["ls-files", "--others", "--exclude-standard"]);
  if (tracked.status !== 0 || untracked.status !== 0) throw new SideError(`working tree: git cannot compare it with ${commit}`);
  return [...tracked.stdout.toString().split("\n"), ...untracked.stdout.toString().split("\n")].filter(Boolean);
}

/**
 * Files no render reads: tests, docs, CI, the policy pack, the tools that only read renders, and node_modules
 * (both sides share it). A change to nothing else renders the same.
 */
const NOT_RENDERED = [
  /^test\//, /^docs\//, /^\.github\//, /^\.ci\//, /^policy\//, /\.md$/, /^rendered\//, /^node_modules$/,
  /^tools\/(diff|promote)(\/|\.ts$)/, /^tools\/(diff-comment|bench|promtool)\.ts$/,
];

/**
 * Whether a stack's render can differ between the base and the working tree, from the files that changed: any
 * file the program, the render or an image build may read, except the other stacks' own stack files.
 */
export function mayRenderDifferently(stack: string, changed: readonly string[]): boolean {
  return changed.some((file) => {
    if (NOT_RENDERED.some((pattern) => pattern.test(file))) return false;
    const stackFile = /^Pulumi\.([^./]+)\.yaml$/.exec(file);
    return !stackFile || stackFile[1] === stack;
  });
}

/** The committed stacks of a side: `Pulumi.<name>.yaml` files beside `Pulumi.yaml`. */
export function stacksOf(dir: string): string[] {
  return readdirSync(dir)
    .map((file) => /^Pulumi\.([^.]+)\.yaml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .sort();
}

/** One render: a stack of a side, from its committed stack file or from another file (`stackFile`). */
export interface RenderRequest {
  side: Side;
  stack: string;
  stackFile?: string;
}

interface RenderJob extends RenderRequest {
  out: string;
}

function renderOne(job: RenderJob): Promise<void> {
  const cli = join(job.side.dir, "tools", "render-cli.ts");
  if (!existsSync(cli)) return Promise.reject(new SideError(`${job.side.label} cannot render: it has no tools/render-cli.ts`));
  return new Promise((resolve, reject) => {
    const args = ["-r", "./tools/register.js", "tools/render-cli.ts", "--stack", job.stack, "--out", job.out, ...(job.stackFile ? ["--stack-file", job.stackFile] : [])];
    const child = spawn(process.execPath, args, {
      cwd: job.side.dir,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", (error) => reject(new SideError(`${job.side.label} failed to render stack ${job.stack}: ${error.message}`)));
    child.on("close", (code) => {
      if (code === 0) return resolve();
      const why = stderr.trim().split("\n").slice(0, 30).join("\n");
      reject(new SideError(`${job.side.label} failed to render stack ${job.stack} (exit ${code}):\n${why}`));
    });
  });
}

/** Renders every request, as many at once as there are cores; resolves to each render's folder, in order. */
export async function renderAll(requests: RenderRequest[], outRoot: string): Promise<string[]> {
  const queue: RenderJob[] = requests.map((request, i) => ({ ...request, out: join(outRoot, `render-${i}-${request.stack}`) }));
  const folders = queue.map((job) => job.out);
  const failures: unknown[] = [];
  const workers = Array.from({ length: Math.max(2, cpus().length) }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await renderOne(job).catch((error: unknown) => failures.push(error));
  });
  // Every render finishes (or fails) before the caller removes the scratch folder they write into.
  await Promise.all(workers);
  if (failures.length > 0) throw failures[0];
  return folders;
}

/** A temporary folder for one diff run, removed by the returned function. */
export function scratch(): { root: string; remove: () => void } {
  const root = mkdtempSync(join(tmpdir(), "ai-assistant-diff-"));
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}
