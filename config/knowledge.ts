/**
 * The knowledge base (docs/knowledge.md): Postgres with pgvector, run by the CloudNativePG operator, that the backend
 * grounds answers in. Off by default; the committed prod stack turns it on. Its admin key is the secret
 * `knowledgeAdminKey`; the database's own credentials are made by the operator and never appear in config.
 */
import { z } from "zod";
import { byteQuantity, imageReference, positiveInt, resourcesSchema } from "./primitives";

/**
 * The cloudnative-pg chart and the operator it installs.
 * verified: cloudnative-pg/charts gh-pages index.yaml (entry cloudnative-pg 0.29.0, appVersion 1.30.0, created
 * 2026-06-29) and charts/cloudnative-pg/Chart.yaml at tag cloudnative-pg-v0.29.0.
 */
export const CNPG_CHART_VERSION = "0.29.0";
export const CNPG_OPERATOR_VERSION = "1.30.0";

/**
 * PostgreSQL 17.11, CloudNativePG's `standard` image (the `minimal` image plus pgvector, PGAudit and failover
 * slots; cloudnative-pg/postgres-containers README.md "Standard Images" at a949ae58), by the digest CloudNativePG's
 * own catalog publishes: cloudnative-pg/artifacts image-catalogs/catalog-standard-trixie.yaml at da87904
 * (2026-08-22, `images.cnpg.io/date: 20260817`).
 */
export const DEFAULT_POSTGRES_IMAGE = {
  repository: "ghcr.io/cloudnative-pg/postgresql",
  tag: "17.11-202608170816-standard-trixie",
  digest: "sha256:91e0de662d53895a45f1396f4ee1a75daeb0c26fc87853afc9c8f43e01fdaa21",
};

/**
 * pgvector indexes vectors of up to 2,000 dimensions with HNSW (pgvector README, "HNSW": "Vectors with up to 2,000
 * dimensions can be indexed"), and the backend builds an HNSW index on its vector column.
 */
export const MAX_INDEXED_DIMENSIONS = 2000;

const POSTGRES_RESOURCES = { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } };

export const knowledgeSchema = z
  .strictObject({
    /** Deploy the database and ground the backend's answers in it (the admin API too). */
    enabled: z.boolean({ error: "expected true or false" }).default(false),
    /** Embeddings: the backend's EMBEDDINGS_* settings (docs/knowledge.md, "Embeddings"). */
    embeddings: z
      .strictObject({
        /** Embedding model of the phase's provider; absent: the local hashing embedder (no calls, no key). */
        model: z.string().min(1, { message: "expected a model name" }).optional(),
        /** Vector size: the column's size. Changing it (or the model) means re-adding every document. */
        dimensions: positiveInt.min(16, { message: "expected at least 16" }).max(4000, { message: "expected at most 4000" }).default(384),
        /** Another OpenAI-compatible embeddings server (`…/v1`); the provider's key is sent only to the provider's own host. */
        baseUrl: z.url({ protocol: /^https?$/, message: "expected an http(s) URL" }).optional(),
      })
      .prefault({}),
    /** The CloudNativePG operator (cluster-wide: false when the cluster runs one already). */
    operator: z
      .strictObject({
        install: z.boolean({ error: "expected true or false" }).default(true),
        chartVersion: z.string().regex(/^\d+\.\d+\.\d+$/, { message: "expected an exact chart version such as 1.2.3" }).default(CNPG_CHART_VERSION),
      })
      .prefault({}),
    /** Postgres instances: one primary, the rest streaming replicas. Default: 3 in production, 1 otherwise. */
    instances: positiveInt.min(1, { message: "expected at least 1" }).max(9, { message: "expected at most 9" }).optional(),
    /** A PostgreSQL image with pgvector (CloudNativePG's `standard` images have it). */
    image: imageReference.default(DEFAULT_POSTGRES_IMAGE),
    storage: z
      .strictObject({
        /** Each instance's volume (data and WAL). */
        size: byteQuantity.default("10Gi"),
        /** StorageClass of the volumes; the cluster's default when absent (on eks the stack's gp3 class). */
        storageClass: z.string().min(1, { message: "expected a StorageClass name" }).optional(),
      })
      .prefault({}),
    resources: resourcesSchema(POSTGRES_RESOURCES),
  })
  .prefault({});

export type KnowledgeConfig = z.output<typeof knowledgeSchema>;

/** Instances the stack runs: the setting, or 3 in production (a primary and two replicas across zones) and 1 otherwise. */
export function knowledgeInstances(knowledge: Pick<KnowledgeConfig, "instances">, production: boolean): number {
  return knowledge.instances ?? (production ? 3 : 1);
}

/** Rules of the section that need the rest of the stack. */
export function knowledgeRules(config: { knowledge?: Partial<KnowledgeConfig>; production?: boolean }, ctx: z.RefinementCtx): void {
  const knowledge = config.knowledge;
  if (!knowledge?.enabled) return;
  const dimensions = knowledge.embeddings?.dimensions;
  if (typeof dimensions === "number" && dimensions > MAX_INDEXED_DIMENSIONS) {
    ctx.addIssue({
      code: "custom",
      path: ["knowledge", "embeddings", "dimensions"],
      message: `expected at most ${MAX_INDEXED_DIMENSIONS}: pgvector's HNSW index, which every question's lookup uses, takes vectors of up to ${MAX_INDEXED_DIMENSIONS} dimensions (text-embedding-3-large can be shortened to 1536 or fewer)`,
      input: dimensions,
    });
  }
  if (config.production === true && knowledge.instances === 1) {
    ctx.addIssue({
      code: "custom",
      path: ["knowledge", "instances"],
      message: "expected at least 2 instances in a production stack: with one, a node or zone failure stops ingestion and grounding until the pod comes back, and there is no replica to fail over to",
      input: 1,
    });
  }
}
