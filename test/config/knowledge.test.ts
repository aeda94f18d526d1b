/** knowledge and the secret knowledgeAdminKey: accepted, defaulted, refused (config/knowledge.ts, config/schema.ts). */
import { serviceSettings } from "../../components/app/llm-settings";
import { toStackConfig } from "../../config/load";
import { DEFAULT_POSTGRES_IMAGE, knowledgeInstances } from "../../config/knowledge";
import { parse, problemsWith, VALID } from "../support/config";

const ADMIN_KEY = "knowledge-admin-key-0123456789";

describe("knowledge", () => {
  it("is off by default; on, it runs CloudNativePG's standard image (pgvector) pinned by digest, 10Gi per instance, the local embedder's 384 dimensions", () => {
    expect(parse(VALID).knowledge.enabled).toBe(false);
    const { knowledge } = parse({ ...VALID, knowledge: { enabled: true }, knowledgeAdminKey: ADMIN_KEY });
    expect(knowledge).toMatchObject({ enabled: true, storage: { size: "10Gi" }, embeddings: { dimensions: 384 }, operator: { install: true, chartVersion: "0.29.0" } });
    expect(knowledge.image).toEqual(DEFAULT_POSTGRES_IMAGE);
    expect(DEFAULT_POSTGRES_IMAGE.tag).toMatch(/-standard-/);
    expect(DEFAULT_POSTGRES_IMAGE.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("runs 3 instances in production and 1 otherwise, unless told", () => {
    expect(knowledgeInstances({}, true)).toBe(3);
    expect(knowledgeInstances({}, false)).toBe(1);
    expect(knowledgeInstances({ instances: 2 }, true)).toBe(2);
  });

  it("needs its admin key once enabled, and says how to set it", () => {
    expect(problemsWith({ ...VALID, knowledge: { enabled: true } }, "prod")).toContain(
      "ai-assistant:knowledgeAdminKey: expected a secret (the knowledge base's admin API key, because knowledge.enabled is true); set it with `pulumi config set --secret ai-assistant:knowledgeAdminKey <value> --stack prod`",
    );
  });

  it("refuses an admin key the backend would refuse, without showing it", () => {
    const problems = problemsWith({ ...VALID, knowledge: { enabled: true }, knowledgeAdminKey: "short-key" });
    expect(problems).toContain("ai-assistant:knowledgeAdminKey: expected a key of at least 16 characters (e.g. `openssl rand -hex 24`)");
    expect(problems).not.toContain("short-key");
  });

  it.each([
    [{ embeddings: { dimensions: 3072 } }, "ai-assistant:knowledge.embeddings.dimensions: expected at most 2000: pgvector's HNSW index"],
    [{ embeddings: { dimensions: 8 } }, "ai-assistant:knowledge.embeddings.dimensions: expected at least 16"],
    [{ embeddings: { baseUrl: "ftp://example.com" } }, "ai-assistant:knowledge.embeddings.baseUrl: expected an http(s) URL"],
    [{ instances: 0 }, "ai-assistant:knowledge.instances: expected at least 1"],
    [{ instances: 12 }, "ai-assistant:knowledge.instances: expected at most 9"],
    [{ storage: { size: "lots" } }, "ai-assistant:knowledge.storage.size: expected a Kubernetes memory quantity"],
    [{ operator: { chartVersion: "0.29" } }, "ai-assistant:knowledge.operator.chartVersion: expected an exact chart version"],
    [{ replicas: 3 }, "ai-assistant:knowledge"],
  ])("refuses %j", (knowledge, line) => {
    expect(problemsWith({ ...VALID, knowledge: { enabled: true, ...knowledge }, knowledgeAdminKey: ADMIN_KEY })).toContain(line);
  });

  it("refuses a single instance in production, and accepts two", () => {
    const prod = { ...VALID, production: true, knowledgeAdminKey: ADMIN_KEY };
    expect(problemsWith({ ...prod, knowledge: { enabled: true, instances: 1 } })).toContain("ai-assistant:knowledge.instances: expected at least 2 instances in a production stack");
    let message = "";
    try {
      parse({ ...prod, knowledge: { enabled: true, instances: 2 } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toContain("knowledge.instances");
  });

  it("gives the backend KNOWLEDGE_ENABLED and the embedding settings, and never the URL or the key", () => {
    const config = toStackConfig(parse({ ...VALID, knowledge: { enabled: true, embeddings: { model: "text-embedding-3-small", dimensions: 1536 } }, knowledgeAdminKey: ADMIN_KEY }), "test");
    const settings = serviceSettings(config);
    expect(settings).toMatchObject({ KNOWLEDGE_ENABLED: "true", EMBEDDINGS_MODEL: "text-embedding-3-small", EMBEDDINGS_DIMENSIONS: "1536" });
    expect(settings).not.toHaveProperty("KNOWLEDGE_DATABASE_URL");
    expect(settings).not.toHaveProperty("KNOWLEDGE_ADMIN_KEY");
    expect(JSON.stringify(settings)).not.toContain(ADMIN_KEY);
    expect(serviceSettings(toStackConfig(parse(VALID), "test"))).not.toHaveProperty("KNOWLEDGE_ENABLED");
  });
});
