import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { dirname, join } from "path";
import { contextDigest } from "../../../components/images/context-digest";
import { ContextFilter, dockerignoreFile, parseDockerignore } from "../../../components/images/dockerignore";

const filter = (text: string) => new ContextFilter(parseDockerignore(text));

describe("an ignore file, read as Docker reads it", () => {
  it.each([
    // pattern(s), path, excluded
    ["*.md", "README.md", true],
    ["*.md", "docs/README.md", false], // `*` stops at `/`
    ["**/*.md", "docs/deep/README.md", true],
    ["**/*.md", "README.md", true], // `**` is any number of directories, zero too
    ["docs/**", "docs/a/b.txt", true],
    ["tmp", "tmp/a/b.txt", true], // a directory's pattern covers what is under it
    ["/build", "build/out.js", true], // a leading slash means the context root
    ["build/", "build/out.js", true], // a trailing slash is cleaned away
    ["./build/../dist", "dist/x", true],
    ["file?.txt", "file1.txt", true],
    ["file?.txt", "file10.txt", false],
    ["file[ab].txt", "fileb.txt", true],
    ["file[ab].txt", "filec.txt", false],
    ["a\\*b", "a*b", true],
    ["a\\*b", "axb", false],
    ["dir.name", "dirxname", false], // a dot is a dot
    ["# a comment\n\n  spaced.txt  ", "spaced.txt", true],
    ["# a comment", "# a comment", false],
    ["*.log\n!keep.log", "keep.log", false], // the last match wins
    ["*.log\n!keep.log", "drop.log", true],
    ["docs\n!docs/keep.md", "docs/keep.md", false], // an exception lets a file of an excluded directory back in
    ["docs\n!docs/keep.md", "docs/other.md", true],
    ["!keep.md\n*", "keep.md", true], // an exception before the exclusion is overridden by it
    ["*\n!services/frontend", "services/frontend/src/main.ts", false], // an allowlist
    ["*\n!services/frontend", "services/backend/src/main.ts", true],
    ["*\n!services/frontend", "README.md", true],
    ["*\n!services/frontend\nservices/frontend/**/*.test.ts", "services/frontend/src/a.test.ts", true],
  ])("%j: %s excluded is %s", (patterns, path, excluded) => {
    expect(filter(patterns).excludes(path)).toBe(excluded);
  });

  it("knows which excluded directories an exception can reach into, so a walk skips the others", () => {
    const allowlist = filter("*\n!services/frontend/src\n!lib/labels.ts");
    expect(allowlist.mayIncludeBelow("services")).toBe(true);
    expect(allowlist.mayIncludeBelow("services/frontend")).toBe(true);
    expect(allowlist.mayIncludeBelow("lib")).toBe(true);
    expect(allowlist.mayIncludeBelow("services/backend")).toBe(false);
    expect(allowlist.mayIncludeBelow("components")).toBe(false);
    expect(allowlist.mayIncludeBelow("rendered")).toBe(false);
    expect(filter("*\n!**/keep").mayIncludeBelow("anything/at/all")).toBe(true);
  });
});

describe("the build tag of a context at a repository root", () => {
  let root: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const settings = { dockerfile: "services/web/Dockerfile", platforms: ["linux/amd64"] };
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "repo-context-"));
    write("services/web/Dockerfile", "FROM scratch\nCOPY services/web/src /src\n");
    write("services/web/Dockerfile.dockerignore", "*\n!services/web/src\n");
    write("services/web/src/main.ts", "export {};\n");
    write("services/api/src/main.ts", "export {};\n");
    write("README.md", "# repo\n");
    write("rendered/dev/plan.json", "{}\n");
    write("test/web.test.ts", "it('x', () => undefined);\n");
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("given the Dockerfile's allowlist, stays the same when files it leaves out change, and is the same on every run", () => {
    const before = contextDigest(root, settings);
    write("README.md", "# changed\n");
    write("rendered/dev/plan.json", '{"changed":true}\n');
    write("test/web.test.ts", "// changed\n");
    write("services/api/src/main.ts", "export const changed = true;\n");
    write("services/web/notes.txt", "not copied\n");
    expect(contextDigest(root, settings)).toBe(before);
    expect(before).toMatch(/^[0-9a-f]{12}$/);
  });

  it.each([
    ["a source the image is built from", "services/web/src/main.ts"],
    ["a new source file", "services/web/src/extra.ts"],
    ["the Dockerfile", "services/web/Dockerfile"],
    ["the ignore file", "services/web/Dockerfile.dockerignore"],
  ])("changes when %s changes", (_what, path) => {
    const before = contextDigest(root, settings);
    write(path, `${path} changed\n*\n!services/web/src\n`);
    expect(contextDigest(root, settings)).not.toBe(before);
  });

  it("uses the Dockerfile's own ignore file over the context's .dockerignore, and the context's when there is none", () => {
    write(".dockerignore", "README.md\n");
    expect(dockerignoreFile(root, settings.dockerfile)).toBe(join(root, "services/web/Dockerfile.dockerignore"));
    const withOwn = contextDigest(root, settings);
    write("test/web.test.ts", "// changed\n");
    expect(contextDigest(root, settings)).toBe(withOwn);

    rmSync(join(root, "services/web/Dockerfile.dockerignore"));
    expect(dockerignoreFile(root, settings.dockerfile)).toBe(join(root, ".dockerignore"));
    const withContext = contextDigest(root, settings);
    write("README.md", "# changed\n"); // ignored by .dockerignore
    expect(contextDigest(root, settings)).toBe(withContext);
    write("test/web.test.ts", "// changed again\n"); // not ignored by it
    expect(contextDigest(root, settings)).not.toBe(withContext);
  });

  it("covers every file when there is no ignore file", () => {
    rmSync(join(root, "services/web/Dockerfile.dockerignore"));
    const before = contextDigest(root, settings);
    write("README.md", "# changed\n");
    expect(contextDigest(root, settings)).not.toBe(before);
  });
});
