/**
 * promtool (Debian's `prometheus` package) for a test file's proofs: `withPromtool` is `describe` when it is found.
 * Without it the proofs are skipped with a warning on a workstation, and in CI (`CI` set) a failing test says so, as
 * .ci/run installs it before `npm test`. Call at the top level of the test file.
 */
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { findPromtool, runPromtool } from "../../tools/promtool";

const MISSING = "promtool not found: install it with `apt-get install prometheus` (Debian's package), or set PROMTOOL to its path.";

export function promtoolSuite(proofs: string): { promtool: string | undefined; withPromtool: jest.Describe } {
  const promtool = findPromtool();
  if (!promtool && process.env.CI) {
    it(`given CI, then promtool is installed, because ${proofs} are only proven with it`, () => {
      throw new Error(`${MISSING} .ci/run installs it before npm test.`);
    });
  } else if (!promtool) {
    console.warn(`Skipping the promtool proofs of ${proofs}: ${MISSING}`);
  }
  return { promtool, withPromtool: promtool ? describe : describe.skip };
}

/**
 * A scratch directory for one suite's promtool files: `check` runs `promtool check rules` on a rules file, `test`
 * runs `promtool test rules` on a unit-test file, each written there first.
 */
export function promtoolScratch(promtool: string | undefined, prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const run = (command: "check" | "test", file: string, contents: string) => {
    writeFileSync(join(dir, file), contents);
    return runPromtool(promtool!, [command, "rules", file], dir);
  };
  return { check: (file: string, contents: string) => run("check", file, contents), test: (file: string, contents: string) => run("test", file, contents) };
}
