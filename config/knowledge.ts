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
/**
 * The same PostgreSQL 17.11 build as a `system` image: the `standard` image plus Barman Cloud, which the in-tree
 * `barmanObjectStore` backups run (postgres-containers README.md: system images are built on the standard ones
 * since September 2025, so pgvector is there too). Digest from cloudnative-pg/artifacts
 * image-catalogs/catalog-system-trixie.yaml at da87904 (2026-08-22). Used when backups are on and `image` is not set.
 */
export const DEFAULT_POSTGRES_BACKUP_IMAGE = {
  repository: "ghcr.io/cloudnative-pg/postgresql",
  tag: "17.11-202608170816-system-trixie",
  digest: "sha256:ecaa395084a5f8831fd2655dbffc98b554473526265f53113ec969de6fc15848",
};

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

/** Barman Cloud's backup IDs: the start time, `YYYYMMDDTHHMMSS`. */
const BACKUP_ID = /^\d{8}T\d{6}$/;

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
    /** A PostgreSQL image with pgvector; default: CloudNativePG's `standard` image, or its `system` image with backups (Barman Cloud). */
    image: imageReference.optional(),
    storage: z
      .strictObject({
        /** Each instance's volume (data and WAL). */
        size: byteQuantity.default("10Gi"),
        /** StorageClass of the volumes; the cluster's default when absent (on eks the stack's gp3 class). */
        storageClass: z.string().min(1, { message: "expected a StorageClass name" }).optional(),
      })
      .prefault({}),
    resources: resourcesSchema(POSTGRES_RESOURCES),
    /** Continuous WAL archiving and scheduled base backups to an S3 bucket the stack creates (eks). */
    backup: z
      .strictObject({
        /** Default: on in a production stack on eks. */
        enabled: z.boolean({ error: "expected true or false" }).optional(),
        /**
         * When base backups run: CloudNativePG's six-field cron, seconds first (ScheduledBackup `schedule`, the
         * robfig/cron format): `0 0 3 * * *` is 03:00 every day.
         */
        schedule: z.string().regex(/^\S+( \S+){5}$/, { message: "expected a six-field cron expression, seconds first, such as \"0 0 3 * * *\"" }).default("0 0 3 * * *"),
        /** Backups and WAL older than this are deleted (Barman's recovery window, and the bucket's lifecycle a week later). */
        retentionDays: positiveInt.min(1, { message: "expected at least 1 day" }).max(3650, { message: "expected at most 3650 days" }).default(30),
        /** The newest backup may be this old before `KnowledgeBackupTooOld` fires: the schedule's interval and some slack. */
        maxAgeHours: positiveInt.min(1, { message: "expected at least 1 hour" }).max(24 * 60, { message: "expected at most 1440 hours" }).default(26),
        /** The folder this Cluster archives into; a cluster restored from another folder must write to a new one. */
        serverName: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: "expected lower-case letters, digits and '-'" }).default("knowledge-db"),
      })
      .prefault({}),
    /**
     * Bootstrap the Cluster from the backups instead of an empty database (docs/knowledge.md, "Restore"). Read only
     * when the Cluster is created: delete the old one first.
     */
    restore: z
      .strictObject({
        /** `latest` (every archived write), a point in time (RFC 3339, e.g. 2026-11-30T14:00:00Z), or a base backup's ID (20261130T030000). */
        from: z.union([z.literal("latest"), z.iso.datetime({ offset: true }), z.string().regex(BACKUP_ID)], {
          error: "expected latest, a point in time such as 2026-11-30T14:00:00Z, or a backup ID such as 20261130T030000",
        }),
        /** The folder (`backup.serverName` of the cluster that wrote them) the backups are in. */
        serverName: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: "expected lower-case letters, digits and '-'" }).default("knowledge-db"),
      })
      .optional(),
  })
  .prefault({});


export type KnowledgeConfig = z.output<typeof knowledgeSchema>;

/** Instances the stack runs: the setting, or 3 in production (a primary and two replicas across zones) and 1 otherwise. */
export function knowledgeInstances(knowledge: Pick<KnowledgeConfig, "instances">, production: boolean): number {
  return knowledge.instances ?? (production ? 3 : 1);
}

/** Backups on: as the setting says, else in a production stack on eks (the bucket needs AWS). */
export function knowledgeBackupEnabled(knowledge: Pick<KnowledgeConfig, "backup">, production: boolean, eks: boolean): boolean {
  return knowledge.backup.enabled ?? (production && eks);
}

/** The image the Cluster runs: the setting, else the standard image, or the system image (with Barman Cloud) when it backs up. */
export function knowledgeImage(knowledge: Pick<KnowledgeConfig, "image">, backups: boolean) {
  return knowledge.image ?? (backups ? DEFAULT_POSTGRES_BACKUP_IMAGE : DEFAULT_POSTGRES_IMAGE);
}

/** Rules of the section that need the rest of the stack. */
export function knowledgeRules(config: { knowledge?: Partial<KnowledgeConfig>; production?: boolean; cluster?: { type?: string } }, ctx: z.RefinementCtx): void {
  const knowledge = config.knowledge;
  if (!knowledge?.enabled) return;
  const eks = config.cluster?.type === "eks";
  if (knowledge.backup?.enabled === true && !eks) {
    ctx.addIssue({
      code: "custom",
      path: ["knowledge", "backup", "enabled"],
      message: "expected false on an existing cluster: the stack creates the backups' S3 bucket, its KMS key and the role that writes to it on eks only",
      input: true,
    });
  }
  const backups = knowledge.backup ? knowledgeBackupEnabled(knowledge as Pick<KnowledgeConfig, "backup">, config.production === true, eks) : false;
  if (knowledge.restore && !backups) {
    ctx.addIssue({
      code: "custom",
      path: ["knowledge", "restore"],
      message: "expected knowledge.backup on (the default in a production stack on eks): a restore reads the backups' bucket, which the stack makes for backups",
      input: knowledge.restore,
    });
  }
  if (knowledge.restore && knowledge.backup && knowledge.restore.serverName === knowledge.backup.serverName) {
    ctx.addIssue({
      code: "custom",
      path: ["knowledge", "backup", "serverName"],
      message: `expected a folder other than the one restored from (knowledge.restore.serverName ${knowledge.restore.serverName}): the restored cluster would archive into the backups it is made from, which Barman Cloud refuses`,
      input: knowledge.backup.serverName,
    });
  }
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
