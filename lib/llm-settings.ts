/**
 * What the backend is told about its language model, as environment variables. This is the backend's contract:
 *
 * | variable | meaning |
 * |---|---|
 * | `LLM_PROVIDER` | `mock`, `huggingface`, `openai`, `anthropic`, `openai-compatible`, `ollama` or `vllm` |
 * | `LLM_BASE_URL` | API base URL (absent for mock) |
 * | `LLM_MODEL` | model name (absent for mock) |
 * | `LLM_TIMEOUT_SECONDS` | per-request timeout |
 * | `LLM_FALLBACK` | what answers when the provider fails: `none`, `mock` or `hosted` |
 * | `FALLBACK_PROVIDER`, `FALLBACK_BASE_URL`, `FALLBACK_MODEL` | the hosted API used when `LLM_FALLBACK=hosted` |
 * | `LLM_API_KEY` | the hosted API's key, from a Kubernetes Secret (never in the ConfigMap) |
 */
import { HostedApiConfig } from "../config/phases";

/** Public endpoints of the hosted providers; an `openai-compatible` provider names its own. */
export const HOSTED_BASE_URLS: Record<Exclude<HostedApiConfig["provider"], "openai-compatible">, string> = {
  huggingface: "https://router.huggingface.co/v1",
  openai: "https://api.openai.com/v1",
  anthropic: "https://api.anthropic.com/v1",
};

export function hostedBaseUrl(api: HostedApiConfig): string {
  return api.baseUrl ?? HOSTED_BASE_URLS[api.provider as keyof typeof HOSTED_BASE_URLS];
}

/** The mock phase: canned answers, no model, no key. */
export function mockSettings(): Record<string, string> {
  return { LLM_PROVIDER: "mock", LLM_FALLBACK: "none" };
}

/** The hosted-API phase. */
export function hostedApiSettings(api: HostedApiConfig): Record<string, string> {
  return {
    LLM_PROVIDER: api.provider,
    LLM_BASE_URL: hostedBaseUrl(api),
    LLM_MODEL: api.model,
    LLM_TIMEOUT_SECONDS: String(api.timeoutSeconds),
    LLM_FALLBACK: api.fallbackToMock ? "mock" : "none",
  };
}
