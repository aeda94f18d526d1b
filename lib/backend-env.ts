/**
 * The backend's environment contract, read by both sides: the stack builds the `backend-settings` ConfigMap
 * against it (components/app/llm-settings.ts) and the backend parses its `process.env` with it
 * (services/backend/src/main.ts). Every variable is a string on the wire; the schema turns them into typed settings.
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `LLM_PROVIDER` | (required) | `mock`, `openai`, `openai-compatible`, `huggingface`, `anthropic`, `vllm`, `triton` or `ollama` |
 * | `LLM_BASE_URL` | (required unless mock) | the provider's API base URL (`…/v1` for OpenAI-style APIs, Ollama's API root) |
 * | `LLM_MODEL` | `mock` for mock, else required | default model, as the provider spells it |
 * | `LLM_MODEL_ENDPOINTS` | `{LLM_MODEL: LLM_BASE_URL}` | JSON map of every served model to its server's base URL |
 * | `LLM_TIMEOUT_SECONDS` | `30` | per attempt: wait for the answer to start, and at most this long between two streamed chunks |
 * | `LLM_FALLBACK` | `none` | ordered fallback chain after the provider: `none`, `mock`, `hosted` or `hosted,mock` |
 * | `FALLBACK_PROVIDER`, `FALLBACK_BASE_URL`, `FALLBACK_MODEL` | | the hosted API of `hosted` in the chain |
 * | `LLM_API_KEY` | | the hosted API's key (from a Secret); required by `openai`, `huggingface` and `anthropic` |
 * | `LLM_MAX_RETRIES` | `2` | retries of an attempt answered 429/5xx or refused, with backoff and `Retry-After` |
 * | `LLM_RETRY_MAX_WAIT_SECONDS` | `10` | longest wait before a retry; a longer `Retry-After` skips to the fallback |
 * | `LLM_MAX_TOKENS` | `1024` | `max_tokens` for APIs that require one (Anthropic) when the request has none |
 * | `BREAKER_FAILURES`, `BREAKER_COOLDOWN_SECONDS` | `5`, `15` | consecutive failures that open a provider's circuit, and for how long |
 * | `MAX_BODY_BYTES`, `MAX_MESSAGES`, `MAX_MESSAGE_CHARS` | `1048576`, `100`, `32768` | request limits (413 / 400 beyond) |
 * | `RATE_LIMIT_PER_MINUTE`, `RATE_LIMIT_BURST` | `0` (off), `10` | per-client token bucket on chat requests |
 * | `RATE_LIMIT_TOKENS_PER_MINUTE` | `0` (off) | per-client budget of prompt + completion tokens a minute (a bucket of one minute's worth) |
 * | `TRUST_PROXY_HOPS` | `0` | proxies in front (frontend, ingress) whose `X-Forwarded-For` entries name the client |
 * | `VALKEY_URL` | (none: in-process) | `redis://host:port` of the shared Valkey: limits and cache hold across replicas |
 * | `VALKEY_PASSWORD` | | Valkey's password (from a Secret) |
 * | `VALKEY_FAILURE_POLICY` | `open` | Valkey unreachable: `open` (per-replica limits, warning and metric) or `closed` (503) |
 * | `CLIENT_API_KEYS` | (none: no keys) | JSON list of `{name, sha256, requestsPerMinute?, tokensPerMinute?}` (from a Secret) |
 * | `FRONTEND_TOKEN` | | shared token the frontend sends as `X-Assistant-Frontend-Token` (from a Secret): keyless chat |
 * | `CACHE_MODE` | `off` | response cache: `off`, `deterministic` (requests with `temperature: 0`) or `all` |
 * | `CACHE_TTL_SECONDS`, `CACHE_MAX_ENTRIES`, `CACHE_MAX_ENTRY_BYTES` | `3600`, `1000`, `262144` | cache bounds (entries: in-process only; Valkey's `maxmemory` bounds its own) |
 * | `LOG_PROMPTS` | `false` | log prompt and answer text (debugging only) |
 * | `MOCK_WORD_DELAY_MS` | `15` | pause between the words of a streamed mock answer |
 * | `SHUTDOWN_DRAIN_SECONDS` | `5` | on SIGTERM, how long the backend keeps serving while failing readiness (endpoints catch up) |
 * | `SHUTDOWN_GRACE_SECONDS` | `25` | after the drain, how long in-flight answers may finish before connections are cut |
 * | `PORT`, `HOST` | `8080`, `0.0.0.0` | where it listens |
 * | `KNOWLEDGE_ENABLED` | `false` | ground chat answers in the knowledge base and serve its admin API (`/v1/knowledge/…`) |
 * | `KNOWLEDGE_DATABASE_URL` | (required when enabled) | Postgres with pgvector, `postgres://…` (from the operator-made Secret) |
 * | `KNOWLEDGE_DATABASE_POOL` | `5` | connections the backend keeps to it |
 * | `KNOWLEDGE_ADMIN_KEY` | (required when enabled) | bearer key of the ingestion API (from a Secret) |
 * | `KNOWLEDGE_TIMEOUT_MS` | `2000` | longest a chat question waits for retrieval; then it is answered without sources |
 * | `KNOWLEDGE_TOP_K`, `KNOWLEDGE_MIN_SCORE` | `4`, `0.3` | passages put before a question, and the least cosine similarity (0 to 1) they need |
 * | `KNOWLEDGE_CHUNK_CHARS`, `KNOWLEDGE_CHUNK_OVERLAP` | `1200`, `200` | passage size and the overlap of neighbours, in characters |
 * | `KNOWLEDGE_MAX_DOCUMENT_BYTES` | `10485760` | largest document the ingestion API takes (413 beyond) |
 * | `EMBEDDINGS_BASE_URL` | the provider's (`…/v1`) | OpenAI-compatible `/v1/embeddings` server; unset with the mock provider: a local hashing embedder |
 * | `EMBEDDINGS_MODEL`, `EMBEDDINGS_DIMENSIONS` | `local-hash`, `384` | embedding model and vector size (the vector column's size) |
 * | `EMBEDDINGS_BATCH` | `64` | passages per embeddings call |
 * | `SEMANTIC_CACHE_ENABLED` | `false` | answer again a question whose embedding is close to an answered one's (same model) |
 * | `SEMANTIC_CACHE_MAX_DISTANCE`, `SEMANTIC_CACHE_TTL_SECONDS` | `0.05`, `3600` | cosine distance that counts as the same question, and how long an answer is reused |
 * | `FEATURE_FLAGS_FILE` | (none: no flags) | absolute path of a flagd flag file (lib/feature-flags.ts), re-read when it changes; per request, its flags can turn off knowledge and the caches, and send a share of traffic to another model |
 *
 * This module is part of the backend image: it may import only zod.
 */
import { z } from "zod";

export const PROVIDERS = ["mock", "openai", "openai-compatible", "huggingface", "anthropic", "vllm", "triton", "ollama"] as const;

/**
 * The name Triton serves a Hugging Face model under: its model-repository directory, which cannot hold a `/`
 * (Triton names a model after its directory; the OpenAI frontend answers to that name). The stack writes the
 * repository with it (components/model-servers/model-engines.ts) and the backend asks for it, so clients keep
 * using the Hugging Face id.
 */
export function tritonModelName(model: string): string {
  return model.replace(/\//g, "--");
}
export type ProviderName = (typeof PROVIDERS)[number];

/** Providers reached over the internet with a key (the stack's `hostedApi.provider`). */
export const HOSTED_PROVIDERS = ["huggingface", "openai", "anthropic", "openai-compatible"] as const;
export type HostedProviderName = (typeof HOSTED_PROVIDERS)[number];

/** Providers that cannot be called without `LLM_API_KEY`. */
export const KEYED_PROVIDERS: readonly ProviderName[] = ["openai", "huggingface", "anthropic"];

/**
 * Shutdown timing (seconds), shared with the stack, which sizes each pod's terminationGracePeriodSeconds from them
 * (components/app/app-workload.ts): readiness fails and requests are still served for the drain, then in-flight
 * answers get the grace period.
 */
export const DEFAULT_SHUTDOWN_DRAIN_SECONDS = 5;
export const DEFAULT_SHUTDOWN_GRACE_SECONDS = 25;

export const FALLBACK_CHAINS = ["none", "mock", "hosted", "hosted,mock"] as const;
export type FallbackStep = "hosted" | "mock";

const listed = (values: readonly string[]) => values.map((v) => `"${v}"`).join(", ");

const wholeNumber = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: `expected a whole number from ${min} to ${max}` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `expected a whole number from ${min} to ${max}` })
    .default(fallback);

/** A decimal such as `0.3`, from min to max. */
const decimal = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, { message: `expected a number from ${min} to ${max}` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `expected a number from ${min} to ${max}` })
    .default(fallback);

const httpUrl = z.url({ protocol: /^https?$/, message: "expected an http(s) URL such as https://api.openai.com/v1" });
const flag = z.enum(["true", "false"], { error: 'expected "true" or "false"' }).default("false").transform((v) => v === "true");

const modelEndpoints = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "expected a JSON object of model name to base URL", input: text });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string().min(1), httpUrl, { error: "expected a JSON object of model name to base URL" }));

export const VALKEY_FAILURE_POLICIES = ["open", "closed"] as const;
export type ValkeyFailurePolicy = (typeof VALKEY_FAILURE_POLICIES)[number];
export const CACHE_MODES = ["off", "deterministic", "all"] as const;
export type CacheMode = (typeof CACHE_MODES)[number];

/** A client API key's name: it becomes a metric label and a bucket name, so it is short and plain. */
export const API_KEY_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** One client API key as the backend holds it: its SHA-256 (never the key) and its own quota. */
export interface ClientApiKey {
  name: string;
  /** Hex SHA-256 of the key. */
  sha256: string;
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

const clientApiKeyEntry = z.strictObject({
  name: z.string().regex(API_KEY_NAME, { message: "expected a name of lower-case letters, digits, '-' and '_'" }),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { message: "expected the key's SHA-256 in hex" }),
  requestsPerMinute: z.number().int().min(1).max(1_000_000).optional(),
  tokensPerMinute: z.number().int().min(1).max(1_000_000_000).optional(),
});

const clientApiKeys = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "expected a JSON list of {name, sha256, requestsPerMinute?, tokensPerMinute?}", input: text });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(clientApiKeyEntry, { error: "expected a JSON list of {name, sha256, requestsPerMinute?, tokensPerMinute?}" })
      .refine((keys) => new Set(keys.map((k) => k.name)).size === keys.length, { message: "expected each key name once" }),
  );

export const backendEnvSchema = z
  .object({
    LLM_PROVIDER: z.enum(PROVIDERS, { error: `expected one of ${listed(PROVIDERS)}` }),
    LLM_BASE_URL: httpUrl.optional(),
    LLM_MODEL: z.string().min(1, { message: "expected a model name" }).optional(),
    LLM_MODEL_ENDPOINTS: modelEndpoints.optional(),
    LLM_TIMEOUT_SECONDS: wholeNumber(1, 600, 30),
    LLM_FALLBACK: z.enum(FALLBACK_CHAINS, { error: `expected one of ${listed(FALLBACK_CHAINS)}` }).default("none"),
    FALLBACK_PROVIDER: z.enum(HOSTED_PROVIDERS, { error: `expected one of ${listed(HOSTED_PROVIDERS)}` }).optional(),
    FALLBACK_BASE_URL: httpUrl.optional(),
    FALLBACK_MODEL: z.string().min(1, { message: "expected a model name" }).optional(),
    LLM_API_KEY: z.string().min(1, { message: "expected a non-empty key" }).optional(),
    LLM_MAX_RETRIES: wholeNumber(0, 10, 2),
    LLM_RETRY_MAX_WAIT_SECONDS: wholeNumber(0, 300, 10),
    LLM_MAX_TOKENS: wholeNumber(1, 1_000_000, 1024),
    BREAKER_FAILURES: wholeNumber(1, 1000, 5),
    BREAKER_COOLDOWN_SECONDS: wholeNumber(1, 3600, 15),
    MAX_BODY_BYTES: wholeNumber(1024, 64 * 1024 * 1024, 1024 * 1024),
    MAX_MESSAGES: wholeNumber(1, 10_000, 100),
    MAX_MESSAGE_CHARS: wholeNumber(1, 10_000_000, 32_768),
    RATE_LIMIT_PER_MINUTE: wholeNumber(0, 1_000_000, 0),
    RATE_LIMIT_BURST: wholeNumber(1, 1_000_000, 10),
    RATE_LIMIT_TOKENS_PER_MINUTE: wholeNumber(0, 1_000_000_000, 0),
    TRUST_PROXY_HOPS: wholeNumber(0, 10, 0),
    VALKEY_URL: z.url({ protocol: /^rediss?$/, message: "expected a redis:// or rediss:// URL such as redis://valkey:6379" }).optional(),
    VALKEY_PASSWORD: z.string().min(1, { message: "expected a non-empty password" }).optional(),
    VALKEY_FAILURE_POLICY: z.enum(VALKEY_FAILURE_POLICIES, { error: `expected one of ${listed(VALKEY_FAILURE_POLICIES)}` }).default("open"),
    CLIENT_API_KEYS: clientApiKeys.optional(),
    FRONTEND_TOKEN: z.string().min(16, { message: "expected a token of at least 16 characters" }).optional(),
    CACHE_MODE: z.enum(CACHE_MODES, { error: `expected one of ${listed(CACHE_MODES)}` }).default("off"),
    CACHE_TTL_SECONDS: wholeNumber(1, 30 * 86_400, 3600),
    CACHE_MAX_ENTRIES: wholeNumber(1, 1_000_000, 1000),
    CACHE_MAX_ENTRY_BYTES: wholeNumber(1024, 16 * 1024 * 1024, 256 * 1024),
    LOG_PROMPTS: flag,
    MOCK_WORD_DELAY_MS: wholeNumber(0, 10_000, 15),
    SHUTDOWN_DRAIN_SECONDS: wholeNumber(0, 300, DEFAULT_SHUTDOWN_DRAIN_SECONDS),
    SHUTDOWN_GRACE_SECONDS: wholeNumber(0, 3600, DEFAULT_SHUTDOWN_GRACE_SECONDS),
    PORT: wholeNumber(0, 65535, 8080),
    HOST: z.string().min(1).default("0.0.0.0"),
    KNOWLEDGE_ENABLED: flag,
    KNOWLEDGE_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, message: "expected a postgres:// URL" }).optional(),
    KNOWLEDGE_DATABASE_POOL: wholeNumber(1, 100, 5),
    KNOWLEDGE_ADMIN_KEY: z.string().min(16, { message: "expected a key of at least 16 characters" }).optional(),
    KNOWLEDGE_TIMEOUT_MS: wholeNumber(10, 60_000, 2000),
    KNOWLEDGE_TOP_K: wholeNumber(1, 20, 4),
    KNOWLEDGE_MIN_SCORE: decimal(0, 1, 0.3),
    KNOWLEDGE_CHUNK_CHARS: wholeNumber(200, 20_000, 1200),
    KNOWLEDGE_CHUNK_OVERLAP: wholeNumber(0, 5000, 200),
    KNOWLEDGE_MAX_DOCUMENT_BYTES: wholeNumber(1024, 100 * 1024 * 1024, 10 * 1024 * 1024),
    EMBEDDINGS_BASE_URL: httpUrl.optional(),
    EMBEDDINGS_MODEL: z.string().min(1, { message: "expected a model name" }).optional(),
    EMBEDDINGS_DIMENSIONS: wholeNumber(16, 4000, 384),
    EMBEDDINGS_BATCH: wholeNumber(1, 2048, 64),
    SEMANTIC_CACHE_ENABLED: flag,
    SEMANTIC_CACHE_MAX_DISTANCE: decimal(0, 1, 0.05),
    SEMANTIC_CACHE_TTL_SECONDS: wholeNumber(1, 30 * 24 * 3600, 3600),
    FEATURE_FLAGS_FILE: z.string().regex(/^\/\S*$/, { message: "expected an absolute path such as /etc/ai-assistant/flags/flags.json" }).optional(),
  })
  .superRefine((env, ctx) => {
    const missing = (key: string, why: string) =>
      ctx.addIssue({ code: "custom", path: [key], message: `expected a value (${why})`, input: undefined });
    if (env.LLM_PROVIDER !== "mock") {
      if (!env.LLM_BASE_URL) missing("LLM_BASE_URL", `LLM_PROVIDER is ${env.LLM_PROVIDER}`);
      if (!env.LLM_MODEL) missing("LLM_MODEL", `LLM_PROVIDER is ${env.LLM_PROVIDER}`);
      if (KEYED_PROVIDERS.includes(env.LLM_PROVIDER) && !env.LLM_API_KEY) missing("LLM_API_KEY", `${env.LLM_PROVIDER} needs a key`);
    }
    if (env.KNOWLEDGE_ENABLED) {
      if (!env.KNOWLEDGE_DATABASE_URL) missing("KNOWLEDGE_DATABASE_URL", "KNOWLEDGE_ENABLED is true");
      if (!env.KNOWLEDGE_ADMIN_KEY) missing("KNOWLEDGE_ADMIN_KEY", "KNOWLEDGE_ENABLED is true");
      if (env.KNOWLEDGE_CHUNK_OVERLAP >= env.KNOWLEDGE_CHUNK_CHARS) {
        ctx.addIssue({ code: "custom", path: ["KNOWLEDGE_CHUNK_OVERLAP"], message: `expected less than KNOWLEDGE_CHUNK_CHARS (${env.KNOWLEDGE_CHUNK_CHARS})`, input: undefined });
      }
      if (env.LLM_PROVIDER !== "mock" && env.EMBEDDINGS_BASE_URL && !env.EMBEDDINGS_MODEL) missing("EMBEDDINGS_MODEL", "EMBEDDINGS_BASE_URL is set");
    }
    if (env.SEMANTIC_CACHE_ENABLED && !env.KNOWLEDGE_ENABLED) {
      ctx.addIssue({ code: "custom", path: ["SEMANTIC_CACHE_ENABLED"], message: "expected KNOWLEDGE_ENABLED to be true too (the cache lives in the knowledge database)", input: undefined });
    }
    if (env.LLM_FALLBACK.startsWith("hosted")) {
      const why = `LLM_FALLBACK is ${env.LLM_FALLBACK}`;
      if (!env.FALLBACK_PROVIDER) missing("FALLBACK_PROVIDER", why);
      if (!env.FALLBACK_BASE_URL) missing("FALLBACK_BASE_URL", why);
      if (!env.FALLBACK_MODEL) missing("FALLBACK_MODEL", why);
      if (env.FALLBACK_PROVIDER && KEYED_PROVIDERS.includes(env.FALLBACK_PROVIDER) && !env.LLM_API_KEY) {
        missing("LLM_API_KEY", `the fallback ${env.FALLBACK_PROVIDER} needs a key`);
      }
    }
  });

/** The environment as the stack writes it: every value a string, enums spelled out. */
export type BackendEnv = z.input<typeof backendEnvSchema>;
export type BackendEnvName = keyof BackendEnv;
type ParsedEnv = z.output<typeof backendEnvSchema>;

/** One upstream the backend can call. */
export interface UpstreamSettings {
  provider: ProviderName;
  /** Base URL; absent for mock. */
  baseUrl?: string;
  model: string;
}

/** What the backend runs with, derived from the environment. */
export interface BackendSettings {
  port: number;
  host: string;
  primary: UpstreamSettings;
  /** Every model the backend serves (first is the default), each with its upstream. */
  models: UpstreamSettings[];
  /** Tried in order when the upstream of a request fails. */
  fallbacks: UpstreamSettings[];
  apiKey?: string;
  timeoutMs: number;
  maxRetries: number;
  retryMaxWaitMs: number;
  maxTokens: number;
  breaker: { failures: number; cooldownMs: number };
  limits: { bodyBytes: number; messages: number; messageChars: number };
  /**
   * Requests per minute and bucket size per client (`perMinute: 0`: no request limit), and prompt + completion tokens
   * per minute (`tokensPerMinute: 0`: no token limit).
   */
  rateLimit: { perMinute: number; burst: number; tokensPerMinute: number; trustProxyHops: number };
  /** The shared Valkey; absent: limits and cache live in the process. */
  valkey?: { url: string; password?: string; failurePolicy: ValkeyFailurePolicy };
  /** Client API keys (hashed); empty: no keys, every client is anonymous as before. */
  clientApiKeys: ClientApiKey[];
  /** The frontend's shared token (keyless chat through the frontend when keys are on). */
  frontendToken?: string;
  cache: { mode: CacheMode; ttlSeconds: number; maxEntries: number; maxEntryBytes: number };
  logPrompts: boolean;
  mockWordDelayMs: number;
  /** After SIGTERM: failing readiness while still serving, before the listener closes. */
  shutdownDrainMs: number;
  /** After the drain: how long in-flight answers may finish. */
  shutdownGraceMs: number;
  /** Retrieval, ingestion and the semantic cache; absent when `KNOWLEDGE_ENABLED` is false. */
  knowledge?: KnowledgeSettings;
  /** The flagd flag file evaluated per request; absent: no flags, every feature as the settings above say. */
  featureFlagsFile?: string;
}

/** Where embeddings come from: `local` hashes words (mock phase, no keys); `openai` calls `/v1/embeddings`. */
export type EmbeddingsSettings =
  | { kind: "local"; model: string; dimensions: number; batch: number }
  | { kind: "openai"; baseUrl: string; model: string; dimensions: number; batch: number; apiKey?: string; sendDimensions: boolean };

export interface KnowledgeSettings {
  databaseUrl: string;
  poolSize: number;
  adminKey: string;
  /** Longest a chat question waits for retrieval (and the cache lookup) before it goes on without. */
  timeoutMs: number;
  topK: number;
  minScore: number;
  chunkChars: number;
  chunkOverlap: number;
  maxDocumentBytes: number;
  embeddings: EmbeddingsSettings;
  /** Absent when the semantic cache is off. */
  semanticCache?: { maxDistance: number; ttlMs: number };
}

/** The local embedder's model name (it is a hashing function, not a model). */
export const LOCAL_EMBEDDINGS_MODEL = "local-hash";

function embeddingsSettings(env: ParsedEnv): EmbeddingsSettings {
  const dimensions = env.EMBEDDINGS_DIMENSIONS;
  const batch = env.EMBEDDINGS_BATCH;
  const hostedKey = KEYED_PROVIDERS.includes(env.LLM_PROVIDER) ? env.LLM_API_KEY : undefined;
  if (env.EMBEDDINGS_BASE_URL) {
    // The provider's key goes to the provider's own host only, never to another embeddings server.
    const sameHost = env.LLM_BASE_URL !== undefined && new URL(env.EMBEDDINGS_BASE_URL).origin === new URL(env.LLM_BASE_URL).origin;
    return { kind: "openai", baseUrl: env.EMBEDDINGS_BASE_URL, model: env.EMBEDDINGS_MODEL ?? LOCAL_EMBEDDINGS_MODEL, dimensions, batch, apiKey: sameHost ? hostedKey : undefined, sendDimensions: sameHost && env.LLM_PROVIDER === "openai" };
  }
  // The phase's own provider: OpenAI-style APIs serve /v1/embeddings beside chat; Ollama serves it under /v1 of its root.
  // Anthropic has no embeddings API, so it (like mock) gets the local embedder unless EMBEDDINGS_BASE_URL names one.
  if (env.LLM_PROVIDER === "mock" || env.LLM_PROVIDER === "anthropic" || !env.LLM_BASE_URL || !env.EMBEDDINGS_MODEL) {
    return { kind: "local", model: LOCAL_EMBEDDINGS_MODEL, dimensions, batch };
  }
  const baseUrl = env.LLM_PROVIDER === "ollama" ? `${env.LLM_BASE_URL.replace(/\/+$/, "")}/v1` : env.LLM_BASE_URL;
  return { kind: "openai", baseUrl, model: env.EMBEDDINGS_MODEL, dimensions, batch, apiKey: hostedKey, sendDimensions: env.LLM_PROVIDER === "openai" };
}

function knowledgeSettings(env: ParsedEnv): KnowledgeSettings | undefined {
  if (!env.KNOWLEDGE_ENABLED) return undefined;
  return {
    databaseUrl: env.KNOWLEDGE_DATABASE_URL!,
    poolSize: env.KNOWLEDGE_DATABASE_POOL,
    adminKey: env.KNOWLEDGE_ADMIN_KEY!,
    timeoutMs: env.KNOWLEDGE_TIMEOUT_MS,
    topK: env.KNOWLEDGE_TOP_K,
    minScore: env.KNOWLEDGE_MIN_SCORE,
    chunkChars: env.KNOWLEDGE_CHUNK_CHARS,
    chunkOverlap: env.KNOWLEDGE_CHUNK_OVERLAP,
    maxDocumentBytes: env.KNOWLEDGE_MAX_DOCUMENT_BYTES,
    embeddings: embeddingsSettings(env),
    semanticCache: env.SEMANTIC_CACHE_ENABLED ? { maxDistance: env.SEMANTIC_CACHE_MAX_DISTANCE, ttlMs: env.SEMANTIC_CACHE_TTL_SECONDS * 1000 } : undefined,
  };
}

export const MOCK_MODEL = "mock";

function toSettings(env: ParsedEnv): BackendSettings {
  const model = env.LLM_MODEL ?? MOCK_MODEL;
  const primary: UpstreamSettings = { provider: env.LLM_PROVIDER, baseUrl: env.LLM_BASE_URL, model };
  const endpoints = env.LLM_MODEL_ENDPOINTS ?? { [model]: env.LLM_BASE_URL };
  const models = Object.entries(endpoints).map(([name, baseUrl]): UpstreamSettings => ({ provider: env.LLM_PROVIDER, baseUrl, model: name }));
  if (!models.some((m) => m.model === model)) models.unshift(primary);
  else models.sort((a, b) => Number(b.model === model) - Number(a.model === model));
  const fallbacks: UpstreamSettings[] = [];
  for (const step of env.LLM_FALLBACK === "none" ? [] : (env.LLM_FALLBACK.split(",") as FallbackStep[])) {
    if (step === "mock") fallbacks.push({ provider: "mock", model: MOCK_MODEL });
    else fallbacks.push({ provider: env.FALLBACK_PROVIDER!, baseUrl: env.FALLBACK_BASE_URL, model: env.FALLBACK_MODEL! });
  }
  return {
    port: env.PORT,
    host: env.HOST,
    primary,
    models,
    fallbacks,
    apiKey: env.LLM_API_KEY,
    timeoutMs: env.LLM_TIMEOUT_SECONDS * 1000,
    maxRetries: env.LLM_MAX_RETRIES,
    retryMaxWaitMs: env.LLM_RETRY_MAX_WAIT_SECONDS * 1000,
    maxTokens: env.LLM_MAX_TOKENS,
    breaker: { failures: env.BREAKER_FAILURES, cooldownMs: env.BREAKER_COOLDOWN_SECONDS * 1000 },
    limits: { bodyBytes: env.MAX_BODY_BYTES, messages: env.MAX_MESSAGES, messageChars: env.MAX_MESSAGE_CHARS },
    rateLimit: { perMinute: env.RATE_LIMIT_PER_MINUTE, burst: env.RATE_LIMIT_BURST, tokensPerMinute: env.RATE_LIMIT_TOKENS_PER_MINUTE, trustProxyHops: env.TRUST_PROXY_HOPS },
    valkey: env.VALKEY_URL ? { url: env.VALKEY_URL, password: env.VALKEY_PASSWORD, failurePolicy: env.VALKEY_FAILURE_POLICY } : undefined,
    clientApiKeys: env.CLIENT_API_KEYS ?? [],
    frontendToken: env.FRONTEND_TOKEN,
    cache: { mode: env.CACHE_MODE, ttlSeconds: env.CACHE_TTL_SECONDS, maxEntries: env.CACHE_MAX_ENTRIES, maxEntryBytes: env.CACHE_MAX_ENTRY_BYTES },
    logPrompts: env.LOG_PROMPTS,
    mockWordDelayMs: env.MOCK_WORD_DELAY_MS,
    shutdownDrainMs: env.SHUTDOWN_DRAIN_SECONDS * 1000,
    shutdownGraceMs: env.SHUTDOWN_GRACE_SECONDS * 1000,
    knowledge: knowledgeSettings(env),
    featureFlagsFile: env.FEATURE_FLAGS_FILE,
  };
}

/** Variables whose values are secret (the database URL carries the password): a message about them never shows the value. */
const HIDDEN_VALUES = new Set(["LLM_API_KEY", "VALKEY_PASSWORD", "CLIENT_API_KEYS", "FRONTEND_TOKEN", "VALKEY_URL", "KNOWLEDGE_ADMIN_KEY", "KNOWLEDGE_DATABASE_URL"]);
/**
 * A text with every URL's userinfo (`user:password@`) and query string (`?key=…`) replaced, for messages and logs:
 * a base URL may carry credentials (an OpenAI-compatible server behind basic auth, a key as a query parameter).
 */
export function withoutUrlSecrets(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"']*@/gi, "$1[redacted]@")
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s?#"']*)\?[^\s#"']*/gi, "$1?[redacted]");
}

/** A bad environment, described in one line (the key's value is never echoed). */
export class BackendEnvError extends Error {
  override name = "BackendEnvError";
}

function describe(issue: z.core.$ZodIssue, env: Record<string, string | undefined>): string {
  const key = String(issue.path[0] ?? "environment");
  const raw = env[key];
  const shown = raw === undefined ? "" : withoutUrlSecrets(raw);
  const found = raw === undefined ? "not set" : HIDDEN_VALUES.has(key) ? "a value (hidden)" : JSON.stringify(shown.length > 60 ? `${shown.slice(0, 57)}...` : shown);
  const expected = issue.message.replace(/^Invalid input: /, "").replace(/^expected /, "");
  return `${key}: expected ${expected}, found ${found}`;
}

/**
 * Parses an environment (only the contract's variables are read; empty strings count as unset). Throws a
 * {@link BackendEnvError} whose message is one line listing every problem.
 */
export function parseBackendEnv(env: Record<string, string | undefined>): BackendSettings {
  const input: Record<string, string> = {};
  for (const key of Object.keys(backendEnvSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== "") input[key] = value;
  }
  const result = backendEnvSchema.safeParse(input);
  if (!result.success) {
    throw new BackendEnvError(`invalid backend settings: ${result.error.issues.map((i) => describe(i, input)).join("; ")}`);
  }
  return toSettings(result.data);
}
