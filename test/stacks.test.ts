import { readFileSync } from "fs";
import { join } from "path";
import { contextDigest } from "../components/images/context-digest";
import { plannedOne } from "./support/eks";
import { objectOf, objectsOf, PROJECT_DIR, renderStack } from "./support/render";

// One render per stack, shared by the tests below.
const renders = new Map<string, ReturnType<typeof renderStack>>();
const rendered = (stack: string) => renders.get(stack) ?? renders.set(stack, renderStack(stack)).get(stack)!;

describe("the committed stacks", () => {
  it.each([
    ["dev", "ai-assistant-dev"],
    ["prod", "ai-assistant"],
  ])("%s renders its frontend and backend in its namespace, %s", async (stack, namespace) => {
    const result = await rendered(stack);
    expect(result.outputs.namespaceName).toBe(namespace);
    expect(objectsOf(result, "Namespace").filter((ns) => ns.metadata.name === namespace)).toHaveLength(1);
    expect(objectOf(result, "Deployment", "backend").metadata.namespace).toBe(namespace);
    expect(objectOf(result, "Deployment", "frontend").metadata.namespace).toBe(namespace);
  });

  it.each(["dev", "prod"])("%s commits no ciphertext: its secrets are set with `pulumi config set --secret`, and render masked until then", async (stack) => {
    // A `secure:` value without the stack's encryptionsalt (or with a made-up one) no secrets provider can decrypt.
    const text = readFileSync(join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8");
    expect(text).not.toMatch(/^\s*secure:/m);
    expect(text).not.toMatch(/^encryptionsalt:/m);
    const result = await rendered(stack);
    if (stack === "prod") expect(objectOf(result, "Secret", "backend-llm-api-key").stringData).toEqual({ "api-key": "[secret]" });
  });

  it.each([
    ["dev", /^localhost:5001\/ai-assistant\/(frontend|backend)@sha256:[0-9a-f]{64}$/],
    ["prod", /^123456789012\.dkr\.ecr\.us-west-2\.amazonaws\.com\/ai-assistant\/prod\/(frontend|backend)@sha256:[0-9a-f]{64}$/],
  ])("%s builds both images from services/ at the repository root, pushes them, and runs and exports them by digest", async (stack, pushed) => {
    const result = await rendered(stack);
    for (const workload of ["frontend", "backend"]) {
      const build = plannedOne(result, "docker:index/image:Image", `images-${workload}`).inputs;
      const dockerfile = `services/${workload}/Dockerfile`;
      expect(build.build).toMatchObject({ context: ".", dockerfile });
      expect(String(build.imageName).endsWith(`:${contextDigest(".", { dockerfile, platforms: ["linux/amd64"] })}`)).toBe(true);
      const running = objectOf(result, "Deployment", workload).spec.template.spec.containers[0].image;
      expect(running).toMatch(pushed);
      expect(running).toContain(`/${workload}@`);
      expect((result.outputs.imageDigests as Record<string, string>)[workload]).toBe(running);
    }
  });
});
