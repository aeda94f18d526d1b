/**
 * What the backend is told, as environment variables of its contract (lib/backend-env.ts, which the backend parses
 * with the same schema): the LLM provider, model and fallback chain per phase, and the service settings (rate limit,
 * prompt logging). The key is not here: it reaches the pod from a Kubernetes Secret as `LLM_API_KEY`.
 *
 * When the stack file encrypts any part of `hostedApi` (e.g. a private `baseUrl`), every variable made from it moves
 * from the ConfigMap to the `backend-llm-settings` Secret, as a Pulumi secret: what was encrypted stays so.
 */
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../../config/load";
import { HostedApiConfig, ModelEngine } from "../../config/phases";
import { resolveRateLimit } from "../../config/backend-service";
import { valkeyEnabled } from "../../config/shared-state";
import { VALKEY_NAME, VALKEY_PORT } from "../shared-state/valkey";
import { BackendEnv, BackendEnvName, parseBackendEnv } from "../../lib/backend-env";
import { trustProxyHops } from "./proxy-hops";
import { FEATURE_FLAGS_FILE, featureFlagFile } from "./feature-flags";

/** ConfigMap values, typed by the contract: only its variables, enums spelled as it spells them. */
export type BackendEnvValues = { [K in BackendEnvName]?: Exclude<BackendEnv[K], undefined> };

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
export function mockSettings(): BackendEnvValues {
  return { LLM_PROVIDER: "mock", LLM_FALLBACK: "none" };
}

/** The hosted-API phase. */
export function hostedApiSettings(api: HostedApiConfig): BackendEnvValues {
  return {
    LLM_PROVIDER: api.provider,
    LLM_BASE_URL: hostedBaseUrl(api),
    LLM_MODEL: api.model,
    LLM_TIMEOUT_SECONDS: String(api.timeoutSeconds),
    LLM_FALLBACK: api.fallbackToMock ? "mock" : "none",
  };
}

/** The hosted API as the local-model phase's fallback. */
export function hostedFallbackSettings(fallback: HostedApiConfig): BackendEnvValues {
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
  fallback?: HostedApiConfig,
): pulumi.Output<BackendEnvValues> {
  const [defaultModel] = Object.keys(endpoints);
  return pulumi.all(endpoints).apply((urls): BackendEnvValues => ({
    LLM_PROVIDER: engine,
    LLM_BASE_URL: urls[defaultModel],
    LLM_MODEL: defaultModel,
    LLM_MODEL_ENDPOINTS: JSON.stringify(urls),
    // Local models are slow on a cold start; the backend waits longer for them than for a hosted API.
    LLM_TIMEOUT_SECONDS: "120",
    // local -> hosted -> mock: canned answers still come when the hosted API fails too.
    LLM_FALLBACK: fallback ? (fallback.fallbackToMock ? "hosted,mock" : "hosted") : "none",
  }));
}

/**
 * The service settings every phase shares: the per-client rate limit (its clients are named by the
 * `X-Forwarded-For` entries of the proxies in front, counted by {@link trustProxyHops}) and
 * prompt logging. Only what differs from the backend's defaults is written.
 */
export function serviceSettings(config: StackConfig): BackendEnvValues {
  const rateLimit = resolveRateLimit(config.backend.rateLimit, config.production);
  const proxies = trustProxyHops(config.frontend.expose);
  const cache = config.backend.responseCache;
  return {
    ...(rateLimit.enabled
      ? {
          RATE_LIMIT_PER_MINUTE: String(rateLimit.requestsPerMinute),
          RATE_LIMIT_BURST: String(rateLimit.burst),
          TRUST_PROXY_HOPS: String(proxies),
          ...(rateLimit.tokensPerMinute > 0 && { RATE_LIMIT_TOKENS_PER_MINUTE: String(rateLimit.tokensPerMinute) }),
        }
      : {}),
    // The Service the Valkey component creates; the password reaches the pod from its Secret.
    ...(valkeyEnabled(config.valkey) && { VALKEY_URL: `redis://${VALKEY_NAME}:${VALKEY_PORT}`, VALKEY_FAILURE_POLICY: config.valkey.failurePolicy }),
    ...(cache.mode !== "off" && {
      CACHE_MODE: cache.mode,
      CACHE_TTL_SECONDS: String(cache.ttlSeconds),
      CACHE_MAX_ENTRIES: String(cache.maxEntries),
      CACHE_MAX_ENTRY_BYTES: String(cache.maxEntryBytes),
    }),
    ...(config.backend.logPrompts ? { LOG_PROMPTS: "true" } : {}),
    // The path only: the flags themselves are in their own ConfigMap, which changes without rolling the pods.
    ...(featureFlagFile(config.features) !== undefined && { FEATURE_FLAGS_FILE }),
    ...knowledgeSettings(config.knowledge),
  };
}

/**
 * The knowledge base's plain settings (docs/knowledge.md); the database URL and the admin key reach the pod from
 * Secrets (components/app/backend.ts), never through the ConfigMap.
 */
function knowledgeSettings(knowledge: StackConfig["knowledge"]): BackendEnvValues {
  if (!knowledge.enabled) return {};
  const { embeddings } = knowledge;
  return {
    KNOWLEDGE_ENABLED: "true",
    EMBEDDINGS_DIMENSIONS: String(embeddings.dimensions),
    ...(embeddings.model !== undefined && { EMBEDDINGS_MODEL: embeddings.model }),
    ...(embeddings.baseUrl !== undefined && { EMBEDDINGS_BASE_URL: embeddings.baseUrl }),
  };
}

/** The values that are set, as the strings a ConfigMap or Secret holds. */
function definedOnly(values: BackendEnvValues): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/**
 * The values, checked by the backend's own parser: a stack that would stop the backend at start fails the render
 * instead. The key is not known here, only whether the Secret will provide it.
 */
export function checkedEnv(values: BackendEnvValues, apiKeyFromSecret: boolean): Record<string, string> {
  // What the pod reads from Secrets stands in here, so that the rest is checked as the backend will check it.
  const fromSecrets = {
    ...(apiKeyFromSecret ? { LLM_API_KEY: "from-the-secret" } : {}),
    ...(values.KNOWLEDGE_ENABLED === "true" ? { KNOWLEDGE_DATABASE_URL: "postgres://from-the-secret@knowledge-db-rw:5432/knowledge", KNOWLEDGE_ADMIN_KEY: "from-the-secret-0123456789" } : {}),
  };
  parseBackendEnv({ ...values, ...fromSecrets });
  return definedOnly(values);
}

/** What the backend is given: ConfigMap settings, settings kept in a Secret, and the API key. */
export interface BackendLlm {
  settings: pulumi.Input<Record<string, string>>;
  /** Settings made from an encrypted config section, as Pulumi secrets; absent when there are none. */
  secretSettings?: pulumi.Output<Record<string, string>>;
  apiKey?: pulumi.Input<string>;
}

/**
 * The backend's whole environment, checked as one by the backend's parser, with the hosted-API settings where they
 * belong: the ConfigMap, or the Secret when the stack file encrypted `hostedApi`.
 */
function placeHosted(config: StackConfig, plain: pulumi.Input<BackendEnvValues>, hosted: BackendEnvValues, apiKeyFromSecret: boolean): Omit<BackendLlm, "apiKey"> {
  const checked = pulumi.output(plain).apply((values) => {
    checkedEnv({ ...values, ...hosted }, apiKeyFromSecret);
    return values;
  });
  if (!config.secretSections.has("hostedApi")) return { settings: checked.apply((values) => definedOnly({ ...values, ...hosted })) };
  return { settings: checked.apply(definedOnly), secretSettings: pulumi.secret(definedOnly(hosted)) };
}

/** The backend's LLM settings and API key for the stack's phase. */
export function backendLlm(config: StackConfig, localEndpoints?: Record<string, pulumi.Input<string>>): BackendLlm {
  const service = serviceSettings(config);
  switch (config.phase) {
    case "mock":
      return { settings: checkedEnv({ ...mockSettings(), ...service }, false) };
    case "hosted-api":
      return { ...placeHosted(config, service, hostedApiSettings(config.hostedApi), true), apiKey: config.secrets.apiKey };
    case "local-model": {
      if (!localEndpoints) throw new Error("the local-model phase needs its model servers' endpoints");
      const fallback = config.localModel.fallbackToHostedApi ? config.hostedApi : undefined;
      const local = localModelSettings(config.localModel.engine, localEndpoints, fallback).apply((values) => ({ ...values, ...service }));
      if (!fallback) return placeHosted(config, local, {}, false);
      return { ...placeHosted(config, local, hostedFallbackSettings(fallback), true), apiKey: config.secrets.apiKey };
    }
  }
}
