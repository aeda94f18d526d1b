/** knowledge and the secret knowledgeAdminKey: accepted, defaulted, refused (config/knowledge.ts, config/schema.ts). */
import { serviceSettings } from "../../components/app/llm-settings";
import { toStackConfig } from "../../config/load";
import { DEFAULT_POSTGRES_BACKUP_IMAGE, DEFAULT_POSTGRES_IMAGE, knowledgeBackupEnabled, knowledgeImage, knowledgeInstances } from "../../config/knowledge";
import { parse, problemsWith, VALID } from "../support/config";

const ADMIN_KEY = "knowledge-admin-key-0123456789";

describe("knowledge", () => {
  it("is off by default; on, it runs CloudNativePG's standard image (pgvector) pinned by digest, 10Gi per instance, the local embedder's 384 dimensions", () => {
    expect(parse(VALID).knowledge.enabled).toBe(false);
    const { knowledge } = parse({ ...VALID, knowledge: { enabled: true }, knowledgeAdminKey: ADMIN_KEY });
    expect(knowledge).toMatchObject({ enabled: true, storage: { size: "10Gi" }, embeddings: { dimensions: 384 }, operator: { install: true, chartVersion: "0.29.0" } });
    expect(knowledgeImage(knowledge, false)).toEqual(DEFAULT_POSTGRES_IMAGE);
    expect(DEFAULT_POSTGRES_IMAGE.tag).toMatch(/-standard-/);
    // With backups the system image of the same build: Barman Cloud on top of the standard image.
    expect(knowledgeImage(knowledge, true)).toEqual(DEFAULT_POSTGRES_BACKUP_IMAGE);
    expect(DEFAULT_POSTGRES_BACKUP_IMAGE.tag).toBe(DEFAULT_POSTGRES_IMAGE.tag.replace("-standard-", "-system-"));
    expect(knowledge.backup).toEqual({ schedule: "0 0 3 * * *", retentionDays: 30, maxAgeHours: 26, serverName: "knowledge-db" });
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

  it("backs up by default in a production stack on eks only", () => {
    const backup = { backup: { schedule: "0 0 3 * * *", retentionDays: 30, maxAgeHours: 26, serverName: "knowledge-db" } };
    expect(knowledgeBackupEnabled(backup, true, true)).toBe(true);
    expect(knowledgeBackupEnabled(backup, true, false)).toBe(false);
    expect(knowledgeBackupEnabled(backup, false, true)).toBe(false);
    expect(knowledgeBackupEnabled({ backup: { ...backup.backup, enabled: false } }, true, true)).toBe(false);
  });

  it.each([
    [{ backup: { enabled: true } }, "ai-assistant:knowledge.backup.enabled: expected false on an existing cluster: the stack creates the backups' S3 bucket"],
    [{ backup: { schedule: "0 3 * * *" } }, 'ai-assistant:knowledge.backup.schedule: expected a six-field cron expression, seconds first, such as "0 0 3 * * *"'],
    [{ backup: { retentionDays: 0 } }, "ai-assistant:knowledge.backup.retentionDays: expected at least 1 day"],
    [{ restore: { from: "yesterday" } }, "ai-assistant:knowledge.restore.from: expected latest, a point in time such as 2026-11-30T14:00:00Z, or a backup ID such as 20261130T030000"],
    [{ restore: { from: "latest", serverName: "old-db" } }, "ai-assistant:knowledge.restore: expected knowledge.backup on (the default in a production stack on eks)"],
  ])("refuses %j on an existing cluster", (knowledge, line) => {
    expect(problemsWith({ ...VALID, knowledge: { enabled: true, ...knowledge }, knowledgeAdminKey: ADMIN_KEY })).toContain(line);
  });

  it("refuses a restore that would archive into the folder it restores from, and accepts one that writes to a new folder", () => {
    const eks = { ...VALID, cluster: { type: "eks" }, knowledgeAdminKey: ADMIN_KEY };
    const restore = (serverName?: string) => ({ ...eks, knowledge: { enabled: true, backup: { enabled: true, ...(serverName && { serverName }) }, restore: { from: "2026-11-30T14:00:00Z" } } });
    expect(problemsWith(restore())).toContain(
      "ai-assistant:knowledge.backup.serverName: expected a folder other than the one restored from (knowledge.restore.serverName knowledge-db): the restored cluster would archive into the backups it is made from",
    );
    let message = "";
    try {
      parse(restore("knowledge-db-2"));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toContain("knowledge.");
  });
});
