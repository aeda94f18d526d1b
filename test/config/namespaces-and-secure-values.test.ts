import { parseStackConfig, RawConfig } from "../../config/load";
import { VALID } from "../support/config";

function raw(values: Record<string, unknown>, extra: Partial<RawConfig> = {}): RawConfig {
  const strings = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
  return { values: strings, secretKeys: new Set(), ...extra };
}

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the config to be rejected");
}

describe("config namespaces: only namespaces something reads are accepted", () => {
  it("accepts the program's and its providers' namespaces", () => {
    expect(parseStackConfig(raw(VALID, { unknownNamespaceKeys: [] }), "dev").phase).toBe("mock");
  });

  it("rejects a misspelt namespace, names the key and suggests the namespace meant", () => {
    const message = messageOf(() => parseStackConfig(raw(VALID, { unknownNamespaceKeys: ["ai-asistant:backend"] }), "dev"));
    expect(message).toContain("Invalid configuration in Pulumi.dev.yaml (1 problem)");
    expect(message).toContain('ai-asistant:backend: expected a namespace this program or its providers read (ai-assistant, kubernetes, aws, docker, pulumi); did you mean ai-assistant:backend?; found namespace "ai-asistant", which nothing reads');
  });

  it("lists a namespace problem with the schema's own problems in one message", () => {
    const message = messageOf(() => parseStackConfig(raw({ ...VALID, backend: { replicas: 0 } }, { unknownNamespaceKeys: ["kuberntes:context"] }), "dev"));
    expect(message).toContain("(2 problems)");
    expect(message).toContain("did you mean kubernetes:context?");
    expect(message).toContain("ai-assistant:backend.replicas");
  });
});

describe("messages name the file the config came from", () => {
  it("Pulumi.<stack>.yaml by default, the given file otherwise", () => {
    const bad = raw({ ...VALID, backend: { replicas: 0 } });
    expect(messageOf(() => parseStackConfig(bad, "dev"))).toContain("Invalid configuration in Pulumi.dev.yaml");
    expect(messageOf(() => parseStackConfig(bad, "dev", "candidates/next.yaml"))).toContain("Invalid configuration in candidates/next.yaml");
  });
});

describe("a value marked secret is never printed in a config message", () => {
  const hosted = { ...VALID, phase: "hosted-api", apiKey: "sk-test", hostedApi: { provider: "openai", model: "m", baseUrl: "not a url with a private host" } };

  it("given an encrypted section, what was found there is hidden", () => {
    const message = messageOf(() => parseStackConfig(raw(hosted, { secretKeys: new Set(["hostedApi"]) }), "dev"));
    expect(message).toContain("ai-assistant:hostedApi.baseUrl: expected an http(s) URL");
    expect(message).toContain("found a value (hidden: it is a secret)");
    expect(message).not.toContain("private host");
  });

  it("given the same section in plain text, the value is shown to help fix it", () => {
    expect(messageOf(() => parseStackConfig(raw(hosted), "dev"))).toContain('found "not a url with a private host"');
  });
});
