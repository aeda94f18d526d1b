/**
 * `npm run vendor:page`: copies the chat page's two libraries from node_modules (where the lockfile pins them, as
 * dependencies of services/frontend) into services/frontend/public/vendor, which the frontend serves from its own
 * origin (the CSP allows no other) and the image copies with the rest of public/. Run it after changing either pin;
 * test/services/frontend/vendor.test.ts fails while the copies differ from the pinned packages.
 */
import { copyFileSync, mkdirSync } from "fs";
import { join } from "path";

const ROOT = join(__dirname, "..");
export const VENDOR_DIR = join(ROOT, "services/frontend/public/vendor");

/** Each vendored file, and the file of the pinned package it is a byte-for-byte copy of. */
export const VENDORED_FILES: { file: string; from: string }[] = [
  // The Markdown parser: its ES module build (minified, with its licence header) and its types for the page's tsc.
  { file: "marked.esm.js", from: "marked/lib/marked.esm.js" },
  { file: "marked.esm.d.ts", from: "marked/lib/marked.d.ts" },
  { file: "marked.LICENSE.txt", from: "marked/LICENSE" },
  // The HTML sanitizer: its ES module build (with its licence header) and types.
  { file: "purify.es.mjs", from: "dompurify/dist/purify.es.mjs" },
  { file: "purify.es.d.mts", from: "dompurify/dist/purify.es.d.mts" },
  { file: "purify.LICENSE.txt", from: "dompurify/LICENSE" },
];

/** Where npm installed `from` (workspace dependencies are hoisted to the root's node_modules). */
export function packageFile(from: string): string {
  return join(ROOT, "node_modules", from);
}

if (require.main === module) {
  mkdirSync(VENDOR_DIR, { recursive: true });
  for (const { file, from } of VENDORED_FILES) copyFileSync(packageFile(from), join(VENDOR_DIR, file));
  console.log(`copied ${VENDORED_FILES.length} files to ${VENDOR_DIR}`);
}
