import * as pulumi from "@pulumi/pulumi";
import { renderFiles } from "../tools/write-render";
import { HOSTED, VLLM } from "./support/configs";
import { renderConfig } from "./support/render";

const API_KEY = "sk-plain-text-key-0123456789";
const HF_TOKEN = "hf_plain_text_token_abcdef";
const GRAFANA_PASSWORD = "grafana-plain-password-42";
const KNOWLEDGE_ADMIN_KEY = "knowledge-plain-admin-key-0123";
const VALKEY_PASSWORD = "valkey-plain-password-0123456789";

describe("given secrets a user put in plain config by mistake", () => {
  const config = {
    ...VLLM,
    localModel: { ...VLLM.localModel, fallbackToHostedApi: true },
    hostedApi: HOSTED.hostedApi,
    apiKey: API_KEY,
    huggingFaceToken: HF_TOKEN,
    grafanaAdminPassword: GRAFANA_PASSWORD,
    monitoring: { enabled: true },
    knowledge: { enabled: true },
    knowledgeAdminKey: KNOWLEDGE_ADMIN_KEY,
    // Valkey's chart takes the password by Secret name only: it must not reach the release's values either.
    valkey: { enabled: true },
    valkeyPassword: VALKEY_PASSWORD,
  };
  let warnings: string[];
  let text: string;
  let unmarked: string[];

  beforeAll(async () => {
    const result = await renderConfig(config);
    warnings = result.warnings;
    unmarked = result.unmarkedSecrets;
    text = Object.values(renderFiles(result)).join("\n");
  });

  it("every resource holds them as Pulumi secrets or in a Kubernetes Secret, never as plain values the state would keep", () => {
    // The written render masks known secret strings wherever they are, so its text alone cannot show such a leak.
    expect(unmarked).toEqual([]);
  });

  it("no secret value appears anywhere in the rendered YAML, plan.json or outputs", () => {
    for (const secret of [API_KEY, HF_TOKEN, GRAFANA_PASSWORD, KNOWLEDGE_ADMIN_KEY, VALKEY_PASSWORD]) expect(text).not.toContain(secret);
    expect(text).toContain("[secret]");
  });

  it("the user is warned to encrypt each one, by key and never by value", () => {
    for (const key of ["apiKey", "huggingFaceToken", "grafanaAdminPassword", "knowledgeAdminKey", "valkeyPassword"]) {
      expect(warnings.some((w) => w.includes(`ai-assistant:${key} is stored in plain text`) && w.includes(`pulumi config set --secret ai-assistant:${key}`))).toBe(true);
    }
    for (const secret of [API_KEY, HF_TOKEN, GRAFANA_PASSWORD, KNOWLEDGE_ADMIN_KEY, VALKEY_PASSWORD]) expect(warnings.join("\n")).not.toContain(secret);
  });
});

describe("given a program that copies a secret setting's value into a plain ConfigMap", () => {
  it("then the render still masks the value in what it writes, and names the resource as holding it unmarked", async () => {
    const { render } = await import("../tools/render");
    const k8s = await import("@pulumi/kubernetes");
    const result = await render({
      stack: "test",
      config: { "ai-assistant:apiKey": API_KEY },
      secretKeys: [],
      runProgram: () => {
        const provider = new k8s.Provider("leaky", { renderYamlToDirectory: "unused" });
        new k8s.core.v1.ConfigMap("leaky-settings", { metadata: { name: "leaky" }, data: { key: new pulumi.Config("ai-assistant").require("apiKey") } }, { provider });
      },
    });
    expect(JSON.stringify(result.resources)).not.toContain(API_KEY);
    expect(result.unmarkedSecrets).toEqual([expect.stringContaining("ConfigMap::leaky-settings")]);
  });
});

describe("given encrypted secrets in a stack file", () => {
  it("they render as masked placeholders (there is no key to decrypt them offline)", async () => {
    const text = Object.values(renderFiles(await renderConfig(HOSTED))).join("\n");
    expect(text).not.toContain("AAABAJ2ciphertext");
    expect(text).toContain('api-key: "[secret]"');
  });
});

describe("invalid config", () => {
  it("rejects the render with the config message, and the next render works", async () => {
    await expect(renderConfig({ phase: "mock", backend: { replicas: 0 } })).rejects.toThrow(
      "ai-assistant:backend.replicas: expected at least 1 replica; found 0",
    );
    const next = await renderConfig({ phase: "mock", monitoring: { enabled: false } });
    expect(next.kubernetesObjects.length).toBeGreaterThan(3);
  });

  it("fails before any resource is registered", async () => {
    const registered: string[] = [];
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push(args.type);
          return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
      },
      "ai-assistant",
      "dev",
    );
    pulumi.runtime.setAllConfig({ "ai-assistant:phase": "mock", "ai-assistant:backend": '{"replicas": 0}' });
    await jest.isolateModulesAsync(async () => {
      expect(() => require("../index")).toThrow(/ai-assistant:backend\.replicas/);
    });
    expect(registered).toEqual([]);
  });
});
