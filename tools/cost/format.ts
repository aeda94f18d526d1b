/** How an estimate reads: the render's one line, and the Markdown table the docs embed. */
import { CostEstimate } from "./estimate";

const dollars = (usd: number, digits = 0) => `$${usd.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;

/** `estimated $1,046/month (min) - $2,180/month (max), $1,046/month expected, us-west-2 prices of 2026-11` */
export function costSummary(estimate: CostEstimate): string {
  const scope = estimate.scope === "additions" ? " (only what the stack adds to the existing cluster)" : "";
  return (
    `estimated ${dollars(estimate.min)}/month (min) - ${dollars(estimate.max)}/month (max), ${dollars(estimate.total)}/month expected, ` +
    `${estimate.region} prices of ${estimate.pricesAsOf}${scope}`
  );
}

const trim = (value: number) => String(Number(value.toFixed(4)));

/** The estimate as a Markdown table, items in plan order, then the totals and the notes. */
export function costTable(estimate: CostEstimate): string {
  const rows = estimate.items.map((item) => `| ${item.resource} | ${item.type} | ${trim(item.quantity)} | $${item.unitPrice} | ${dollars(item.monthlyUsd, 2)} |`);
  return [
    "| resource | priced unit | quantity | unit price | per month |",
    "|---|---|---|---|---|",
    ...rows,
    `| **expected total** | | | | **${dollars(estimate.total, 2)}** |`,
    `| smallest (min sizes) | | | | ${dollars(estimate.min, 2)} |`,
    `| largest (max sizes) | | | | ${dollars(estimate.max, 2)} |`,
    "",
    `${estimate.region} on-demand list prices of ${estimate.pricesAsOf} (tools/cost/prices.ts says where each comes from); a month is 730 hours.`,
    "",
    ...estimate.notes.map((note) => `- ${note}`),
  ].join("\n");
}
