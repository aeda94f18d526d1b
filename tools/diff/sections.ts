/**
 * Extra lines of a stack's diff, from the other files a render writes beside plan.json. Each section is one
 * function of the two render folders (either may be missing, for an added or removed stack); a new render file
 * that a reviewer should see compared is one more function here.
 */
import { readRenderFile } from "./plan";

export type Section = (baseDir: string | undefined, headDir: string | undefined) => string | undefined;

const usd = (amount: number) => `$${amount.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** The monthly cost estimate (`cost.json`, written by the render's cost estimate), before -> after. */
export const monthlyCost: Section = (baseDir, headDir) => {
  const read = (dir: string | undefined) => (dir ? readRenderFile<{ total?: number }>(dir, "cost.json")?.total : undefined);
  const [before, after] = [read(baseDir), read(headDir)];
  if (before === undefined && after === undefined) return undefined;
  if (before === undefined) return `monthly cost: ${usd(after!)} (no estimate at the base)`;
  if (after === undefined) return `monthly cost: ${usd(before)} at the base (no estimate now)`;
  const delta = after - before;
  if (Math.abs(delta) < 0.005) return undefined;
  return `monthly cost: ${usd(before)} -> ${usd(after)} (${delta > 0 ? "+" : "-"}${usd(Math.abs(delta))} a month)`;
};

export const SECTIONS: Section[] = [monthlyCost];
