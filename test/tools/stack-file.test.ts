import { stackFileConfig } from "../../tools/stack-file";
import { HOSTED, VLLM } from "../support/configs";
import { objectOf, objectsOf, renderConfig, renderStackDocument } from "../support/render";

describe("optional secrets a stack does not set render as unset", () => {
  const { huggingFaceToken: _token, ...withoutToken } = VLLM;

  it("given no Hugging Face token, there is no token Secret and the pull reads none", async () => {
    const result = await renderConfig(withoutToken);
    expect(objectsOf(result, "Secret", "model-server-hf-token")).toEqual([]);
    const pull = objectOf(result, "Deployment", "model-server").spec.template.spec.initContainers[0];
    expect(pull.env.map((e: { name: string }) => e.name)).not.toContain("HF_TOKEN");
  });

  it("given a token, the Secret exists and the pull reads it", async () => {
    const result = await renderConfig(VLLM);
    expect(objectOf(result, "Secret", "model-server-hf-token").stringData).toEqual({ token: "[secret]" });
  });

  it("lists a required secret left unset, with its command, and not an optional one", () => {
    const document = { config: { "ai-assistant:phase": "hosted-api", "ai-assistant:hostedApi": { provider: "openai", model: "m" } } };
    const { unsetSecrets, config } = stackFileConfig(document, "staging");
    expect(unsetSecrets.map((s) => s.key).sort()).toEqual(["apiKey", "grafanaAdminPassword"]);
    expect(unsetSecrets.find((s) => s.key === "apiKey")?.command).toBe("pulumi config set --secret ai-assistant:apiKey <value> --stack staging");
    expect(config).not.toHaveProperty("ai-assistant:huggingFaceToken");
  });

  it("lists nothing when the file sets every secret the stack needs", () => {
    const document = { config: { "ai-assistant:phase": "mock", "ai-assistant:grafanaAdminPassword": { secure: "AAAB" } } };
    expect(stackFileConfig(document).unsetSecrets).toEqual([]);
  });
});

describe("a required setting a stack file leaves unset (the prod certificate)", () => {
  const eksIngress = (expose: Record<string, unknown>) => ({
    config: {
      "ai-assistant:phase": "mock",
      "ai-assistant:grafanaAdminPassword": { secure: "AAAB" },
      "ai-assistant:cluster": { type: "eks" },
      "ai-assistant:frontend": { expose: { type: "Ingress", host: "chat.example.com", ...expose } },
    },
  });

  it("is listed to set before `pulumi up`, with its command, and rendered as a labelled placeholder", async () => {
    const { unsetSettings, placeholders, config } = stackFileConfig(eksIngress({}), "prod");
    expect(unsetSettings).toEqual([
      {
        key: "frontend.expose.certificateArn",
        why: "the ACM certificate the ALB serves the chat's host with",
        command: "pulumi config set --path 'ai-assistant:frontend.expose.certificateArn' arn:aws:acm:<region>:<account>:certificate/<id> --stack prod",
      },
    ]);
    const standIn = JSON.parse(config["ai-assistant:frontend"]).expose.certificateArn;
    expect(placeholders).toEqual({ [standIn]: "<to set: ai-assistant:frontend.expose.certificateArn>" });
    const result = await renderStackDocument(eksIngress({}).config, "prod");
    expect(objectOf(result, "Ingress", "frontend").metadata.annotations!["alb.ingress.kubernetes.io/certificate-arn"]).toBe("<to set: ai-assistant:frontend.expose.certificateArn>");
    expect(JSON.stringify(result)).not.toContain(standIn);
  });

  it("is not listed, nor stood in for, when the file sets it", () => {
    const arn = "arn:aws:acm:us-west-2:246813579024:certificate/3f6c2a1e-8b4d-4c7a-9e21-5d0b7c9a4f12";
    const { unsetSettings, placeholders, config } = stackFileConfig(eksIngress({ certificateArn: arn }), "prod");
    expect(unsetSettings).toEqual([]);
    expect(placeholders).toEqual({});
    expect(JSON.parse(config["ai-assistant:frontend"]).expose.certificateArn).toBe(arn);
  });

  it("is not stood in for when the file sets a placeholder ARN: that is a config error", () => {
    const { unsetSettings } = stackFileConfig(eksIngress({ certificateArn: "arn:aws:acm:us-west-2:123456789012:certificate/00000000-0000-4000-8000-000000000000" }), "prod");
    expect(unsetSettings).toEqual([]);
  });
});

describe("a secure: value under a key other than the secret keys stays secret in what is registered", () => {
  const encryptedUrl = { ...HOSTED, hostedApi: { provider: "openai-compatible", model: "private-model", baseUrl: { secure: "AAABAHVybA==" } } };

  it("given an encrypted hostedApi.baseUrl, the hosted settings move from the ConfigMap to a Secret", async () => {
    const result = await renderConfig(encryptedUrl);
    const configMap = objectOf(result, "ConfigMap", "backend-settings");
    expect(configMap.data).not.toHaveProperty("LLM_BASE_URL");
    expect(configMap.data).not.toHaveProperty("LLM_MODEL");
    const secret = objectOf(result, "Secret", "backend-llm-settings");
    expect(secret.stringData).toMatchObject({ LLM_BASE_URL: "[secret]", LLM_MODEL: "[secret]" });
    const container = objectOf(result, "Deployment", "backend").spec.template.spec.containers[0];
    expect(container.envFrom).toContainEqual({ secretRef: { name: "backend-llm-settings" } });
    expect(JSON.stringify(result)).not.toContain("private-model");
  });

  it("given the same settings in plain text, they stay in the ConfigMap", async () => {
    const plain = { ...HOSTED, hostedApi: { provider: "openai-compatible", model: "private-model", baseUrl: "https://llm.example.com/v1" } };
    const result = await renderConfig(plain);
    expect(objectOf(result, "ConfigMap", "backend-settings").data).toMatchObject({ LLM_BASE_URL: "https://llm.example.com/v1" });
    expect(objectsOf(result, "Secret", "backend-llm-settings")).toEqual([]);
  });

  it("given an encrypted value in any other section, the resource that receives it registers it as a secret", async () => {
    const config = {
      "ai-assistant:phase": "mock",
      "ai-assistant:monitoring": { enabled: false },
      "ai-assistant:frontend": { expose: { type: "Ingress", host: { secure: "AAABAGhvc3Q=" }, controllerNamespace: "ingress-system" } },
    };
    const result = await renderStackDocument(config);
    const ingress = result.resources.find((r) => r.type === "kubernetes:networking.k8s.io/v1:Ingress")!;
    // The whole property is a Pulumi secret (masked as one), not a string that happens to read "[secret]".
    expect(ingress.inputs.spec).toBe("[secret]");
    const service = result.resources.find((r) => r.type === "kubernetes:core/v1:Service" && r.name === "frontend")!;
    expect(service.inputs.spec).not.toBe("[secret]");
  });
});

describe("a key under a misspelt namespace", () => {
  it("fails the render, naming the key", async () => {
    const config = { "ai-assistant:phase": "mock", "ai-assistant:monitoring": { enabled: false }, "ai-asistant:backend": { replicas: 2 } };
    await expect(renderStackDocument(config)).rejects.toThrow(/ai-asistant:backend: expected a namespace this program or its providers read/);
  });

  it("while provider namespaces pass", async () => {
    const config = { "ai-assistant:phase": "mock", "ai-assistant:monitoring": { enabled: false }, "kubernetes:context": "kind-x", "aws:region": "us-west-2" };
    expect((await renderStackDocument(config)).resources.length).toBeGreaterThan(3);
  });
});
