/**
 * A digest of a Docker build context. The stack tags each image it builds with it: ECR repositories of a
 * production stack have immutable tags, so a fixed tag could be pushed once only, and a content tag also says
 * which sources an image came from. It covers what the builder receives and nothing else: the files its
 * `.dockerignore` lets in (see dockerignore.ts), the Dockerfile and that ignore file, and the build settings. So a
 * context at the repository root with an allowlist changes its tag only when the image's own sources change, not
 * with docs, tests or renders, and the walk skips whole directories the allowlist leaves out.
 */
import { createHash } from "crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "fs";
import { join, relative } from "path";
import { contextFilter, ContextFilter } from "./dockerignore";

// Never part of what an image is built from here (the Dockerfiles install packages from the lockfile), and
// expensive to walk.
const SKIPPED = new Set([".git", "node_modules"]);

/** Every file of the context the builder receives, as paths relative to the context. */
function files(root: string, dir: string, filter: ContextFilter): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIPPED.has(entry.name)) return [];
    const path = join(dir, entry.name);
    const rel = relative(root, path).split("\\").join("/");
    if (entry.isDirectory()) return filter.excludes(rel) && !filter.mayIncludeBelow(rel) ? [] : files(root, path, filter);
    return entry.isFile() && !filter.excludes(rel) ? [rel] : [];
  });
}

/**
 * The files of `context` the builder receives for `dockerfile` (relative to the context), sorted: what its
 * `.dockerignore` lets in. The e2e harness stages exactly these for Docker's legacy builder, which reads only a
 * `.dockerignore` at the context root and not the per-Dockerfile one BuildKit reads.
 */
export function contextFiles(context: string, dockerfile: string): string[] {
  return files(context, context, contextFilter(context, dockerfile).filter).sort();
}

/** The build settings the tag depends on; `dockerfile` is relative to the context. */
export interface DigestSettings {
  dockerfile: string;
  [setting: string]: unknown;
}

/** Short hex digest of what `docker build` sends from `context` (paths and contents) plus the build settings. */
export function contextDigest(context: string, settings: DigestSettings): string {
  if (!existsSync(context) || !statSync(context).isDirectory()) throw new Error(`${context} is not a directory`);
  const { filter, ignoreFile } = contextFilter(context, settings.dockerfile);
  const hash = createHash("sha256").update(JSON.stringify(settings));
  // The builder always gets the Dockerfile and its ignore file, whatever the patterns say.
  for (const path of [join(context, settings.dockerfile), ignoreFile]) {
    if (path && existsSync(path)) hash.update(relative(context, path)).update("\0").update(readFileSync(path)).update("\0");
  }
  for (const file of files(context, context, filter).sort()) {
    hash.update(file).update("\0").update(readFileSync(join(context, file))).update("\0");
  }
  return hash.digest("hex").slice(0, 12);
}
