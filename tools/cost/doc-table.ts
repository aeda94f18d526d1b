/**
 * The cost table a document embeds, between `<!-- cost-table:<stack> -->` and `<!-- /cost-table:<stack> -->`.
 * `npm run cost -- --stack <stack> --write <file>` writes it; test/tools/cost/doc-table.test.ts fails when a
 * committed document's table is not what the estimator gives, so the numbers in the docs are never typed by hand.
 */
import { BlockMarkers, embedBlock, embeddedBlock } from "../doc-block";

const COST_TABLE: BlockMarkers = {
  begin: (stack) => `<!-- cost-table:${stack} (generated: npm run cost -- --stack ${stack} --write <this file>) -->`,
  end: (stack) => `<!-- /cost-table:${stack} -->`,
};

/** The table embedded for `stack`, or undefined when the document has no markers for it. */
export function embeddedCostTable(doc: string, stack: string): string | undefined {
  return embeddedBlock(doc, stack, COST_TABLE);
}

/** The document with the block for `stack` replaced by `table`; throws when the markers are missing. */
export function embedCostTable(doc: string, stack: string, table: string): string {
  return embedBlock(doc, stack, table, COST_TABLE);
}
