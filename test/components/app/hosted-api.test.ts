import { RenderResult } from "../../../tools/render";
import { HOSTED } from "../../support/configs";
import { objectOf, renderConfig } from "../../support/render";

describe("given the hosted-api phase", () => {
  let result: RenderResult;
  beforeAll(async () => {
    result = await renderConfig(HOSTED);
  });

  it("the backend is pointed at the provider and model from config, falling back to mock answers", () => {
    expect(objectOf(result, "ConfigMap", "backend-settings").data).toEqual({
      LLM_PROVIDER: "anthropic",
      LLM_BASE_URL: "https://api.anthropic.com/v1",
      LLM_MODEL: "claude-3-5-haiku-latest",
      LLM_TIMEOUT_SECONDS: "30",
      LLM_FALLBACK: "mock",
    });
  });

  it("the key lives in a Secret and reaches the container through secretKeyRef only", () => {
    const secret = objectOf(result, "Secret", "backend-llm-api-key");
    expect(secret.stringData).toEqual({ "api-key": "[secret]" });
    const [container] = objectOf(result, "Deployment", "backend").spec.template.spec.containers;
    expect(container.env).toContainEqual({
      name: "LLM_API_KEY",
      valueFrom: { secretKeyRef: { name: "backend-llm-api-key", key: "api-key" } },
    });
    expect(JSON.stringify(objectOf(result, "ConfigMap", "backend-settings"))).not.toMatch(/key/i);
  });

  it("the backend runs at the hosted-api size with probes that make it ready in about 15 s", () => {
    const [container] = objectOf(result, "Deployment", "backend").spec.template.spec.containers;
    expect(container.resources.requests).toEqual({ cpu: "200m", memory: "256Mi", "ephemeral-storage": "64Mi" });
    expect(container.startupProbe.periodSeconds).toBe(3);
    expect(container.readinessProbe.periodSeconds).toBe(10);
    // First readiness check right after startup passes: ready within ~15 s of a healthy start.
    expect(container.startupProbe.periodSeconds + container.readinessProbe.periodSeconds).toBeLessThanOrEqual(15);
  });

  it("an openai-compatible provider uses its own base URL", async () => {
    const custom = await renderConfig({ ...HOSTED, hostedApi: { provider: "openai-compatible", model: "llama", baseUrl: "https://llm.internal/v1", fallbackToMock: false } });
    expect(objectOf(custom, "ConfigMap", "backend-settings").data).toMatchObject({
      LLM_PROVIDER: "openai-compatible",
      LLM_BASE_URL: "https://llm.internal/v1",
      LLM_FALLBACK: "none",
    });
  });
});
