/**
 * What the backend is told about its language model, as environment variables. This is the backend's contract:
 *
 * | variable | meaning |
 * |---|---|
 * | `LLM_PROVIDER` | `mock`, `huggingface`, `openai`, `anthropic`, `openai-compatible`, `ollama` or `vllm` |
 * | `LLM_BASE_URL` | API base URL (absent for mock) |
 * | `LLM_MODEL` | model name (absent for mock) |
 * | `LLM_TIMEOUT_SECONDS` | per-request timeout |
 * | `LLM_MODEL_ENDPOINTS` | local-model phase: JSON map of every served model to its server's base URL |
 * | `LLM_FALLBACK` | what answers when the provider fails: `none`, `mock` or `hosted` |
 * | `FALLBACK_PROVIDER`, `FALLBACK_BASE_URL`, `FALLBACK_MODEL` | the hosted API used when `LLM_FALLBACK=hosted` |
 * | `LLM_API_KEY` | the hosted API's key, from a Kubernetes Secret (never in the ConfigMap) |
 *
 * When the stack file encrypts any part of `hostedApi` (e.g. a private `baseUrl`), every variable made from it moves
 * from the ConfigMap to the `backend-llm-settings` Secret, as a Pulumi secret: what was encrypted stays so.
 */
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../../config/load";
import { HostedApiConfig, ModelEngine } from "../../config/phases";

/** Public endpoints of the hosted providers; an `openai-compatible` provider names its own. */
export const HOSTED_BASE_URLS: Record<Exclude<HostedApiConfig["provider"], "openai-compatible">, string> = {
  huggingface: "https://router.huggingface.co/v1",
  openai: "https://api.openai.com/v1",
  anthropic: "https://api.anthropic.com/v1",
};

export function hostedBaseUrl(api: HostedApiConfig): string {
  return api.baseUrl ?? HOSTED_BASE_URLS[api.provider as keyof typeof HOSTED_BASE_URLS];
}

/** The TCP port of the hosted API's base URL (443 for https, unless the URL names one), for the backend's egress. */
export function hostedApiPort(api: HostedApiConfig): number {
  const url = new URL(hostedBaseUrl(api));
  return url.port ? Number(url.port) : url.protocol === "http:" ? 80 : 443;
}

/** The hosted API the backend calls in this stack's phase, if any. */
export function hostedApiOf(config: StackConfig): HostedApiConfig | undefined {
  if (config.phase === "hosted-api") return config.hostedApi;
  if (config.phase === "local-model" && config.localModel.fallbackToHostedApi) return config.hostedApi;
  return undefined;
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

/** The hosted API as the local-model phase's fallback. */
export function hostedFallbackSettings(fallback: HostedApiConfig): Record<string, string> {
  return {
    FALLBACK_PROVIDER: fallback.provider,
    FALLBACK_BASE_URL: hostedBaseUrl(fallback),
    FALLBACK_MODEL: fallback.model,
  };
}

/**
 * The local-model phase: the first model is the default; every model's server is listed. With a hosted API as
 * fallback, the backend answers from it until the local servers are ready (their weights are cached); the
 * fallback's own settings come from {@link hostedFallbackSettings}.
 */
export function localModelSettings(
  engine: ModelEngine,
  endpoints: Record<string, pulumi.Input<string>>,
  withFallback: boolean,
): pulumi.Output<Record<string, string>> {
  const [defaultModel] = Object.keys(endpoints);
  return pulumi.all(endpoints).apply((urls): Record<string, string> => ({
    LLM_PROVIDER: engine,
    LLM_BASE_URL: urls[defaultModel],
    LLM_MODEL: defaultModel,
    LLM_MODEL_ENDPOINTS: JSON.stringify(urls),
    // Local models are slow on a cold start; the backend waits longer for them than for a hosted API.
    LLM_TIMEOUT_SECONDS: "120",
    LLM_FALLBACK: withFallback ? "hosted" : "none",
  }));
}

/** What the backend is given: ConfigMap settings, settings kept in a Secret, and the API key. */
export interface BackendLlm {
  settings: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Settings made from an encrypted config section, as Pulumi secrets; absent when there are none. */
  secretSettings?: pulumi.Output<Record<string, string>>;
  apiKey?: pulumi.Input<string>;
}

/** Hosted-API settings where they belong: the ConfigMap, or the Secret when the stack file encrypted `hostedApi`. */
function placeHosted(config: StackConfig, plain: pulumi.Input<Record<string, pulumi.Input<string>>>, hosted: Record<string, string>): Omit<BackendLlm, "apiKey"> {
  if (!config.secretSections.has("hostedApi")) {
    return { settings: pulumi.all([plain, hosted]).apply(([a, b]) => ({ ...a, ...b })) };
  }
  return { settings: plain, secretSettings: pulumi.secret(hosted) };
}

/** The backend's LLM settings and API key for the stack's phase. */
export function backendLlm(config: StackConfig, localEndpoints?: Record<string, pulumi.Input<string>>): BackendLlm {
  switch (config.phase) {
    case "mock":
      return { settings: mockSettings() };
    case "hosted-api":
      return { ...placeHosted(config, {}, hostedApiSettings(config.hostedApi)), apiKey: config.secrets.apiKey };
    case "local-model": {
      if (!localEndpoints) throw new Error("the local-model phase needs its model servers' endpoints");
      const fallback = config.localModel.fallbackToHostedApi ? config.hostedApi : undefined;
      const local = localModelSettings(config.localModel.engine, localEndpoints, fallback !== undefined);
      if (!fallback) return { settings: local };
      return { ...placeHosted(config, local, hostedFallbackSettings(fallback)), apiKey: config.secrets.apiKey };
    }
  }
}
