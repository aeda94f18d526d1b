/**
 * The pull request's one sticky comment: found again on every push by the hidden marker on its first line, and
 * kept under GitHub's cap of 65,536 characters per comment by cutting each stack's section to a fair share of the
 * room, with a line saying where the full diff is.
 */
import { DiffResult } from "../diff";
import { diffMarkdown, HEADER, stackMarkdown } from "./markdown";

export const COMMENT_MARKER = "<!-- ai-assistant:offline-diff -->";
/** GitHub refuses a comment body longer than this. */
export const GITHUB_COMMENT_LIMIT = 65536;

export interface CommentOptions {
  /** Where the whole diff is (the workflow run with its `offline-diff` artifact). */
  fullDiffAt: string;
  /** The commit the diff was made for, so a reader knows which push the comment shows. */
  commit?: string;
  maxChars?: number;
}

function cut(section: string, budget: number, stack: string, fullDiffAt: string): string {
  if (section.length <= budget) return section;
  const note = (hidden: number) => `\n\n… ${hidden} more lines of stack \`${stack}\` are cut to fit a comment; the full diff is in ${fullDiffAt}.`;
  const lines = section.split("\n");
  let kept = lines.length;
  while (kept > 1 && lines.slice(0, kept).join("\n").length + note(lines.length - kept).length > budget) kept--;
  const text = `${lines.slice(0, kept).join("\n")}${note(lines.length - kept)}`;
  return text.length <= budget ? text : text.slice(0, Math.max(0, budget));
}

/** Shares `room` among sections: each gets what it needs, up to an equal share of what the others leave. */
function budgets(lengths: number[], room: number): number[] {
  const result = new Array<number>(lengths.length).fill(0);
  let left = room;
  let open = lengths.map((_, i) => i);
  while (open.length > 0) {
    const share = Math.floor(left / open.length);
    const fits = open.filter((i) => lengths[i] <= share);
    if (fits.length === 0) {
      for (const i of open) result[i] = share;
      break;
    }
    for (const i of fits) {
      result[i] = lengths[i];
      left -= lengths[i];
    }
    open = open.filter((i) => !fits.includes(i));
  }
  return result;
}

export function commentBody(result: DiffResult, options: CommentOptions): string {
  const max = options.maxChars ?? GITHUB_COMMENT_LIMIT;
  const footer = `\n\n<sub>Offline render of every stack${options.commit ? ` at ${options.commit.slice(0, 7)}` : ""}, against \`${result.base}\`. Full diff: ${options.fullDiffAt}.</sub>`;
  const whole = `${COMMENT_MARKER}\n${diffMarkdown(result.stacks, result.base)}${footer}`;
  if (whole.length <= max) return whole;
  const head = `${COMMENT_MARKER}\n${HEADER}\n\n`;
  const separator = "\n\n";
  const sections = result.stacks.map(stackMarkdown);
  const room = max - head.length - footer.length - separator.length * Math.max(0, sections.length - 1);
  const shares = budgets(sections.map((s) => s.length), room);
  return `${head}${sections.map((section, i) => cut(section, shares[i], result.stacks[i].stack, options.fullDiffAt)).join(separator)}${footer}`;
}
