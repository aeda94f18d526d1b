/**
 * `npm run docs`: rewrites every generated block of the docs (tools/generated-docs.ts) from the code and from
 * renders of the committed stacks. test/docs.test.ts fails until this has been run after a change that moves them.
 */
import * as pulumi from "@pulumi/pulumi";
import { readdirSync, readFileSync, writeFileSync } from "fs";
import { join, resolve } from "path";
import { embedBlock, embeddedBlock } from "./doc-block";
import { tableOfContents } from "./doc-toc";
import { COMMITTED_STACKS, GENERATED_BLOCKS, RenderedStack } from "./generated-docs";
import { render } from "./render";
import { readStackFile, StackFileError } from "./stack-file";

const PROJECT_DIR = resolve(__dirname, "..");

async function renderStack(stack: string): Promise<RenderedStack> {
  const { config, secretKeys } = readStackFile(join(PROJECT_DIR, `Pulumi.${stack}.yaml`), stack);
  // Each render loads the program afresh: index.ts registers its resources when it is loaded.
  for (const key of Object.keys(require.cache)) if (!key.includes("node_modules")) delete require.cache[key];
  return { render: await render({ stack, config, secretKeys, runProgram: () => require(join(PROJECT_DIR, "index")) }), config };
}

async function main(): Promise<number> {
  const renders: Record<string, RenderedStack> = {};
  for (const stack of COMMITTED_STACKS) renders[stack] = await renderStack(stack);
  for (const block of GENERATED_BLOCKS) {
    const file = join(PROJECT_DIR, block.file);
    const before = readFileSync(file, "utf8");
    const after = embedBlock(before, block.name, block.content(renders));
    if (after !== before) writeFileSync(file, after);
    console.log(`${after === before ? "unchanged" : "updated  "} ${block.file} (${block.name})`);
  }
  for (const page of markdownPages()) {
    const file = join(PROJECT_DIR, page);
    const before = readFileSync(file, "utf8");
    if (embeddedBlock(before, "toc") === undefined) continue;
    const after = embedBlock(before, "toc", tableOfContents(before));
    if (after !== before) writeFileSync(file, after);
    console.log(`${after === before ? "unchanged" : "updated  "} ${page} (toc)`);
  }
  return 0;
}

/** The README and every page under docs/. */
export function markdownPages(): string[] {
  return ["README.md", ...readdirSync(join(PROJECT_DIR, "docs")).filter((name) => name.endsWith(".md")).sort().map((name) => `docs/${name}`)];
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const expected = error instanceof pulumi.RunError || error instanceof pulumi.ResourceError || error instanceof StackFileError;
    console.error(expected ? `docs: ${(error as Error).message}` : error);
    process.exit(1);
  },
);
