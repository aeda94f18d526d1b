import { existsSync, readdirSync, readFileSync } from "fs";
import { dirname, join, normalize } from "path";
import { embeddedBlock } from "../tools/doc-block";
import { anchors, CONTENTS, headings, tableOfContents } from "../tools/doc-toc";
import { COMMITTED_STACKS, GENERATED_BLOCKS, RenderedStack } from "../tools/generated-docs";
import { readStackFile } from "../tools/stack-file";
import { PROJECT_DIR, renderStack } from "./support/render";

const PAGES = ["README.md", ...readdirSync(join(PROJECT_DIR, "docs")).filter((name) => name.endsWith(".md")).map((name) => `docs/${name}`)];
const read = (page: string) => readFileSync(join(PROJECT_DIR, page), "utf8");

/** Markdown links outside code, `[text](target)`, with relative targets only (no scheme). */
function relativeLinks(doc: string): string[] {
  const prose = doc.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]).filter((target) => !/^[a-z]+:/i.test(target));
}

describe("the README and the docs pages", () => {
  it("the README stays a front door: under 200 lines", () => {
    expect(read("README.md").split("\n").length).toBeLessThan(200);
  });

  it("the README links every docs page", () => {
    const readme = read("README.md");
    const unlinked = PAGES.filter((page) => page !== "README.md" && !readme.includes(`](${page})`) && !readme.includes(`](${page}#`));
    expect(unlinked).toEqual([]);
  });

  it.each(PAGES)("%s has a table of contents that links each of its sections", (page) => {
    const doc = read(page);
    const sections = headings(doc, 2).filter(({ level, text }) => level === 2 && text !== CONTENTS);
    if (sections.length < 3) return; // a page this short needs none
    const generated = embeddedBlock(doc, "toc");
    if (generated !== undefined) expect(generated).toBe(tableOfContents(doc)); // npm run docs rewrites it
    const offered = anchors(doc);
    const linked = new Set(relativeLinks(doc).filter((target) => target.startsWith("#")).map((target) => target.slice(1)));
    const missing = sections.map(({ text }) => text).filter((text) => !linked.has(anchorOf(text)) || !offered.has(anchorOf(text)));
    expect(missing).toEqual([]);
  });

  it.each(PAGES)("every relative link of %s reaches a file that exists, and a heading there", (page) => {
    const broken = relativeLinks(read(page)).filter((target) => {
      const [path, fragment] = target.split("#");
      const file = path === "" ? page : normalize(join(dirname(page), path));
      if (!existsSync(join(PROJECT_DIR, file))) return true;
      return fragment !== undefined && file.endsWith(".md") && !anchors(read(file)).has(fragment);
    });
    expect(broken).toEqual([]);
  });
});

function anchorOf(text: string): string {
  return [...anchors(`## ${text}`)][0];
}

describe("generated blocks of the docs (npm run docs rewrites them)", () => {
  let renders: Record<string, RenderedStack>;
  beforeAll(async () => {
    renders = {};
    for (const stack of COMMITTED_STACKS) {
      renders[stack] = { render: await renderStack(stack), config: readStackFile(join(PROJECT_DIR, `Pulumi.${stack}.yaml`), stack).config };
    }
  });

  it.each(GENERATED_BLOCKS.map((block) => [`${block.file} ${block.name}`, block] as const))("%s is what the code gives", (_name, block) => {
    expect(embeddedBlock(read(block.file), block.name)).toBe(block.content(renders));
  });
});
