/** backend.rateLimit and backend.logPrompts: accepted, defaulted, refused with one line each, and what the backend is told. */
import { resolveRateLimit } from "../../config/backend-service";
import { checkedEnv, serviceSettings } from "../../components/app/llm-settings";
import { toStackConfig } from "../../config/load";
import { parse, problemsWith, VALID } from "../support/config";

describe("backend.rateLimit and backend.logPrompts", () => {
  it("default to a rate limit decided by `production`, 30 a minute with a burst of 10, and no prompt logging", () => {
    const config = parse(VALID);
    expect(config.backend.rateLimit).toEqual({ requestsPerMinute: 30, burst: 10, tokensPerMinute: 0 });
    expect(config.backend.logPrompts).toBe(false);
    expect(resolveRateLimit(config.backend.rateLimit, false).enabled).toBe(false);
    expect(resolveRateLimit(config.backend.rateLimit, true).enabled).toBe(true);
    expect(resolveRateLimit({ ...config.backend.rateLimit, enabled: false }, true).enabled).toBe(false);
  });

  it("accept explicit settings", () => {
    const config = parse({ ...VALID, backend: { rateLimit: { enabled: true, requestsPerMinute: 120, burst: 40 }, logPrompts: true } });
    expect(config.backend.rateLimit).toEqual({ enabled: true, requestsPerMinute: 120, burst: 40, tokensPerMinute: 0 });
    expect(config.backend.logPrompts).toBe(true);
  });

  it.each([
    [{ rateLimit: { requestsPerMinute: 0 } }, "ai-assistant:backend.rateLimit.requestsPerMinute: expected at least 1 request per minute; found 0"],
    [{ rateLimit: { burst: 2.5 } }, "ai-assistant:backend.rateLimit.burst: expected a whole number; found 2.5"],
    [{ rateLimit: { enabled: "yes" } }, 'ai-assistant:backend.rateLimit.enabled: expected true or false; found "yes"'],
    [{ rateLimit: { perMinute: 5 } }, "ai-assistant:backend.rateLimit.perMinute: expected a known key"],
    [{ logPrompts: "on" }, 'ai-assistant:backend.logPrompts: expected true or false; found "on"'],
  ])("refuse %j", (backend, line) => {
    expect(problemsWith({ ...VALID, backend })).toContain(line);
  });

  it("become the contract's variables, only when they differ from the backend's defaults", () => {
    const stack = (settings: Record<string, unknown>) => toStackConfig(parse({ ...VALID, ...settings }), "dev");
    expect(serviceSettings(stack({}))).toEqual({});
    expect(serviceSettings(stack({ production: true, monitoring: { retention: "30d" }, frontend: { image: "ghcr.io/a/f@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc" }, backend: { image: "ghcr.io/a/b@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", logPrompts: true } }))).toEqual({
      RATE_LIMIT_PER_MINUTE: "30",
      RATE_LIMIT_BURST: "10",
      TRUST_PROXY_HOPS: "1",
      LOG_PROMPTS: "true",
    });
  });
});

describe("the ConfigMap check against the backend's own parser", () => {
  it("passes a complete environment through, and refuses one the backend would not start with", () => {
    expect(checkedEnv({ LLM_PROVIDER: "mock", LLM_FALLBACK: "none" }, false)).toEqual({ LLM_PROVIDER: "mock", LLM_FALLBACK: "none" });
    expect(() => checkedEnv({ LLM_PROVIDER: "openai", LLM_BASE_URL: "https://api.openai.com/v1", LLM_MODEL: "gpt-4o-mini" }, false)).toThrow(/LLM_API_KEY: expected a value/);
    expect(checkedEnv({ LLM_PROVIDER: "openai", LLM_BASE_URL: "https://api.openai.com/v1", LLM_MODEL: "gpt-4o-mini" }, true)).not.toHaveProperty("LLM_API_KEY");
  });
});
