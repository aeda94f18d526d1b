/**
 * The chat page's files, read once at start: the root filesystem is read-only and the set is small, so serving
 * from memory is both the fastest and the simplest. Each file gets a strong ETag; the page itself is revalidated
 * on every load (so a new release shows at once), its assets are cached briefly and revalidated by ETag.
 */
import { createHash } from "crypto";
import { readdirSync, readFileSync } from "fs";
import { extname, join, relative, sep } from "path";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  // The vendored sanitizer's ES module build (public/vendor/purify.es.mjs).
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json",
  ".txt": "text/plain; charset=utf-8",
};

export interface StaticFile {
  body: Buffer;
  contentType: string;
  etag: string;
  cacheControl: string;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : entry.isFile() ? [join(dir, entry.name)] : [],
  );
}

/** URL path (`/app.js`) to file, for every file under `dir` with a known content type. */
export function loadStaticFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const path of walk(dir)) {
    const contentType = CONTENT_TYPES[extname(path)];
    if (!contentType) continue;
    const body = readFileSync(path);
    const urlPath = `/${relative(dir, path).split(sep).join("/")}`;
    files.set(urlPath, {
      body,
      contentType,
      etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`,
      cacheControl: contentType.startsWith("text/html") ? "no-cache" : "public, max-age=300",
    });
  }
  const index = files.get("/index.html");
  if (!index) throw new Error(`${dir} has no index.html`);
  files.set("/", index);
  return files;
}

/** True when the request's If-None-Match names the file's current ETag. */
export function isFresh(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.trim() === "*" || ifNoneMatch.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}
