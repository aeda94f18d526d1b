/**
 * The chat page's vendored libraries (services/frontend/public/vendor) are byte-for-byte the files of the versions
 * the lockfile pins for services/frontend, so what the page runs is what was reviewed and audited; after changing a
 * pin, `npm run vendor:page` copies the new files.
 */
import { readFileSync } from "fs";
import { join } from "path";
import { packageFile, VENDOR_DIR, VENDORED_FILES } from "../../../tools/vendor-page-libraries";
import { PROJECT_DIR } from "../../support/render";

const frontendPackage = JSON.parse(readFileSync(join(PROJECT_DIR, "services/frontend/package.json"), "utf8")) as { dependencies: Record<string, string> };
const lock = JSON.parse(readFileSync(join(PROJECT_DIR, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string; dependencies?: Record<string, string> }> };

describe("the chat page's vendored libraries", () => {
  it.each(["marked", "dompurify"])("%s is an exact pin of services/frontend, and the lockfile and node_modules hold that version", (name) => {
    const pin = frontendPackage.dependencies[name];
    expect(pin).toMatch(/^\d+\.\d+\.\d+$/);
    expect(lock.packages["services/frontend"].dependencies![name]).toBe(pin);
    expect(lock.packages[`node_modules/${name}`].version).toBe(pin);
    expect((JSON.parse(readFileSync(packageFile(`${name}/package.json`), "utf8")) as { version: string }).version).toBe(pin);
  });

  it.each(VENDORED_FILES.map(({ file, from }) => [file, from]))("public/vendor/%s is a copy of %s", (file, from) => {
    expect(readFileSync(join(VENDOR_DIR, file)).equals(readFileSync(packageFile(from)))).toBe(true);
  });

  it("ships each library with its licence header in the served file", () => {
    expect(readFileSync(join(VENDOR_DIR, "marked.esm.js"), "utf8")).toMatch(/^\/\*\*\n \* marked v[\d.]+ - a markdown parser\n \* Copyright .*\(MIT License\)/);
    expect(readFileSync(join(VENDOR_DIR, "purify.es.mjs"), "utf8")).toMatch(/^\/\*! @license DOMPurify [\d.]+ /);
  });
});
