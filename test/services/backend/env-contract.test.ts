/**
 * The contract between the stack and the backend, tested from both sides: the environment every committed stack
 * and every phase and provider renders for the backend container (ConfigMap values, plain env, and a stand-in for
 * the Secret's key) is accepted by the backend's own settings parser, and means what the stack meant. A bad
 * environment stops the real entry point with one line.
 */
import { spawnSync } from "child_process";
import { BackendSettings, parseBackendEnv } from "../../../lib/backend-env";
import { RenderResult } from "../../../tools/render";
import { ALL_PHASES, HOSTED, OLLAMA, VLLM } from "../../support/configs";
import { PROJECT_DIR, renderConfig, renderStack } from "../../support/render";
import { renderedBackendEnv } from "./support/rendered-env";

const FAKE_KEY = "key-from-the-secret";

const containerEnv = (result: RenderResult) => renderedBackendEnv(result, FAKE_KEY);

/** Every phase, and every provider at least once (prod's fallback is openai; CPU_ONLY renders like OLLAMA). */
const VARIANTS: Record<string, Record<string, unknown>> = {
  MOCK: ALL_PHASES.MOCK,
  HOSTED: ALL_PHASES.HOSTED,
  OLLAMA: ALL_PHASES.OLLAMA,
  TRITON: ALL_PHASES.TRITON,
  HOSTED_HUGGINGFACE: { ...HOSTED, hostedApi: { provider: "huggingface", model: "meta-llama/Llama-3.1-8B-Instruct", fallbackToMock: false } },
  HOSTED_COMPATIBLE: { ...HOSTED, hostedApi: { provider: "openai-compatible", model: "llama", baseUrl: "https://llm.internal/v1" } },
  OLLAMA_WITH_HOSTED_FALLBACK: { ...OLLAMA, localModel: { ...OLLAMA.localModel, fallbackToHostedApi: true }, hostedApi: { provider: "anthropic", model: "claude-3-5-haiku-latest" }, apiKey: { secure: "AAABAFcipher" } },
  VLLM_RATE_LIMITED_BEHIND_INGRESS: { ...VLLM, backend: { rateLimit: { enabled: true, requestsPerMinute: 20, burst: 5 }, logPrompts: true }, frontend: { expose: { type: "Ingress", host: "chat.example.com", controllerNamespace: "ingress-system" } } },
};

describe("given every committed stack and every phase and provider, rendered", () => {
  const rendered = new Map<string, RenderResult>();
  beforeAll(async () => {
    for (const stack of ["dev", "prod"]) rendered.set(`Pulumi.${stack}.yaml`, await renderStack(stack));
    for (const [name, config] of Object.entries(VARIANTS)) rendered.set(name, await renderConfig(config));
  }, 120_000);
  const parsed = (name: string): BackendSettings => parseBackendEnv(containerEnv(rendered.get(name)!));

  it("then the backend's settings parser accepts each backend container's environment", () => {
    expect(rendered.size).toBe(2 + Object.keys(VARIANTS).length);
    for (const [name, result] of rendered) {
      expect(() => parseBackendEnv(containerEnv(result))).not.toThrow();
      expect(`${name}: port ${parsed(name).port}`).toBe(`${name}: port 8080`);
    }
  });

  it("then each means what its stack says: provider, models, fallback chain and key", () => {
    const dev = parsed("Pulumi.dev.yaml");
    expect([dev.primary.provider, dev.fallbacks, dev.apiKey, dev.rateLimit.perMinute]).toEqual(["mock", [], undefined, 0]);
    const prod = parsed("Pulumi.prod.yaml");
    expect(prod.primary).toMatchObject({ provider: "vllm", model: "Qwen/Qwen2.5-7B-Instruct" });
    expect(prod.fallbacks.map((f) => `${f.provider}:${f.model}`)).toEqual(["openai:gpt-4o-mini", "mock:mock"]);
    expect(prod.apiKey).toBe(FAKE_KEY);
    // A production stack limits each client by default.
    expect(prod.rateLimit).toEqual({ perMinute: 30, burst: 10, tokensPerMinute: 0, trustProxyHops: 2 });
    // prod grounds answers in its knowledge database: the URL from the operator's Secret, the key from its own.
    expect(prod.knowledge).toMatchObject({ databaseUrl: expect.stringMatching(/^postgres:\/\/knowledge:.*@knowledge-db-rw\.ai-assistant:5432\/knowledge$/), adminKey: FAKE_KEY });
    expect(dev.knowledge).toBeUndefined();
    const hosted = parsed("HOSTED");
    expect([hosted.primary.provider, hosted.primary.baseUrl, hosted.fallbacks.map((f) => f.provider), hosted.apiKey]).toEqual(["anthropic", "https://api.anthropic.com/v1", ["mock"], FAKE_KEY]);
    expect(parsed("HOSTED_HUGGINGFACE").fallbacks).toEqual([]);
    expect(parsed("OLLAMA").models.map((m) => m.model)).toEqual(["llama3.2:3b", "qwen2.5:7b"]);
    expect(parsed("TRITON").primary).toMatchObject({ provider: "triton", model: "Qwen/Qwen2.5-7B-Instruct", baseUrl: "http://model-server.assistant-test.svc.cluster.local:9000/v1" });
    expect(parsed("OLLAMA_WITH_HOSTED_FALLBACK").fallbacks.map((f) => f.provider)).toEqual(["anthropic", "mock"]);
    const limited = parsed("VLLM_RATE_LIMITED_BEHIND_INGRESS");
    expect([limited.rateLimit, limited.logPrompts]).toEqual([{ perMinute: 20, burst: 5, tokensPerMinute: 0, trustProxyHops: 2 }, true]);
  });

  it("when a rendered environment loses a setting the backend needs, then the parser refuses it, naming the variable", () => {
    const { LLM_MODEL: _dropped, ...env } = containerEnv(rendered.get("HOSTED")!);
    expect(() => parseBackendEnv(env)).toThrow(/^invalid backend settings: LLM_MODEL: expected a value/);
    const { LLM_API_KEY: _key, ...keyless } = containerEnv(rendered.get("HOSTED")!);
    expect(() => parseBackendEnv(keyless)).toThrow(/LLM_API_KEY: expected a value \(anthropic needs a key\)/);
  });
});

describe("given a bad environment, when the backend starts", () => {
  const start = (env: Record<string, string>) =>
    spawnSync(process.execPath, ["-r", "./tools/register.js", "services/backend/src/main.ts"], {
      cwd: PROJECT_DIR,
      env: { PATH: process.env.PATH ?? "", ...env },
      encoding: "utf8",
      timeout: 20_000,
    });

  it("then it exits 1 with one line naming every bad variable, no stack trace, and never the key", () => {
    const run = start({ LLM_PROVIDER: "openai", LLM_BASE_URL: "not a url", LLM_TIMEOUT_SECONDS: "soon", LLM_API_KEY: "sk-do-not-print" });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    const lines = run.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^backend: invalid backend settings: /);
    expect(lines[0]).toContain('LLM_BASE_URL: expected an http(s) URL such as https://api.openai.com/v1, found "not a url"');
    expect(lines[0]).toContain('LLM_TIMEOUT_SECONDS: expected a whole number from 1 to 600, found "soon"');
    expect(lines[0]).toContain("LLM_MODEL: expected a value");
    expect(run.stderr).not.toContain("sk-do-not-print");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("then an unset provider is named too", () => {
    const run = start({});
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^backend: invalid backend settings: LLM_PROVIDER: expected one of "mock", .*found not set\n$/);
  });
});
