import { readFileSync } from "fs";
import { join } from "path";
import { z } from "zod";
import { stackConfigSchema } from "../config/schema";
import { PROJECT_DIR } from "./support/render";

const readme = readFileSync(join(PROJECT_DIR, "README.md"), "utf8");
/** The config reference, which the README links to. */
const CONFIG_REFERENCE = "docs/configuration.md";
const reference = readFileSync(join(PROJECT_DIR, CONFIG_REFERENCE), "utf8");

/** Every leaf key path the schema accepts, e.g. `backend.autoscaling.minReplicas`. */
function schemaLeafPaths(): string[] {
  const schema = z.toJSONSchema(stackConfigSchema("dev"), { io: "input", unrepresentable: "any" });
  const paths = new Map<string, boolean>(); // path -> has children
  const walk = (node: unknown, path: string) => {
    if (!node || typeof node !== "object") return;
    const n = node as { properties?: Record<string, unknown>; anyOf?: unknown[]; oneOf?: unknown[]; items?: unknown };
    for (const branch of [...(n.anyOf ?? []), ...(n.oneOf ?? [])]) walk(branch, path);
    for (const [key, child] of Object.entries(n.properties ?? {})) {
      const childPath = path ? `${path}.${key}` : key;
      if (path) paths.set(path, true);
      if (!paths.has(childPath)) paths.set(childPath, false);
      walk(child, childPath);
    }
  };
  walk(schema, "");
  return [...paths].filter(([, hasChildren]) => !hasChildren).map(([path]) => path);
}

describe("README.md", () => {
  it("starts with the two commands a fresh machine runs: the dev render and the tests", () => {
    const [firstBlock] = readme.split("```sh\n")[1].split("```");
    const commands = firstBlock.trim().split("\n").map((line) => line.split("#")[0].trim());
    expect(commands).toEqual(["npm ci && npm run render -- --stack dev", "npm ci && npm test"]);
  });

  it(`links the config reference, ${CONFIG_REFERENCE}`, () => {
    expect(readme).toContain(`](${CONFIG_REFERENCE})`);
  });
});

describe(CONFIG_REFERENCE, () => {
  it("documents every config key the schema accepts", () => {
    const lines = reference.split("\n");
    // Shapes documented as a whole: requests/limits, and the parts of an image reference.
    const documentedAsShape = /(\.resources|Resources|\.image)\./;
    const paths = schemaLeafPaths();
    expect(paths).toEqual(expect.arrayContaining(["phase", "backend.autoscaling.minReplicas", "localModel.cache.accessMode"]));
    const missing = paths.filter((path) => {
      if (documentedAsShape.test(path)) return false;
      const parent = path.slice(0, path.lastIndexOf("."));
      const leaf = path.slice(path.lastIndexOf(".") + 1);
      return !reference.includes(`\`${path}\``) && !lines.some((line) => line.includes(`\`${parent}.`) && line.includes(`\`${leaf}\``));
    });
    expect(missing).toEqual([]);
  });
});
