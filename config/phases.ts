/** Settings of the hosted-API and local-model phases, and the backend's size in each phase (from the brief). */
import { z } from "zod";
import { defaultGpuNodeSelector } from "../lib/gpu";
import { byteQuantity, imageReference, positiveInt, resourcesSchema, ResourceDefaults } from "./primitives";

export const PHASES = ["mock", "hosted-api", "local-model"] as const;
export type Phase = (typeof PHASES)[number];

/** Starting size of one backend pod per phase; limits leave room for bursts without starving the node. */
export const BACKEND_RESOURCES: Record<Phase, ResourceDefaults> = {
  mock: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
  "hosted-api": { requests: { cpu: "200m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
  "local-model": { requests: { cpu: "1500m", memory: "4Gi" }, limits: { cpu: "3", memory: "8Gi" } },
};

export const HOSTED_PROVIDERS = ["huggingface", "openai", "anthropic", "openai-compatible"] as const;

export const hostedApiSchema = z
  .strictObject({
    provider: z.enum(HOSTED_PROVIDERS, { error: `expected one of ${HOSTED_PROVIDERS.map((p) => `"${p}"`).join(", ")}` }),
    /** Model name as the provider spells it, e.g. gpt-4o-mini or meta-llama/Llama-3.1-8B-Instruct. */
    model: z.string({ error: "expected the provider's model name" }).min(1),
    /** Base URL; required for openai-compatible, otherwise the provider's public endpoint. */
    baseUrl: z.url({ message: "expected an http(s) URL such as https://llm.example.com/v1" }).optional(),
    /** Answer with canned responses when the API fails instead of returning an error. */
    fallbackToMock: z.boolean().default(true),
    timeoutSeconds: positiveInt.min(1).max(600).default(30),
  })
  .superRefine((api, ctx) => {
    if (api.provider === "openai-compatible" && !api.baseUrl) {
      ctx.addIssue({ code: "custom", path: ["baseUrl"], message: "expected a base URL for an openai-compatible provider", input: undefined });
    }
  });

export const MODEL_ENGINES = ["ollama", "vllm"] as const;
export type ModelEngine = (typeof MODEL_ENGINES)[number];

export const localModelSchema = z
  .strictObject({
    engine: z.enum(MODEL_ENGINES, { error: 'expected "ollama" or "vllm"' }),
    /** Engine image; a pinned release of the engine's official image when absent. */
    image: imageReference.optional(),
    /** Models to serve: Ollama tags (llama3.2:3b) or Hugging Face repos (Qwen/Qwen2.5-1.5B-Instruct). */
    models: z.array(z.string().min(1)).min(1, { message: "expected at least one model" }),
    replicas: positiveInt.min(1).default(1),
    gpu: z
      .strictObject({
        /** GPUs per model-server pod; 0 runs on CPU only (small models), with no GPU request and no toleration. */
        count: positiveInt.min(0).max(8).default(1),
        /** Labels of the GPU node pool; the model server is scheduled only there. */
        nodeSelector: z.record(z.string(), z.string()).default(defaultGpuNodeSelector),
      })
      .prefault({}),
    resources: resourcesSchema({
      requests: { cpu: "2", memory: "8Gi" },
      limits: { cpu: "4", memory: "16Gi" },
    }),
    cache: z
      .strictObject({
        size: byteQuantity.default("50Gi"),
        /** StorageClass of the weights cache; the cluster's default class when absent. */
        storageClass: z.string().min(1).optional(),
        accessMode: z.enum(["ReadWriteOnce", "ReadWriteMany"], { error: 'expected "ReadWriteOnce" or "ReadWriteMany"' }).default("ReadWriteOnce"),
      })
      .prefault({}),
    /** How long loading the weights may take once they are cached, before the startup probe gives up on the pod. */
    startupMinutes: positiveInt.min(1).max(120).default(15),
    /**
     * How long the first start may take before that: a GPU node to join, the engine's multi-GB image to pull and
     * the weights to download over NAT. With `startupMinutes` it sets how long `pulumi up` waits for the server.
     */
    pullMinutes: positiveInt.min(1).max(240).default(30),
    /** Keep the hosted API (config `hostedApi`) as the backend's fallback until local models answer. */
    fallbackToHostedApi: z.boolean().default(false),
  })
  .superRefine((local, ctx) => {
    if (local.replicas > 1 && local.cache.accessMode === "ReadWriteOnce") {
      ctx.addIssue({
        code: "custom",
        path: ["cache", "accessMode"],
        message: `expected ReadWriteMany for ${local.replicas} replicas sharing one cache (a ReadWriteOnce volume attaches to one node)`,
        input: local.cache.accessMode,
      });
    }
  });

export type HostedApiConfig = z.output<typeof hostedApiSchema>;
export type LocalModelConfig = z.output<typeof localModelSchema>;
