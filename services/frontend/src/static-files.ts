/**
 * The chat page's files, read once at start: the root filesystem is read-only and the set is small, so serving
 * from memory is both the fastest and the simplest. Each file gets a strong ETag; the page itself is revalidated
 * on every load (so a new release shows at once), its assets are cached briefly and revalidated by ETag.
 * Text files are also gzipped once at start and sent gzipped to clients that accept it (the page's JavaScript is a
 * third of its size that way), each encoding with its own ETag and `Vary: Accept-Encoding`.
 */
import { createHash } from "crypto";
import { gzipSync } from "zlib";
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
  /** The gzipped body and its ETag, for files that gzip to less than 90% of their size. */
  gzip?: { body: Buffer; etag: string };
}

/** What to send for a request: the body, its ETag, and the headers that say how it is encoded. */
export interface Representation {
  body: Buffer;
  etag: string;
  headers: Record<string, string>;
}

function etagOf(body: Buffer, suffix = ""): string {
  return `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}${suffix}"`;
}

/**
 * True when an `Accept-Encoding` header accepts gzip: `gzip` (or `x-gzip`), else `*`, with a q-value above 0
 * (RFC 9110 section 12.5.3; no header means no preference, and identity is then the safe choice).
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let gzip: number | undefined;
  let any: number | undefined;
  for (const part of header.split(",")) {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    const q = params.map((param) => param.trim()).find((param) => param.startsWith("q="));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    if (coding.trim() === "gzip" || coding.trim() === "x-gzip") gzip = weight;
    else if (coding.trim() === "*") any = weight;
  }
  const weight = gzip ?? any ?? 0;
  return Number.isFinite(weight) && weight > 0;
}

/** The representation of `file` to send to a client whose `Accept-Encoding` is `acceptEncoding`. */
export function representationOf(file: StaticFile, acceptEncoding: string | undefined): Representation {
  const vary: Record<string, string> = file.gzip ? { Vary: "Accept-Encoding" } : {};
  if (file.gzip && acceptsGzip(acceptEncoding)) return { body: file.gzip.body, etag: file.gzip.etag, headers: { ...vary, "Content-Encoding": "gzip" } };
  return { body: file.body, etag: file.etag, headers: vary };
}

/** Text compresses; images (but SVG) already are. */
function isCompressible(contentType: string): boolean {
  return /^text\/|^application\/(json|manifest\+json)|^image\/svg\+xml/.test(contentType);
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
    const gzipped = isCompressible(contentType) ? gzipSync(body, { level: 9 }) : undefined;
    files.set(urlPath, {
      body,
      contentType,
      etag: etagOf(body),
      cacheControl: contentType.startsWith("text/html") ? "no-cache" : "public, max-age=300",
      gzip: gzipped && gzipped.length < body.length * 0.9 ? { body: gzipped, etag: etagOf(body, "-gzip") } : undefined,
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
