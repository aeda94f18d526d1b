/**
 * The blocks of the docs that the code generates (see tools/doc-block.ts): what each one holds and where it goes.
 * `npm run docs` writes them all; test/docs.test.ts checks each committed block against these.
 */
import { stackCost } from "./cost/stack-cost";
import { downSteps, UP_STEPS } from "./kind/steps";
import { RenderResult } from "./render";

/** A committed stack as a block sees it: its render, and the config it was rendered with (full keys). */
export interface RenderedStack {
  render: RenderResult;
  config: Record<string, string>;
}

export interface GeneratedBlock {
  file: string;
  name: string;
  /** The committed stacks, rendered, for blocks that count or price what they deploy. */
  content(stacks: Record<string, RenderedStack>): string;
}

/** The steps of `npm run kind -- up|down` with the durations the script prints. */
function kindSteps(): string {
  const row = (command: string) => (step: { title: string; expected: string }, index: number) => `| \`${command}\` ${index + 1} | ${step.title} | ${step.expected} |`;
  return [
    "| step | what | usually takes |",
    "|---|---|---|",
    ...UP_STEPS.map(row("up")),
    ...downSteps({ state: true }).map(row("down")),
  ].join("\n");
}

/** How many resources each committed stack registers, by top-level component, from its render. */
function resourceCounts(rendered: Record<string, RenderedStack>): string {
  const renders = Object.fromEntries(Object.entries(rendered).map(([stack, { render }]) => [stack, render]));
  const stacks = Object.keys(renders).sort();
  const byGroup = new Map<string, Record<string, number>>();
  for (const stack of stacks) {
    const { resources } = renders[stack];
    const byUrn = new Map(resources.map((resource) => [resource.urn, resource]));
    for (const resource of resources) {
      let top = resource;
      for (let parent = byUrn.get(top.parent ?? ""); parent; parent = byUrn.get(top.parent ?? "")) top = parent;
      const counts = byGroup.get(top.name) ?? {};
      counts[stack] = (counts[stack] ?? 0) + 1;
      byGroup.set(top.name, counts);
    }
  }
  const cell = (counts: Record<string, number>, stack: string) => String(counts[stack] ?? "-");
  return [
    `| top-level component | ${stacks.join(" | ")} |`,
    `|---|${stacks.map(() => "---:").join("|")}|`,
    ...[...byGroup.keys()].sort().map((group) => `| ${group} | ${stacks.map((stack) => cell(byGroup.get(group)!, stack)).join(" | ")} |`),
    `| **all resources** | ${stacks.map((stack) => String(renders[stack].resources.length)).join(" | ")} |`,
    `| of which Kubernetes objects | ${stacks.map((stack) => String(renders[stack].kubernetesObjects.length)).join(" | ")} |`,
  ].join("\n");
}

/** Each committed stack's monthly estimate in one line: what it prices, its range, its prices' date. */
function costSummaries(rendered: Record<string, RenderedStack>): string {
  const usd = (amount: number) => `$${Math.round(amount).toLocaleString("en-US")}`;
  return [
    "| stack | priced | min | expected | max | prices |",
    "|---|---|---:|---:|---:|---|",
    ...Object.keys(rendered)
      .sort()
      .map((stack) => {
        const cost = stackCost(rendered[stack].render, rendered[stack].config);
        const scope = cost.scope === "stack" ? "everything the stack creates" : "what it adds to the existing cluster";
        return `| \`${stack}\` | ${scope} | ${usd(cost.min)} | ${usd(cost.total)} | ${usd(cost.max)} | ${cost.region}, ${cost.pricesAsOf} |`;
      }),
  ].join("\n");
}

export const GENERATED_BLOCKS: GeneratedBlock[] = [
  { file: "docs/cost.md", name: "cost-summary", content: costSummaries },
  { file: "docs/kind.md", name: "kind-steps", content: kindSteps },
  { file: "docs/offline-render.md", name: "resource-counts", content: resourceCounts },
];

export const COMMITTED_STACKS = ["dev", "prod"];
