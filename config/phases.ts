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
    /**
     * What the provider charges you, USD per million tokens: the cost dashboard turns the tokens the response cache
     * saved into money with it. Take it from your contract or the provider's price page; nothing is assumed.
     */
    usdPerMillionTokens: z
      .strictObject({
        prompt: z.number({ error: "expected USD per million prompt tokens" }).min(0).max(10_000),
        completion: z.number({ error: "expected USD per million completion tokens" }).min(0).max(10_000),
      })
      .optional(),
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
    /**
     * vLLM servers scaled by KEDA on their own queue (`vllm:num_requests_waiting`, `vllm:num_requests_running`),
     * between `minReplicas` and `maxReplicas`. Ollama has no queue metric, so it cannot be scaled this way.
     */
    autoscaling: z
      .strictObject({
        enabled: z.boolean({ error: "expected true or false" }).default(false),
        minReplicas: positiveInt.min(1, { message: "expected at least 1 replica (scaleToZero is what allows 0)" }).default(1),
        maxReplicas: positiveInt.min(1).max(20).default(2),
        /** Requests waiting in a server's queue per replica before another replica is asked for. */
        waitingRequestsPerReplica: positiveInt.min(1).default(4),
        /** Requests being generated at once per replica before another replica is asked for. */
        runningRequestsPerReplica: positiveInt.min(1).default(32),
      })
      .prefault({}),
    /**
     * Let the model servers go to zero replicas after `idleMinutes` without requests for them; the backend answers
     * from the hosted fallback meanwhile, and its requests for the local model wake the server (KEDA).
     */
    scaleToZero: z.boolean({ error: "expected true or false" }).default(false),
    idleMinutes: positiveInt.min(1).max(1440).default(15),
  })
  .superRefine((local, ctx) => {
    const scaled = local.autoscaling.enabled;
    const most = scaled ? local.autoscaling.maxReplicas : local.replicas;
    if (most > 1 && local.cache.accessMode === "ReadWriteOnce") {
      const what = scaled ? `up to ${most} replicas (autoscaling.maxReplicas)` : `${most} replicas`;
      ctx.addIssue({
        code: "custom",
        path: ["cache", "accessMode"],
        message:
          `expected ReadWriteMany for ${what} sharing one cache (a ReadWriteOnce volume attaches to one node); ` +
          "use an efs cache, or keep one replica",
        input: local.cache.accessMode,
      });
    }
    if (scaled && local.autoscaling.minReplicas > local.autoscaling.maxReplicas) {
      ctx.addIssue({ code: "custom", path: ["autoscaling", "minReplicas"], message: `expected minReplicas no larger than maxReplicas (${local.autoscaling.maxReplicas})`, input: local.autoscaling.minReplicas });
    }
    if (scaled && local.engine === "ollama") {
      ctx.addIssue({
        code: "custom",
        path: ["autoscaling", "enabled"],
        message: "expected false for Ollama: it exposes no queue metric to scale on (scaleToZero still works; it wakes on the backend's requests)",
        input: true,
      });
    }
  });

export type HostedApiConfig = z.output<typeof hostedApiSchema>;
export type LocalModelConfig = z.output<typeof localModelSchema>;

/** Whether KEDA scales the model servers (and so the stack installs it): queue autoscaling, or scale-to-zero. */
export function isKedaScaled(local: Pick<LocalModelConfig, "autoscaling" | "scaleToZero"> | undefined): boolean {
  return local !== undefined && (local.autoscaling.enabled || local.scaleToZero);
}

/** Replicas KEDA keeps each model server between: 0 with scale-to-zero, `replicas` at most without autoscaling. */
export function replicaBounds(local: Pick<LocalModelConfig, "autoscaling" | "scaleToZero" | "replicas">): { min: number; max: number } {
  const max = local.autoscaling.enabled ? local.autoscaling.maxReplicas : local.replicas;
  const min = local.scaleToZero ? 0 : local.autoscaling.enabled ? local.autoscaling.minReplicas : local.replicas;
  return { min, max };
}
