/**
 * The knowledge part of the backend's environment contract (lib/backend-env.ts): each rule with a passing and a
 * failing case, where embeddings come from for each provider, and secrets never echoed. Plus the local embedder's
 * promises: deterministic, unit length, closer for shared words.
 */
import { BackendEnvError, parseBackendEnv } from "../../../../lib/backend-env";
import { LocalEmbedder } from "../../../../services/backend/src/knowledge/embedder";

const DB = "postgres://app:s3cret-password@db.internal:5432/app";
const KEY = "admin-key-0123456789abcdef";
const ON = { LLM_PROVIDER: "mock", KNOWLEDGE_ENABLED: "true", KNOWLEDGE_DATABASE_URL: DB, KNOWLEDGE_ADMIN_KEY: KEY };
const refusal = (env: Record<string, string>) => {
  try {
    parseBackendEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(BackendEnvError);
    return (error as Error).message;
  }
  throw new Error("accepted");
};

describe("given the knowledge settings", () => {
  it("when knowledge is off (the default), then there are no knowledge settings and none is required", () => {
    expect(parseBackendEnv({ LLM_PROVIDER: "mock" }).knowledge).toBeUndefined();
  });

  it("when it is on with a database and a key, then the defaults apply and the mock phase embeds locally", () => {
    expect(parseBackendEnv(ON).knowledge).toEqual({
      databaseUrl: DB,
      poolSize: 5,
      adminKey: KEY,
      timeoutMs: 2000,
      topK: 4,
      minScore: 0.3,
      chunkChars: 1200,
      chunkOverlap: 200,
      maxDocumentBytes: 10 * 1024 * 1024,
      embeddings: { kind: "local", model: "local-hash", dimensions: 384, batch: 64 },
      semanticCache: undefined,
    });
  });

  it.each([
    ["no database URL", { KNOWLEDGE_DATABASE_URL: "" }, /KNOWLEDGE_DATABASE_URL: expected a value \(KNOWLEDGE_ENABLED is true\), found not set/],
    ["no admin key", { KNOWLEDGE_ADMIN_KEY: "" }, /KNOWLEDGE_ADMIN_KEY: expected a value/],
    ["a short admin key", { KNOWLEDGE_ADMIN_KEY: "short" }, /KNOWLEDGE_ADMIN_KEY: expected a key of at least 16 characters, found a value \(hidden\)/],
    ["a database URL that is not postgres://", { KNOWLEDGE_DATABASE_URL: "mysql://u:pw@h/db" }, /KNOWLEDGE_DATABASE_URL: expected a postgres:\/\/ URL, found a value \(hidden\)/],
    ["an overlap as long as a passage", { KNOWLEDGE_CHUNK_CHARS: "500", KNOWLEDGE_CHUNK_OVERLAP: "500" }, /KNOWLEDGE_CHUNK_OVERLAP: expected less than KNOWLEDGE_CHUNK_CHARS \(500\)/],
    ["a minimum score above 1", { KNOWLEDGE_MIN_SCORE: "1.5" }, /KNOWLEDGE_MIN_SCORE: expected a number from 0 to 1, found "1.5"/],
    ["a top-k of 0", { KNOWLEDGE_TOP_K: "0" }, /KNOWLEDGE_TOP_K: expected a whole number from 1 to 20/],
  ])("when it has %s, then it is refused with one line naming the variable, never echoing a secret", (_, change, message) => {
    const text = refusal({ ...ON, ...change });
    expect(text).toMatch(message);
    expect(text).not.toContain("s3cret-password");
    expect(text).not.toContain("short");
  });

  it("when the semantic cache is on, then it needs knowledge on, and takes its distance and TTL", () => {
    expect(refusal({ LLM_PROVIDER: "mock", SEMANTIC_CACHE_ENABLED: "true" })).toMatch(/SEMANTIC_CACHE_ENABLED: expected KNOWLEDGE_ENABLED to be true too/);
    expect(parseBackendEnv({ ...ON, SEMANTIC_CACHE_ENABLED: "true", SEMANTIC_CACHE_MAX_DISTANCE: "0.1", SEMANTIC_CACHE_TTL_SECONDS: "60" }).knowledge!.semanticCache).toEqual({ maxDistance: 0.1, ttlMs: 60_000 });
  });

  it.each([
    ["openai", { LLM_PROVIDER: "openai", LLM_BASE_URL: "https://api.openai.com/v1", LLM_MODEL: "gpt-4o-mini", LLM_API_KEY: "sk-x", EMBEDDINGS_MODEL: "text-embedding-3-small" }, { kind: "openai", baseUrl: "https://api.openai.com/v1", apiKey: "sk-x", sendDimensions: true }],
    ["ollama (its /v1 under the API root)", { LLM_PROVIDER: "ollama", LLM_BASE_URL: "http://ollama:11434/", LLM_MODEL: "llama3.2:3b", EMBEDDINGS_MODEL: "nomic-embed-text" }, { kind: "openai", baseUrl: "http://ollama:11434/v1", apiKey: undefined, sendDimensions: false }],
    ["vllm with its own embeddings server", { LLM_PROVIDER: "vllm", LLM_BASE_URL: "http://vllm:8000/v1", LLM_MODEL: "qwen", EMBEDDINGS_BASE_URL: "http://embed:8000/v1", EMBEDDINGS_MODEL: "bge" }, { kind: "openai", baseUrl: "http://embed:8000/v1", apiKey: undefined }],
    ["openai with an embeddings server elsewhere (the key stays with OpenAI)", { LLM_PROVIDER: "openai", LLM_BASE_URL: "https://api.openai.com/v1", LLM_MODEL: "gpt-4o-mini", LLM_API_KEY: "sk-x", EMBEDDINGS_BASE_URL: "http://embed.internal/v1", EMBEDDINGS_MODEL: "bge" }, { kind: "openai", baseUrl: "http://embed.internal/v1", apiKey: undefined, sendDimensions: false }],
    ["anthropic (no embeddings API)", { LLM_PROVIDER: "anthropic", LLM_BASE_URL: "https://api.anthropic.com/v1", LLM_MODEL: "claude", LLM_API_KEY: "k", EMBEDDINGS_MODEL: "x" }, { kind: "local" }],
    ["openai without an embeddings model", { LLM_PROVIDER: "openai", LLM_BASE_URL: "https://api.openai.com/v1", LLM_MODEL: "gpt-4o-mini", LLM_API_KEY: "sk-x" }, { kind: "local" }],
  ])("when the provider is %s, then embeddings come from the expected place", (_, env, expected) => {
    expect(parseBackendEnv({ ...ON, ...env }).knowledge!.embeddings).toMatchObject(expected);
  });

  it("when a non-mock provider names an embeddings server, then it needs a model too", () => {
    const env = { ...ON, LLM_PROVIDER: "vllm", LLM_BASE_URL: "http://vllm:8000/v1", LLM_MODEL: "qwen", EMBEDDINGS_BASE_URL: "http://embed:8000/v1" };
    expect(refusal(env)).toMatch(/EMBEDDINGS_MODEL: expected a value \(EMBEDDINGS_BASE_URL is set\)/);
  });
});

describe("given the local embedder", () => {
  const embedder = new LocalEmbedder("local-hash", 256);
  const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * b[i], 0);

  it("when a text is embedded twice, then the vectors are equal, of the configured size and of unit length", async () => {
    const [a, b] = await embedder.embed(["Backups go to S3 every night", "Backups go to S3 every night"]);
    expect(a).toEqual(b);
    expect(a).toHaveLength(256);
    expect(Math.hypot(...a)).toBeCloseTo(1, 10);
  });

  it("when texts share words (in any case, with accents or plural endings), then they are closer than unrelated texts", () => {
    const question = embedder.embedOne("How are the database BACKUPS made?");
    const related = embedder.embedOne("The database backup runs nightly.");
    const unrelated = embedder.embedOne("Vacation days carry over until March.");
    expect(cosine(question, related)).toBeGreaterThan(0.3);
    expect(cosine(question, unrelated)).toBeLessThan(0.1);
    expect(cosine(embedder.embedOne("café résumé"), embedder.embedOne("cafe resume"))).toBeCloseTo(1, 10);
  });

  it("when a text has no words, then its vector is all zeros (nothing is close to it)", () => {
    expect(embedder.embedOne("?? !!").every((x) => x === 0)).toBe(true);
  });
});
