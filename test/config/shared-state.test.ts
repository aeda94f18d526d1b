/** valkey, backend.responseCache, backend.apiKeys, backend.rateLimit.tokensPerMinute and the secret clientApiKeys: accepted, defaulted, refused. */
import { createHash } from "crypto";
import { serviceSettings } from "../../components/app/llm-settings";
import { frontendToken, hashedClientKeys } from "../../components/shared-state/client-keys";
import { toStackConfig } from "../../config/load";
import { RENDER_PLACEHOLDER } from "../../config/shared-state";
import { MASK } from "../../tools/mask";
import { parse, problemsWith, VALID } from "../support/config";

const KEYS = JSON.stringify({ ci: "k".repeat(40), webui: "w".repeat(40) });
const PASSWORD = "valkey-test-password-123";

describe("valkey", () => {
  it("is off by default, with 256Mi maxmemory, allkeys-lru, fail-open, and Valkey 9.1.1 beside redis_exporter v1.79.0", () => {
    const { valkey } = parse(VALID);
    expect(valkey).toMatchObject({ enabled: false, maxmemory: "256Mi", evictionPolicy: "allkeys-lru", failurePolicy: "open" });
    expect(valkey.image).toEqual({ repository: "docker.io/valkey/valkey", tag: "9.1.1" });
    expect(valkey.exporter.image).toEqual({ repository: "ghcr.io/oliver006/redis_exporter", tag: "v1.79.0" });
  });

  it("needs its password once enabled, and says how to set it", () => {
    expect(problemsWith({ ...VALID, valkey: { enabled: true } }, "prod")).toContain(
      "ai-assistant:valkeyPassword: expected a secret (Valkey's password, because valkey.enabled is true); set it with `pulumi config set --secret ai-assistant:valkeyPassword <value> --stack prod`",
    );
    expect(parse({ ...VALID, valkey: { enabled: true }, valkeyPassword: PASSWORD }).valkey.enabled).toBe(true);
  });

  it.each([
    [{ maxmemory: "1Gi" }, "ai-assistant:valkey.resources.limits.memory: expected a memory limit at least 25% above valkey.maxmemory (1Gi)"],
    [{ evictionPolicy: "lru" }, "ai-assistant:valkey.evictionPolicy: expected one of allkeys-lru"],
    [{ failurePolicy: "maybe" }, 'ai-assistant:valkey.failurePolicy: expected one of open, closed; found "maybe"'],
    [{ maxmemory: "lots" }, "ai-assistant:valkey.maxmemory: expected a Kubernetes memory quantity"],
    // The valkey-io chart writes images as repository:tag: a digest alone has nowhere to go.
    [{ image: `docker.io/valkey/valkey@sha256:${"a".repeat(64)}` }, "ai-assistant:valkey.image: expected an image reference with a tag (name:tag or name:tag@sha256:<digest>)"],
    [{ exporter: { image: "ghcr.io/oliver006/redis_exporter" } }, 'ai-assistant:valkey.exporter.image: expected an image reference with a tag (name:tag or name:tag@sha256:<digest>): the valkey-io chart writes images as repository:tag; found "ghcr.io/oliver006/redis_exporter"'],
  ])("refuses %j", (valkey, line) => {
    expect(problemsWith({ ...VALID, valkey: { enabled: true, ...valkey }, valkeyPassword: PASSWORD })).toContain(line);
  });

  it("accepts images with a tag and a digest, as the prod stack pins them", () => {
    const image = `docker.io/valkey/valkey:9.1.1@sha256:${"b".repeat(64)}`;
    expect(parse({ ...VALID, valkey: { enabled: true, image }, valkeyPassword: PASSWORD }).valkey.image).toEqual({ repository: "docker.io/valkey/valkey", tag: "9.1.1", digest: `sha256:${"b".repeat(64)}` });
  });

  it("accepts a larger maxmemory with a memory limit that leaves room above it", () => {
    const valkey = { enabled: true, maxmemory: "1Gi", resources: { requests: { memory: "1280Mi" }, limits: { memory: "1280Mi" } } };
    expect(parse({ ...VALID, valkey, valkeyPassword: PASSWORD }).valkey.maxmemory).toBe("1Gi");
  });
});

describe("client API keys", () => {
  it("accept a JSON object of name to key, with quotas for some of them", () => {
    const config = parse({ ...VALID, clientApiKeys: KEYS, backend: { apiKeys: { ci: { requestsPerMinute: 5, tokensPerMinute: 20000 } } } });
    expect(config.backend.apiKeys).toEqual({ ci: { requestsPerMinute: 5, tokensPerMinute: 20000 } });
  });

  it.each([
    ["not JSON", "sk-not-json-but-long-enough-to-be-a-key", 'ai-assistant:clientApiKeys: expected a JSON object of key name to key, such as {"ci": "<key>"}'],
    ["a short key", JSON.stringify({ ci: "short" }), "ai-assistant:clientApiKeys: expected the key named ci to be a string of at least 32 characters"],
    ["a name that is no label", JSON.stringify({ "CI Bot": "k".repeat(40) }), "ai-assistant:clientApiKeys: expected key names of lower-case letters, digits, '-' and '_'"],
    ["no key at all", "{}", "ai-assistant:clientApiKeys: expected at least one key"],
  ])("refuse %s, without showing the value", (_, clientApiKeys, line) => {
    const message = problemsWith({ ...VALID, clientApiKeys });
    expect(message).toContain(line);
    if (clientApiKeys.length > 10) expect(message).not.toContain(clientApiKeys);
  });

  it("refuse quotas for a key that does not exist, and quotas without keys", () => {
    expect(problemsWith({ ...VALID, clientApiKeys: KEYS, backend: { apiKeys: { cj: { requestsPerMinute: 5 } } } })).toContain(
      'ai-assistant:backend.apiKeys.cj: expected a quota for a key in clientApiKeys (ci, webui); found "cj"',
    );
    expect(problemsWith({ ...VALID, backend: { apiKeys: { ci: { requestsPerMinute: 5 } } } })).toContain("ai-assistant:backend.apiKeys: expected no key quotas without the secret clientApiKeys");
  });

  it("reach the backend as SHA-256 digests with their quotas, never as keys; the frontend's token is derived, and differs from every key", () => {
    const hashed = JSON.parse(hashedClientKeys(KEYS, { ci: { requestsPerMinute: 5 } }));
    expect(hashed).toEqual([
      { name: "ci", sha256: createHash("sha256").update("k".repeat(40)).digest("hex"), requestsPerMinute: 5 },
      { name: "webui", sha256: createHash("sha256").update("w".repeat(40)).digest("hex") },
    ]);
    expect(JSON.stringify(hashed)).not.toContain("k".repeat(40));
    const token = frontendToken(KEYS);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(frontendToken(JSON.stringify({ ci: "x".repeat(40) }))).not.toBe(token);
    // The offline render cannot read an encrypted value: its placeholder stands for no key, and the rule lets it pass.
    expect(RENDER_PLACEHOLDER).toBe(MASK);
    expect(hashedClientKeys(MASK, {})).toBe("[]");
    expect(parse({ ...VALID, clientApiKeys: MASK }).clientApiKeys).toBe(MASK);
  });
});

describe("the response cache, the token limit and the hosted API's prices", () => {
  it("become the backend's variables only when set", () => {
    const stack = (settings: Record<string, unknown>) => toStackConfig(parse({ ...VALID, ...settings }), "dev");
    expect(serviceSettings(stack({}))).toEqual({});
    expect(
      serviceSettings(
        stack({
          valkey: { enabled: true, failurePolicy: "closed" },
          valkeyPassword: PASSWORD,
          backend: { rateLimit: { enabled: true, tokensPerMinute: 50000 }, responseCache: { mode: "deterministic", ttlSeconds: 600 } },
        }),
      ),
    ).toEqual({
      RATE_LIMIT_PER_MINUTE: "30",
      RATE_LIMIT_BURST: "10",
      RATE_LIMIT_TOKENS_PER_MINUTE: "50000",
      TRUST_PROXY_HOPS: "1",
      VALKEY_URL: "redis://valkey:6379",
      VALKEY_FAILURE_POLICY: "closed",
      CACHE_MODE: "deterministic",
      CACHE_TTL_SECONDS: "600",
      CACHE_MAX_ENTRIES: "1000",
      CACHE_MAX_ENTRY_BYTES: "262144",
    });
  });

  it.each([
    [{ responseCache: { mode: "semantic" } }, 'ai-assistant:backend.responseCache.mode: expected one of off, deterministic, all; found "semantic"'],
    [{ responseCache: { ttlSeconds: 0 } }, "ai-assistant:backend.responseCache.ttlSeconds: expected at least 1 second; found 0"],
    [{ rateLimit: { tokensPerMinute: -1 } }, "ai-assistant:backend.rateLimit.tokensPerMinute: expected 0 (off) or more; found -1"],
  ])("refuse %j", (backend, line) => {
    expect(problemsWith({ ...VALID, backend })).toContain(line);
  });

  it("refuse a price that is not a number", () => {
    const hostedApi = { provider: "openai", model: "gpt-4o-mini", usdPerMillionTokens: { prompt: "cheap", completion: 0.6 } };
    expect(problemsWith({ ...VALID, phase: "hosted-api", apiKey: "sk-test", hostedApi })).toContain("ai-assistant:hostedApi.usdPerMillionTokens.prompt: expected USD per million prompt tokens");
  });
});
