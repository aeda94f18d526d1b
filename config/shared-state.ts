/**
 * The stack's shared state (docs/shared-state.md): a Valkey that the backend replicas share for their limits and
 * response cache, and the backend's client API keys and cache. Valkey is optional: the committed prod stack turns it on
 * (its backend runs several replicas, whose in-process limits would multiply by the replica count); without it the
 * backend keeps limits and cache in each process.
 */
import { z } from "zod";
import { API_KEY_NAME, CACHE_MODES, VALKEY_FAILURE_POLICIES } from "../lib/backend-env";
import { byteQuantity, imageReference, positiveInt, resourcesSchema } from "./primitives";
import { parseQuantity } from "./quantity";
import { formatImageReference } from "./image";

/**
 * The official Valkey chart that runs the stack's Valkey (components/shared-state/valkey.ts), pinned exactly: 0.11.0
 * is published in the chart repository's index (valkey-io/valkey-helm, branch gh-pages, index.yaml at d6c5c41,
 * created 2026-07-22, digest 6aa9f2e4…, tgz at the release tag valkey-0.11.0 = commit dbcf6a6); the repository URL is
 * the one its README gives (`helm repo add valkey https://valkey.io/valkey-helm/`). The chart's values this stack sets
 * were read in valkey/values.yaml and valkey/templates/ at that tag: change the version only after reading them again.
 */
export const VALKEY_CHART = { chart: "valkey", repo: "https://valkey.io/valkey-helm/", version: "0.11.0" } as const;

/**
 * Valkey 9.1.1: the appVersion of valkey-io/valkey-helm 0.11.0 (valkey/Chart.yaml at dbcf6a6, 2026-07-22), whose
 * default image is docker.io/valkey/valkey with that tag. redis_exporter v1.79.0 is that chart's exporter default
 * (valkey/values.yaml, metrics.exporter.image).
 */
export const DEFAULT_VALKEY_IMAGE = { repository: "docker.io/valkey/valkey", tag: "9.1.1" };
export const DEFAULT_EXPORTER_IMAGE = { repository: "ghcr.io/oliver006/redis_exporter", tag: "v1.79.0" };

/** Valkey's eviction policies (valkey.conf, `maxmemory-policy`). */
export const EVICTION_POLICIES = ["allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-lfu", "allkeys-random", "volatile-random", "volatile-ttl", "noeviction"] as const;

/** redis_exporter's size beside Valkey (it holds one connection and renders a few hundred series). */
export const VALKEY_EXPORTER_RESOURCES = { requests: { cpu: "20m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } };

const VALKEY_RESOURCES = { requests: { cpu: "100m", memory: "320Mi" }, limits: { cpu: "500m", memory: "320Mi" } };

export const valkeySchema = z
  .strictObject({
    /** Run a Valkey for this stack (Pulumi.prod.yaml turns it on); off: limits and cache live in each backend process. */
    enabled: z.boolean({ error: "expected true or false" }).default(false),
    image: imageReference.default(DEFAULT_VALKEY_IMAGE),
    /** redis_exporter, in the same pod: Valkey's metrics for Prometheus. */
    exporter: z.strictObject({ image: imageReference.default(DEFAULT_EXPORTER_IMAGE) }).prefault({}),
    /** Valkey's `maxmemory`: the data it keeps before it evicts; the container's memory limit must leave room above it. */
    maxmemory: byteQuantity.default("256Mi"),
    /** What Valkey drops at `maxmemory`. An LRU policy keeps limits (recently used) and drops old cache entries. */
    evictionPolicy: z.enum(EVICTION_POLICIES, { error: `expected one of ${EVICTION_POLICIES.join(", ")}` }).default("allkeys-lru"),
    resources: resourcesSchema(VALKEY_RESOURCES),
    /** An append-only file on a PersistentVolumeClaim (kept on destroy in production); default: in production. */
    persistence: z
      .strictObject({
        enabled: z.boolean({ error: "expected true or false" }).optional(),
        size: byteQuantity.default("2Gi"),
        /** StorageClass of the claim; the cluster's default when absent (on eks the stack's gp3 class, tuned for model caches). */
        storageClass: z.string().min(1, { message: "expected a StorageClass name" }).optional(),
      })
      .prefault({}),
    /** When Valkey cannot be reached: `open` (each replica limits alone, warned and counted) or `closed` (503). */
    failurePolicy: z.enum(VALKEY_FAILURE_POLICIES, { error: `expected one of ${VALKEY_FAILURE_POLICIES.join(", ")}` }).default("open"),
  })
  .prefault({});

export type ValkeyConfig = z.output<typeof valkeySchema>;

/** The backend's response cache. */
export const responseCacheSchema = z
  .strictObject({
    /** `off`, `deterministic` (only requests with temperature 0) or `all`. */
    mode: z.enum(CACHE_MODES, { error: `expected one of ${CACHE_MODES.join(", ")}` }).default("off"),
    ttlSeconds: positiveInt.min(1, { message: "expected at least 1 second" }).max(30 * 86_400, { message: "expected at most 30 days" }).default(3600),
    /** Entries kept per replica when there is no Valkey (Valkey's `maxmemory` bounds its own). */
    maxEntries: positiveInt.min(1).max(1_000_000).default(1000),
    maxEntryBytes: positiveInt.min(1024, { message: "expected at least 1024 bytes" }).max(16 * 1024 * 1024).default(256 * 1024),
  })
  .prefault({});

/** Quotas of the client API keys, by key name (the keys themselves are the secret `clientApiKeys`). */
export const apiKeyQuotasSchema = z
  .record(
    z.string().regex(API_KEY_NAME, { message: "expected a key name of lower-case letters, digits, '-' and '_'" }),
    z.strictObject({
      requestsPerMinute: positiveInt.min(1, { message: "expected at least 1" }).max(1_000_000).optional(),
      tokensPerMinute: positiveInt.min(1, { message: "expected at least 1" }).max(1_000_000_000).optional(),
    }),
    { error: "expected a map of key name to {requestsPerMinute, tokensPerMinute}" },
  )
  .default({});

/** Valkey on exactly when the stack says so. */
export function valkeyEnabled(valkey: Pick<ValkeyConfig, "enabled">): boolean {
  return valkey.enabled;
}

/**
 * The container's memory limit must hold `maxmemory` plus Valkey's own overhead (buffers, fragmentation): 25 %. Both
 * images need a tag: the chart writes an image as `repository:tag` (valkey/templates/_helpers.tpl, `common.image`,
 * at valkey-0.11.0), so a digest rides on the tag (`9.1.1@sha256:…`) and a reference without a tag cannot be given.
 */
export function valkeyRules(valkey: Partial<ValkeyConfig> | undefined, ctx: z.RefinementCtx): void {
  const images = [
    { path: ["valkey", "image"], image: valkey?.image },
    { path: ["valkey", "exporter", "image"], image: valkey?.exporter?.image },
  ];
  for (const { path, image } of images) {
    if (image && !image.tag) {
      ctx.addIssue({
        code: "custom",
        path,
        message: "expected an image reference with a tag (name:tag or name:tag@sha256:<digest>): the valkey-io chart writes images as repository:tag",
        input: formatImageReference(image),
      });
    }
  }
  if (!valkey?.maxmemory || !valkey.resources) return;
  const maxmemory = parseQuantity(valkey.maxmemory);
  const limit = parseQuantity(valkey.resources.limits.memory);
  if (maxmemory === undefined || limit === undefined) return;
  if (limit < maxmemory * 1.25) {
    ctx.addIssue({
      code: "custom",
      path: ["valkey", "resources", "limits", "memory"],
      message: `expected a memory limit at least 25% above valkey.maxmemory (${valkey.maxmemory}): Valkey needs room for buffers and fragmentation, or the kernel kills it before it evicts`,
      input: valkey.resources.limits.memory,
    });
  }
}

/** What the offline render (tools/mask.ts MASK) puts in place of an encrypted value it cannot read. */
export const RENDER_PLACEHOLDER = "[secret]";

/**
 * The secret `clientApiKeys`: a JSON object of key name to key, e.g. `{"ci": "sk-…", "webui": "sk-…"}`. The stack
 * passes only the keys' SHA-256 to the backend. Messages never show the value.
 */
export function parseClientApiKeys(text: string): { keys?: Record<string, string>; problem?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { problem: 'expected a JSON object of key name to key, such as {"ci": "<key>"}' };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { problem: 'expected a JSON object of key name to key, such as {"ci": "<key>"}' };
  const keys: Record<string, string> = {};
  for (const [name, key] of Object.entries(parsed)) {
    if (!API_KEY_NAME.test(name)) return { problem: `expected key names of lower-case letters, digits, '-' and '_', found ${JSON.stringify(name.slice(0, 64))}` };
    if (typeof key !== "string" || key.length < 32) return { problem: `expected the key named ${name} to be a string of at least 32 characters (a random key, e.g. \`openssl rand -hex 24\`)` };
    keys[name] = key;
  }
  if (Object.keys(keys).length === 0) return { problem: "expected at least one key" };
  return { keys };
}
