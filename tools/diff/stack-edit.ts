/**
 * What an edit of a stack file would deploy, before anything is written: the stack rendered offline with the file as
 * it is and as edited, compared (the same diff as `npm run diff`). An edit that does not render is refused with the
 * render's message. Used by `promote` and `feature`.
 */
import { writeFileSync } from "fs";
import { join } from "path";
import { compareRenders } from "../diff";
import { diffMarkdown } from "./markdown";
import { renderAll, scratch, Side, SideError } from "./sides";

export interface StackEditDiff {
  projectDir: string;
  stack: string;
  /** The stack file's name, `Pulumi.<stack>.yaml`. */
  fileName: string;
  /** The edited text. */
  edited: string;
  title: string;
  intro: string;
  /** The error to throw when a side does not render (each tool prints its own one line). */
  fail: (message: string) => Error;
}

/** The Markdown diff of the stack before and after the edit; throws `fail(…)` when either side does not render. */
export async function diffOfStackEdit({ projectDir, stack, fileName, edited, title, intro, fail }: StackEditDiff): Promise<string> {
  const work = scratch();
  try {
    const candidate = join(work.root, fileName);
    writeFileSync(candidate, edited);
    const side: Side = { label: "working tree", dir: projectDir };
    const [before, after] = await renderAll([{ side, stack }, { side, stack, stackFile: candidate }], work.root).catch((error: unknown) => {
      throw error instanceof SideError ? fail(`nothing written: ${error.message.split(candidate).join(`${fileName} as edited`)}`) : error;
    });
    const base = `${fileName} before the edit`;
    const { stacks } = compareRenders([{ stack, baseDir: before, headDir: after }], base);
    return diffMarkdown(stacks, base, { title, intro });
  } finally {
    work.remove();
  }
}
