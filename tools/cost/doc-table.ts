/**
 * The cost table a document embeds, between `<!-- cost-table:<stack> -->` and `<!-- /cost-table:<stack> -->`.
 * `npm run cost -- --stack <stack> --write <file>` writes it; test/tools/cost/doc-table.test.ts fails when a
 * committed document's table is not what the estimator gives, so the numbers in the docs are never typed by hand.
 */
const begin = (stack: string) => `<!-- cost-table:${stack} (generated: npm run cost -- --stack ${stack} --write <this file>) -->`;
const end = (stack: string) => `<!-- /cost-table:${stack} -->`;

function bounds(doc: string, stack: string): { from: number; to: number } | undefined {
  const from = doc.indexOf(begin(stack));
  const to = doc.indexOf(end(stack));
  return from === -1 || to < from ? undefined : { from: from + begin(stack).length, to };
}

/** The table embedded for `stack`, or undefined when the document has no markers for it. */
export function embeddedCostTable(doc: string, stack: string): string | undefined {
  const found = bounds(doc, stack);
  return found && doc.slice(found.from, found.to).trim();
}

/** The document with the block for `stack` replaced by `table`; throws when the markers are missing. */
export function embedCostTable(doc: string, stack: string, table: string): string {
  const found = bounds(doc, stack);
  if (!found) throw new Error(`no cost table markers for stack ${stack}: add the lines\n${begin(stack)}\n${end(stack)}`);
  return `${doc.slice(0, found.from)}\n${table}\n${doc.slice(found.to)}`;
}
