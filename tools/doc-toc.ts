/**
 * Tables of contents of the README and the docs pages: one line per `## ` heading, linked by GitHub's anchor for
 * it. `npm run docs` writes them into each page's `toc` block; test/docs.test.ts checks them and every link.
 */

/** The `## ` (and deeper, with `depth`) headings of a markdown document, outside code fences. */
export function headings(doc: string, depth = 6): { level: number; text: string }[] {
  const found: { level: number; text: string }[] = [];
  let fenced = false;
  for (const line of doc.split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const match = !fenced && /^(#{1,6}) (.+?)\s*$/.exec(line);
    if (match && match[1].length <= depth) found.push({ level: match[1].length, text: match[2] });
  }
  return found;
}

/** GitHub's anchor for a heading: lower case, punctuation other than `-` and `_` dropped, spaces as `-`. */
export function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a document offers (GitHub numbers repeated headings `-1`, `-2`, ...). */
export function anchors(doc: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const { text } of headings(doc)) {
    const base = anchor(text);
    const count = seen.get(base) ?? 0;
    result.add(count === 0 ? base : `${base}-${count}`);
    seen.set(base, count + 1);
  }
  return result;
}

/** The heading the table of contents sits under, which it does not list. */
export const CONTENTS = "Contents";

/** The table of contents of a page: its `## ` headings as a list of links. */
export function tableOfContents(doc: string): string {
  return headings(doc, 2)
    .filter(({ level, text }) => level === 2 && text !== CONTENTS)
    .map(({ text }) => `- [${text.replace(/`/g, "")}](#${anchor(text)})`)
    .join("\n");
}
