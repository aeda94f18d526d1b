/**
 * `node -r ./tools/register.js tools/diff-comment.ts --diff diff.json --full-diff-at <text> [--commit <sha>]`:
 * the pull-request comment for a diff made with `npm run diff -- --format json`, on stdout. The PR workflow runs
 * it; the comment workflow posts the result (see .github/workflows/).
 */
import { readFileSync } from "fs";
import { parseArgs } from "util";
import { DiffResult } from "./diff";
import { commentBody } from "./diff/comment";

const { values } = parseArgs({ options: { diff: { type: "string" }, "full-diff-at": { type: "string" }, commit: { type: "string" } } });
if (!values.diff || !values["full-diff-at"]) {
  console.error("usage: tools/diff-comment.ts --diff <diff.json> --full-diff-at <where the full diff is> [--commit <sha>]");
  process.exit(2);
}
const result = JSON.parse(readFileSync(values.diff, "utf8")) as DiffResult;
process.stdout.write(`${commentBody(result, { fullDiffAt: values["full-diff-at"], commit: values.commit })}\n`);
