import { objectOf, objectsOf, renderStack } from "./support/render";

describe("the committed stacks", () => {
  it.each(["dev", "prod"])("%s renders its frontend, backend and namespace", async (stack) => {
    const result = await renderStack(stack);
    expect(objectsOf(result, "Namespace").filter((ns) => ns.metadata.name === result.outputs.namespaceName)).toHaveLength(1);
    expect(objectOf(result, "Deployment", "backend").metadata.namespace).toBeDefined();
    expect(objectOf(result, "Deployment", "frontend").metadata.namespace).toBeDefined();
  });
});
