import { readFileSync } from "fs";
import { join } from "path";
import { objectOf, objectsOf, PROJECT_DIR, renderStack } from "./support/render";

describe("the committed stacks", () => {
  it.each(["dev", "prod"])("%s renders its frontend, backend and namespace", async (stack) => {
    const result = await renderStack(stack);
    expect(objectsOf(result, "Namespace").filter((ns) => ns.metadata.name === result.outputs.namespaceName)).toHaveLength(1);
    expect(objectOf(result, "Deployment", "backend").metadata.namespace).toBeDefined();
    expect(objectOf(result, "Deployment", "frontend").metadata.namespace).toBeDefined();
  });

  it.each(["dev", "prod"])("%s commits no ciphertext: its secrets are set with `pulumi config set --secret`, and render masked until then", async (stack) => {
    // A `secure:` value without the stack's encryptionsalt (or with a made-up one) no secrets provider can decrypt.
    const text = readFileSync(join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8");
    expect(text).not.toMatch(/^\s*secure:/m);
    expect(text).not.toMatch(/^encryptionsalt:/m);
    const result = await renderStack(stack);
    if (stack === "prod") expect(objectOf(result, "Secret", "backend-llm-api-key").stringData).toEqual({ "api-key": "[secret]" });
  });
});
