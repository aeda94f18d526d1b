/** delivery.canary.modelServers: off by default, and each condition it needs refused in one line naming the key. */
import { canaryPeakGpus } from "../../config/model-server-canary";
import { parse, problemsWith, VALID } from "../support/config";

const VLLM_RWX = { engine: "vllm", models: ["Qwen/Qwen2.5-7B-Instruct"], gpu: { count: 1 }, cache: { accessMode: "ReadWriteMany", storageClass: "nfs" } };
const ON = { strategy: "canary", canary: { modelServers: { enabled: true } } };
/** A local-model stack on an existing cluster whose canary has everything it needs. */
const GOOD = { ...VALID, phase: "local-model", localModel: VLLM_RWX, delivery: ON };
/** The same on EKS: an efs cache, and Karpenter allowed a GPU for the canary's pod. */
const EKS = {
  ...GOOD,
  cluster: { type: "eks", storage: { efs: true }, karpenter: { gpuPool: { limits: { gpus: 2 } } } },
  localModel: { ...VLLM_RWX, cache: { accessMode: "ReadWriteMany", storageClass: "efs" } },
};
const line = (key: string, text: string) => `ai-assistant:${key}: ${text}`;

describe("delivery.canary.modelServers", () => {
  it("is off by default, with the backend's error limit and a 2 s p95 time to first token", () => {
    expect(parse({ ...VALID, delivery: { strategy: "canary" } }).delivery.canary.modelServers).toEqual({ enabled: false, maxErrorRatio: 0.05, maxP95TimeToFirstTokenSeconds: 2 });
  });

  it("accepts a vLLM server on a ReadWriteMany cache with the canary strategy, on an existing cluster and on EKS with room for a second GPU", () => {
    expect(parse(GOOD).delivery.canary.modelServers.enabled).toBe(true);
    expect(parse(EKS).delivery.canary.modelServers.enabled).toBe(true);
  });

  it.each([
    ["without the canary strategy", { ...GOOD, delivery: { canary: ON.canary } }, line("delivery.canary.modelServers.enabled", 'expected delivery.strategy canary with the model servers\' canary on: Argo Rollouts, which runs it, comes with the canary strategy; found "rollingUpdate"')],
    ["without model servers", { ...VALID, delivery: ON }, line("delivery.canary.modelServers.enabled", 'expected phase local-model: only that phase runs in-cluster model servers; found "mock"')],
    ["for Ollama, which publishes no metrics", { ...GOOD, localModel: { ...VLLM_RWX, engine: "ollama", models: ["llama3.2:3b"] } }, line("localModel.engine", "expected vllm with the model servers' canary on: it is judged on vLLM's own series")],
    ["for Triton", { ...GOOD, localModel: { ...VLLM_RWX, engine: "triton" } }, line("localModel.engine", "expected vllm with the model servers' canary on")],
    ["on a ReadWriteOnce cache", { ...GOOD, localModel: { ...VLLM_RWX, cache: { storageClass: "gp3" } } }, line("localModel.cache.accessMode", 'expected ReadWriteMany with the model servers\' canary on: the canary\'s pod runs beside the stable one, often on another node, and mounts the same weights cache (on EKS an efs cache); found "ReadWriteOnce"')],
    ["on EKS without the efs class", { ...EKS, cluster: { ...EKS.cluster, storage: { efs: false } } }, line("localModel.cache.storageClass", 'expected storageClass efs and cluster.storage.efs true with the model servers\' canary on: the stack\'s only ReadWriteMany class on EKS (gp3 is an EBS volume that attaches to one node); found "efs"')],
    ["on EKS when Karpenter may launch only the stable pod's GPU", { ...EKS, cluster: { ...EKS.cluster, karpenter: { gpuPool: { limits: { gpus: 1 } } } } }, line("cluster.karpenter.gpuPool.limits.gpus", "expected at least 2 GPUs during a model-server canary (the server one pod more than the 1 it runs at most, 1 GPU a pod); found 1")],
    ["on EKS when a fixed GPU group cannot hold a third pod", { ...EKS, localModel: { ...EKS.localModel, replicas: 2 }, cluster: { ...EKS.cluster, gpuNodes: { enabled: true, instanceTypes: ["g5.xlarge"], maxSize: 2 } } }, line("cluster.gpuNodes.maxSize", "expected room for 3 GPUs during a model-server canary (the server one pod more than the 2 it runs at most, 1 GPU a pod); the group holds 2; found 2")],
  ])("refuses the canary %s", (_, config, expected) => {
    expect(problemsWith(config)).toContain(expected);
  });

  it("counts every vLLM server (one per model) and its most replicas when it asks for GPUs", () => {
    const local = parse({ ...GOOD, localModel: { ...VLLM_RWX, models: ["a/one", "b/two"], gpu: { count: 2 }, autoscaling: { enabled: true, maxReplicas: 3 } } }).localModel!;
    expect(canaryPeakGpus(local)).toBe(2 * (3 + 1) * 2);
    expect(problemsWith({ ...EKS, localModel: { ...EKS.localModel, models: ["a/one", "b/two"] } })).toContain(line("cluster.karpenter.gpuPool.limits.gpus", "expected at least 4 GPUs during a model-server canary (2 servers, each one pod more than the 1 it runs at most, 1 GPU a pod); found 2"));
  });

  it.each([
    [{ maxErrorRatio: 0 }, "delivery.canary.modelServers.maxErrorRatio: expected a fraction above 0 and at most 1; found 0"],
    [{ maxP95TimeToFirstTokenSeconds: -1 }, "delivery.canary.modelServers.maxP95TimeToFirstTokenSeconds: expected a number of seconds above 0; found -1"],
    [{ enabled: "yes" }, 'delivery.canary.modelServers.enabled: expected true or false; found "yes"'],
  ])("refuses the thresholds %j", (modelServers, expected) => {
    expect(problemsWith({ ...GOOD, delivery: { strategy: "canary", canary: { modelServers: { enabled: true, ...modelServers } } } })).toContain(`ai-assistant:${expected}`);
  });

  it("leaves a stack with the canary off alone whatever its cache (prod's gp3)", () => {
    expect(() => parse({ ...GOOD, localModel: { ...VLLM_RWX, cache: { storageClass: "gp3" } }, delivery: { strategy: "canary" } })).not.toThrow();
  });
});
