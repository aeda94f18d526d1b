import { readFileSync } from "fs";
import { join } from "path";
import { parse as parseYaml } from "yaml";
import { parse, VALID } from "./support/config";
import { PROJECT_DIR, stackFileSettings } from "./support/render";

describe("Pulumi.yaml", () => {
  const project = parseYaml(readFileSync(join(PROJECT_DIR, "Pulumi.yaml"), "utf8"));

  it("is the ai-assistant project on the nodejs runtime with TypeScript", () => {
    expect(project.name).toBe("ai-assistant");
    expect(project.runtime).toMatchObject({ name: "nodejs", options: { typescript: true } });
  });

  it("declares only keys the schema knows, with the type the schema parses", () => {
    const samples: Record<string, unknown> = { string: "ai-assistant", boolean: false };
    for (const [key, declaration] of Object.entries<{ type: string; description: string }>(project.config)) {
      const name = key.replace(/^ai-assistant:/, "");
      expect(declaration.description).toBeTruthy();
      const value = name === "phase" ? "mock" : samples[declaration.type];
      expect(parse({ ...VALID, [name]: value })).toHaveProperty(name, value);
    }
  });

  it.each(["dev", "prod"])("every key it declares is set in Pulumi.%s.yaml, as the Pulumi CLI requires", (stack) => {
    const settings = stackFileSettings(stack);
    for (const key of Object.keys(project.config)) expect(settings).toHaveProperty(key.replace(/^ai-assistant:/, ""));
  });
});
