/**
 * `npm run diff -- [--base <git-ref>] [--stack <name>]... [--format markdown|json]`: renders every committed stack
 * (or those named) at the base ref and in the working tree, offline, and prints what would change, per stack and
 * component: resources created, deleted, updated or replaced, each changed field before -> after, and what can
 * hurt (replacements, refused changes, deleted state, dropped protection). Exit 0 with or without changes; 1 when a
 * side fails to render (the message says which side and why); 2 for a bad command line.
 */
import { resolve } from "path";
import { parseArgs } from "util";
import { compareStack, StackDiff } from "./diff/compare";
import { diffMarkdown } from "./diff/markdown";
import { readPlan } from "./diff/plan";
import { SECTIONS } from "./diff/sections";
import { changedFiles, checkoutBase, mayRenderDifferently, renderAll, RenderRequest, scratch, Side, SideError, stacksOf } from "./diff/sides";

const PROJECT_DIR = resolve(__dirname, "..");

const USAGE = "usage: npm run diff -- [--base <git-ref>] [--stack <name>]... [--format markdown|json]\n  defaults: --base main, every committed stack, --format markdown";

class UsageError extends Error {}

export interface DiffResult {
  base: string;
  stacks: StackDiff[];
}

/**
 * Compares renders already made: per stack, the base's folder and the head's (undefined where the stack is absent),
 * or `unchanged` for a stack whose inputs did not change (not rendered).
 */
export function compareRenders(pairs: { stack: string; baseDir?: string; headDir?: string; unchanged?: boolean }[], base: string): DiffResult {
  const stacks = pairs.map(({ stack, baseDir, headDir, unchanged }) => {
    if (unchanged) return compareStack(stack, { stack, outputs: {}, resources: [] }, { stack, outputs: {}, resources: [] });
    const diff = compareStack(stack, baseDir ? readPlan(baseDir) : undefined, headDir ? readPlan(headDir) : undefined);
    diff.notes.push(...SECTIONS.map((section) => section(baseDir, headDir)).filter((line): line is string => line !== undefined));
    return diff;
  });
  return { base, stacks };
}

/** Renders both sides of every stack asked for and compares them. */
export async function diffAgainst(base: string, only: string[] = [], projectDir = PROJECT_DIR): Promise<DiffResult> {
  const work = scratch();
  try {
    const baseSide = checkoutBase(projectDir, base, work.root);
    const head: Side = { label: "working tree", dir: projectDir };
    const [inBase, inHead] = [stacksOf(baseSide.dir), stacksOf(head.dir)];
    const known = [...new Set([...inBase, ...inHead])].sort();
    const unknown = only.filter((stack) => !known.includes(stack));
    if (unknown.length > 0) throw new UsageError(`no stack ${unknown.join(", ")} at ${base} or in the working tree (stacks: ${known.join(", ")})`);
    const stacks = only.length > 0 ? known.filter((stack) => only.includes(stack)) : known;
    // A stack none of whose inputs changed renders the same on both sides: it is not rendered at all (the render is
    // deterministic and both sides share node_modules), which keeps the common one-stack change fast.
    const changed = changedFiles(projectDir, baseSide.commit!);
    const toRender = stacks.filter((stack) => mayRenderDifferently(stack, changed));
    const requests: RenderRequest[] = [
      ...toRender.filter((s) => inBase.includes(s)).map((stack) => ({ side: baseSide, stack })),
      ...toRender.filter((s) => inHead.includes(s)).map((stack) => ({ side: head, stack })),
    ];
    const folders = await renderAll(requests, work.root);
    const folderOf = (side: Side, stack: string) => folders[requests.findIndex((r) => r.side === side && r.stack === stack)];
    const pairs = stacks.map((stack) =>
      toRender.includes(stack) ? { stack, baseDir: folderOf(baseSide, stack), headDir: folderOf(head, stack) } : { stack, unchanged: true },
    );
    return compareRenders(pairs, base);
  } finally {
    work.remove();
  }
}

function options(args: string[]) {
  try {
    const { values } = parseArgs({
      args,
      options: { base: { type: "string", default: "main" }, stack: { type: "string", multiple: true }, format: { type: "string", default: "markdown" }, help: { type: "boolean" } },
    });
    if (!["markdown", "json"].includes(values.format!)) throw new Error(`--format is markdown or json, not ${values.format}`);
    return values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function main(): Promise<void> {
  const values = options(process.argv.slice(2));
  if (values.help) return console.log(USAGE);
  const result = await diffAgainst(values.base!, values.stack ?? []);
  console.log(values.format === "json" ? JSON.stringify(result, null, 2) : diffMarkdown(result.stacks, result.base));
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      if (error instanceof UsageError) console.error(`${error.message}\n${USAGE}`);
      else console.error(error instanceof SideError ? error.message : error);
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}
