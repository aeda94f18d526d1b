/**
 * A digest of a Docker build context. The stack tags each image it builds with it: ECR repositories of a
 * production stack have immutable tags, so a fixed tag could be pushed once only, and a content tag also says
 * which sources an image came from.
 */
import { createHash } from "crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "fs";
import { join, relative } from "path";

// Never part of what an image is built from, and expensive to walk.
const SKIPPED = new Set([".git", "node_modules"]);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !SKIPPED.has(entry.name))
    .flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : entry.isFile() ? [join(dir, entry.name)] : []));
}

/** Short hex digest of every file under `context` (paths and contents) plus the build settings in `extra`. */
export function contextDigest(context: string, extra: unknown): string {
  if (!existsSync(context) || !statSync(context).isDirectory()) throw new Error(`${context} is not a directory`);
  const hash = createHash("sha256").update(JSON.stringify(extra));
  for (const file of files(context).sort()) {
    hash.update(relative(context, file)).update("\0").update(readFileSync(file)).update("\0");
  }
  return hash.digest("hex").slice(0, 12);
}
