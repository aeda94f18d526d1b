/**
 * `node -r ./tools/register.js tools/diff-comment.ts --diff diff.json --full-diff-at <text> [--commit <sha>]
 * [--markdown-out diff.md]`: the pull-request comment for a diff made with `npm run diff -- --format json`, on
 * stdout, and optionally the whole diff as markdown (uncut). The PR workflow runs it; the comment workflow posts
 * the comment (see .github/workflows/pull-request.yml and pr-comment.yml).
 */
import { readFileSync, writeFileSync } from "fs";
import { parseArgs } from "util";
import { DiffResult } from "./diff";
import { commentBody } from "./diff/comment";
import { diffMarkdown } from "./diff/markdown";

const { values } = parseArgs({
  options: { diff: { type: "string" }, "full-diff-at": { type: "string" }, commit: { type: "string" }, "markdown-out": { type: "string" } },
});
if (!values.diff || !values["full-diff-at"]) {
  console.error("usage: tools/diff-comment.ts --diff <diff.json> --full-diff-at <where the full diff is> [--commit <sha>] [--markdown-out <file>]");
  process.exit(2);
}
const result = JSON.parse(readFileSync(values.diff, "utf8")) as DiffResult;
if (values["markdown-out"]) writeFileSync(values["markdown-out"], `${diffMarkdown(result.stacks, result.base)}\n`);
process.stdout.write(`${commentBody(result, { fullDiffAt: values["full-diff-at"], commit: values.commit })}\n`);
