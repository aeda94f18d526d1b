/**
 * Generated blocks in the docs, between a begin and an end marker: `npm run docs` (tools/docs.ts) and `npm run cost
 * -- --write` write them, and tests fail when a committed block is not what the code gives, so figures that change
 * with the code (step durations, resource counts, costs) are never typed by hand.
 */

/** How one kind of block is marked, by the block's name. */
export interface BlockMarkers {
  begin(name: string): string;
  end(name: string): string;
}

/** The blocks `npm run docs` writes: `<!-- generated:<name> ... -->` to `<!-- /generated:<name> -->`. */
export const GENERATED_BLOCK: BlockMarkers = {
  begin: (name) => `<!-- generated:${name} (npm run docs writes this block) -->`,
  end: (name) => `<!-- /generated:${name} -->`,
};

function bounds(doc: string, name: string, markers: BlockMarkers): { from: number; to: number } | undefined {
  const begin = markers.begin(name);
  const from = doc.indexOf(begin);
  const to = doc.indexOf(markers.end(name));
  return from === -1 || to < from ? undefined : { from: from + begin.length, to };
}

/** The block named `name`, or undefined when the document has no markers for it. */
export function embeddedBlock(doc: string, name: string, markers: BlockMarkers = GENERATED_BLOCK): string | undefined {
  const found = bounds(doc, name, markers);
  return found && doc.slice(found.from, found.to).trim();
}

/** The document with the block `name` replaced by `content`; throws when the markers are missing. */
export function embedBlock(doc: string, name: string, content: string, markers: BlockMarkers = GENERATED_BLOCK): string {
  const found = bounds(doc, name, markers);
  if (!found) throw new Error(`no markers for the generated block ${name}: add the lines\n${markers.begin(name)}\n${markers.end(name)}`);
  return `${doc.slice(0, found.from)}\n${content}\n${doc.slice(found.to)}`;
}
