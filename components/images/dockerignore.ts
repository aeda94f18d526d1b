/**
 * `.dockerignore` as Docker and BuildKit read it, for the content tag of a build: which files of a context the
 * builder receives. Semantics (verified: moby/patternmatcher patternmatcher.go and ignorefile/ignorefile.go; Docker's
 * build reference, "dockerignore-file"):
 * - one pattern a line; `#` starts a comment line; surrounding space is trimmed; blank lines are skipped;
 * - patterns are cleaned paths relative to the context, a leading `/` dropped; `!` makes an exception;
 * - `*` matches any run of characters but `/`, `?` one such character, `[…]` a class, `**` any number of
 *   directories (zero included), `\` escapes;
 * - a path is excluded when the last pattern that matches it, or one of its parent directories, is not an exception.
 * With BuildKit, `<Dockerfile>.dockerignore` beside the Dockerfile wins over the context's `.dockerignore`
 * (verified: docker/cli docs/reference/commandline/build.md, "Use a Dockerfile-specific .dockerignore").
 */
import { existsSync, readFileSync } from "fs";
import { join, posix } from "path";

interface Pattern {
  /** The pattern as cleaned, without `!`. */
  text: string;
  exception: boolean;
  regex: RegExp;
}

const REGEX_SPECIAL = new Set([".", "+", "(", ")", "|", "{", "}", "$", "^"]);

/** The regular expression of one pattern, as moby/patternmatcher compiles it. */
function compile(pattern: string): RegExp {
  let source = "^";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "*") {
      if (pattern[i + 1] === "*") {
        i++;
        // `**/` is `**`: the slash is eaten. At the end, `**` takes everything, as in .gitignore.
        if (pattern[i + 1] === "/") i++;
        source += i + 1 >= pattern.length ? ".*" : "(.*/)?";
      } else {
        source += "[^/]*";
      }
    } else if (ch === "?") {
      source += "[^/]";
    } else if (ch === "\\") {
      i++;
      if (i < pattern.length) source += `\\${pattern[i]}`;
    } else if (REGEX_SPECIAL.has(ch)) {
      source += `\\${ch}`;
    } else {
      source += ch;
    }
  }
  return new RegExp(`${source}$`);
}

/** `filepath.Clean` for the forward-slash paths of an ignore file. */
function clean(path: string): string {
  const cleaned = posix.normalize(path).replace(/\/+$/, "");
  return cleaned === "" ? "." : cleaned;
}

/** The patterns of an ignore file's text, in order. */
export function parseDockerignore(text: string): Pattern[] {
  const patterns: Pattern[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const exception = line.startsWith("!");
    if (exception) line = line.slice(1).trim();
    if (line === "") continue;
    line = clean(line);
    if (line.length > 1 && line.startsWith("/")) line = line.slice(1);
    patterns.push({ text: line, exception, regex: compile(line) });
  }
  return patterns;
}

/** Which paths of a context the builder receives, by its ignore patterns. */
export class ContextFilter {
  constructor(private readonly patterns: Pattern[]) {}

  /** True when `path` (relative to the context, `/`-separated) is left out of the build context. */
  excludes(path: string): boolean {
    const parents = path.split("/").slice(0, -1);
    let excluded = false;
    for (const pattern of this.patterns) {
      // As patternmatcher does: only a pattern that could change the answer is evaluated.
      if (pattern.exception !== excluded) continue;
      let match = pattern.regex.test(path);
      for (let i = 1; !match && i <= parents.length; i++) match = pattern.regex.test(parents.slice(0, i).join("/"));
      if (match) excluded = !pattern.exception;
    }
    return excluded;
  }

  /**
   * False when nothing under the excluded directory `dir` can be let back in by an exception, so a walk may skip
   * it. Errs towards true: each file below is still checked with `excludes`.
   */
  mayIncludeBelow(dir: string): boolean {
    const dirParts = dir.split("/");
    return this.patterns.some((pattern) => {
      if (!pattern.exception) return false;
      const parts = pattern.text.split("/");
      for (let i = 0; i < Math.min(parts.length, dirParts.length); i++) {
        if (parts[i].includes("**")) return true;
        if (!compile(parts[i]).test(dirParts[i])) return false;
      }
      return true;
    });
  }
}

/**
 * The ignore file BuildKit uses for `dockerfile` (relative to `context`): `<dockerfile>.dockerignore` when it
 * exists, else the context's `.dockerignore`; undefined when there is neither.
 */
export function dockerignoreFile(context: string, dockerfile: string): string | undefined {
  return [`${join(context, dockerfile)}.dockerignore`, join(context, ".dockerignore")].find((path) => existsSync(path));
}

/** The filter of `context` for `dockerfile`; one that keeps everything when there is no ignore file. */
export function contextFilter(context: string, dockerfile: string): { filter: ContextFilter; ignoreFile?: string } {
  const ignoreFile = dockerignoreFile(context, dockerfile);
  return { filter: new ContextFilter(ignoreFile ? parseDockerignore(readFileSync(ignoreFile, "utf8")) : []), ignoreFile };
}
