/**
 * promtool (Debian's `prometheus` package) for a test file's proofs: `withPromtool` is `describe` when it is found.
 * Without it the proofs are skipped with a warning on a workstation, and in CI (`CI` set) a failing test says so, as
 * .ci/run installs it before `npm test`. Call at the top level of the test file.
 */
import { findPromtool } from "../../tools/promtool";

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
