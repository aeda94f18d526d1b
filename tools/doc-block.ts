/**
 * Generated blocks in the docs, between `<!-- generated:<name> ... -->` and `<!-- /generated:<name> -->`:
 * `npm run docs` writes them (tools/docs.ts) and test/docs.test.ts fails when a committed block is not what the
 * code gives, so figures that change with the code (step durations, resource counts) are never typed by hand.
 */
const begin = (name: string) => `<!-- generated:${name} (npm run docs writes this block) -->`;
const end = (name: string) => `<!-- /generated:${name} -->`;

function bounds(doc: string, name: string): { from: number; to: number } | undefined {
  const from = doc.indexOf(begin(name));
  const to = doc.indexOf(end(name));
  return from === -1 || to < from ? undefined : { from: from + begin(name).length, to };
}

/** The block named `name`, or undefined when the document has no markers for it. */
export function embeddedBlock(doc: string, name: string): string | undefined {
  const found = bounds(doc, name);
  return found && doc.slice(found.from, found.to).trim();
}

/** The document with the block `name` replaced by `content`; throws when the markers are missing. */
export function embedBlock(doc: string, name: string, content: string): string {
  const found = bounds(doc, name);
  if (!found) throw new Error(`no markers for the generated block ${name}: add the lines\n${begin(name)}\n${end(name)}`);
  return `${doc.slice(0, found.from)}\n${content}\n${doc.slice(found.to)}`;
}
