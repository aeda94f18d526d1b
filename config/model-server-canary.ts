/**
 * When the model servers' canary (`delivery.canary.modelServers.enabled`, docs/delivery.md) can work: Argo Rollouts
 * runs it, there are model servers, their own series judge it, a second pod can mount the weights cache, and there
 * is a GPU for that pod.
 */
import { z } from "zod";
import { gpuInstanceSpec } from "../tools/cost/prices";
import type { ModelServerCanaryConfig } from "./delivery";
import { LocalModelConfig, replicaBounds } from "./phases";

const ENABLED = ["delivery", "canary", "modelServers", "enabled"];

interface CanaryRuleInput {
  phase?: string;
  delivery?: { strategy?: string; canary?: { modelServers?: Partial<ModelServerCanaryConfig> } };
  localModel?: LocalModelConfig;
  cluster?: {
    type?: string;
    storage?: { efs?: boolean };
    gpuNodes?: { enabled?: boolean; instanceTypes?: string[]; maxSize?: number };
    karpenter?: { enabled?: boolean; gpuPool?: { limits?: { gpus?: number } } };
  };
}

/**
 * GPUs the model servers need at most during a canary: each server (vLLM runs one per model, and a new engine image
 * starts a canary on all of them at once) one pod more than it ever runs (the Rollout's maxSurge 1).
 */
export function canaryPeakGpus(localModel: Pick<LocalModelConfig, "autoscaling" | "scaleToZero" | "replicas" | "gpu" | "models">): number {
  return localModel.models.length * (replicaBounds(localModel).max + 1) * localModel.gpu.count;
}

function peakText(local: LocalModelConfig): string {
  const servers = local.models.length;
  return `${servers > 1 ? `${servers} servers, each` : "the server"} one pod more than the ${replicaBounds(local).max} it runs at most, ${local.gpu.count} GPU${local.gpu.count === 1 ? "" : "s"} a pod`;
}

export function modelServerCanaryRules(config: CanaryRuleInput, ctx: z.RefinementCtx): void {
  if (config.delivery?.canary?.modelServers?.enabled !== true) return;
  const issue = (path: PropertyKey[], message: string, input: unknown) => ctx.addIssue({ code: "custom", path, message, input });
  if (config.delivery.strategy !== "canary") {
    issue(ENABLED, "expected delivery.strategy canary with the model servers' canary on: Argo Rollouts, which runs it, comes with the canary strategy", config.delivery.strategy ?? "rollingUpdate");
  }
  const local = config.phase === "local-model" ? config.localModel : undefined;
  if (!local) {
    issue(ENABLED, "expected phase local-model: only that phase runs in-cluster model servers", config.phase);
    return;
  }
  if (local.engine !== "vllm") {
    issue(
      ["localModel", "engine"],
      "expected vllm with the model servers' canary on: it is judged on vLLM's own series of the canary's pods (5xx answers, requests ended by an error, time to first token); Ollama publishes no metrics at all, and Triton's per-model counters are not judged here yet",
      local.engine,
    );
  }
  if (local.cache.accessMode !== "ReadWriteMany") {
    issue(
      ["localModel", "cache", "accessMode"],
      "expected ReadWriteMany with the model servers' canary on: the canary's pod runs beside the stable one, often on another node, and mounts the same weights cache (on EKS an efs cache)",
      local.cache.accessMode,
    );
  }
  if (config.cluster?.type !== "eks") return;
  if (local.cache.storageClass !== "efs" || config.cluster.storage?.efs !== true) {
    issue(
      ["localModel", "cache", "storageClass"],
      "expected storageClass efs and cluster.storage.efs true with the model servers' canary on: the stack's only ReadWriteMany class on EKS (gp3 is an EBS volume that attaches to one node)",
      local.cache.storageClass,
    );
  }
  const needed = canaryPeakGpus(local);
  const { gpuNodes, karpenter } = config.cluster;
  if (gpuNodes?.enabled) {
    const perNode = Math.min(...(gpuNodes.instanceTypes ?? []).map((type) => gpuInstanceSpec(type)?.gpus ?? 0));
    const available = (gpuNodes.maxSize ?? 0) * (Number.isFinite(perNode) ? perNode : 0);
    if (available < needed) {
      issue(["cluster", "gpuNodes", "maxSize"], `expected room for ${needed} GPUs during a model-server canary (${peakText(local)}); the group holds ${available}`, gpuNodes.maxSize);
    }
  } else if (karpenter?.enabled && (karpenter.gpuPool?.limits?.gpus ?? 0) < needed) {
    issue(
      ["cluster", "karpenter", "gpuPool", "limits", "gpus"],
      `expected at least ${needed} GPUs during a model-server canary (${peakText(local)})`,
      karpenter.gpuPool?.limits?.gpus,
    );
  }
}
