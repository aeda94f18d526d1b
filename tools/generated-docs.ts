/**
 * The blocks of the docs that the code generates (see tools/doc-block.ts): what each one holds and where it goes.
 * `npm run docs` writes them all; test/docs.test.ts checks each committed block against these.
 */
import { RenderResult } from "./render";
import { downSteps, UP_STEPS } from "./kind/steps";

export interface GeneratedBlock {
  file: string;
  name: string;
  /** The renders of the committed stacks, for blocks that count what they deploy. */
  content(renders: Record<string, RenderResult>): string;
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
function resourceCounts(renders: Record<string, RenderResult>): string {
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

export const GENERATED_BLOCKS: GeneratedBlock[] = [
  { file: "docs/kind.md", name: "kind-steps", content: kindSteps },
  { file: "docs/offline-render.md", name: "resource-counts", content: resourceCounts },
];

export const COMMITTED_STACKS = ["dev", "prod"];
