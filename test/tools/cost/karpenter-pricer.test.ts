import { CostEstimate, CostSettings, estimateCost } from "../../../tools/cost/estimate";
import { PRICERS } from "../../../tools/cost/stack-cost";
import type { PlannedResource } from "../../../tools/render";

const SETTINGS: CostSettings = { region: "us-east-1", gpuHoursPerDay: 24, spotDiscount: 0.5, modelServerCanariesPerMonth: 4, scope: "stack" };

function planned(type: string, name: string, inputs: Record<string, unknown>): PlannedResource {
  return { type, name, urn: `urn:pulumi:test::ai-assistant::${type}::${name}`, custom: true, inputs };
}

const LABELS = { "ai-assistant.io/pool": "gpu", "nvidia.com/gpu.present": "true" };

const nodePool = (types: string[], capacity: string[], limits: Record<string, string>) =>
  planned("kubernetes:karpenter.sh/v1:NodePool", "gpu-pool", {
    apiVersion: "karpenter.sh/v1",
    kind: "NodePool",
    metadata: { name: "gpu" },
    spec: {
      template: {
        metadata: { labels: LABELS },
        spec: {
          nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "gpu" },
          requirements: [
            { key: "node.kubernetes.io/instance-type", operator: "In", values: types },
            { key: "karpenter.sh/capacity-type", operator: "In", values: capacity },
          ],
        },
      },
      limits,
    },
  });

const nodeClass = (volumeSize: string) =>
  planned("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "gpu-class", {
    apiVersion: "karpenter.k8s.aws/v1",
    kind: "EC2NodeClass",
    metadata: { name: "gpu" },
    spec: { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize, volumeType: "gp3" } }] },
  });

const gpuDeployment = (name: string, gpus: number, replicas?: number, nodeSelector: Record<string, string> = { "ai-assistant.io/pool": "gpu" }) =>
  planned("kubernetes:apps/v1:Deployment", name, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "app" },
    spec: {
      ...(replicas !== undefined && { replicas }),
      template: { spec: { nodeSelector, containers: [{ name: "server", resources: { limits: { cpu: "3", "nvidia.com/gpu": String(gpus) } } }] } },
    },
  });

const scaledObject = (target: string, min: number, max: number) =>
  planned("kubernetes:keda.sh/v1alpha1:ScaledObject", `${target}-scaling`, {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name: target, namespace: "app" },
    spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: target }, minReplicaCount: min, maxReplicaCount: max },
  });

const estimate = (resources: PlannedResource[], settings: Partial<CostSettings> = {}) => estimateCost(resources, { ...SETTINGS, ...settings }, PRICERS);
const ec2 = (result: CostEstimate) => result.items.find((item) => item.resource === "NodePool gpu" && item.type.startsWith("EC2"))!;

describe("the Karpenter NodePool pricer", () => {
  it("given a fixed two-replica GPU Deployment, prices two nodes of the cheapest listed type for cost.gpuHoursPerDay, and the limits around the clock at most", () => {
    const result = estimate([nodePool(["g5.xlarge", "g6.xlarge"], ["on-demand"], { "nvidia.com/gpu": "4", cpu: "64", memory: "256Gi" }), nodeClass("100Gi"), gpuDeployment("vllm", 1, 2)], { gpuHoursPerDay: 10 });
    expect(ec2(result)).toEqual({ resource: "NodePool gpu", type: "EC2 g6.xlarge on-demand instance-hour", quantity: 608.3333, unitPrice: 0.8048, monthlyUsd: 489.59 });
    const disk = result.items.find((item) => item.type === "EBS gp3 GiB-month (node root volumes)")!;
    expect(disk.quantity).toBeCloseTo((2 * 10 * (730 / 24) / 730) * 100, 3);
    // limits: 4 GPUs of 1 per node -> 4 nodes around the clock.
    expect(result.max).toBeCloseTo(4 * 730 * 0.8048 + 4 * 100 * 0.08, 1);
    expect(result.notes.join(" ")).toContain("priced at g6.xlarge, the cheapest type it may launch");
  });

  it("given a ScaledObject from 0, prices one node awake for the hours a day, none at the minimum", () => {
    const result = estimate([nodePool(["g5.xlarge"], ["on-demand"], { "nvidia.com/gpu": "2" }), nodeClass("200Gi"), gpuDeployment("vllm", 1), scaledObject("vllm", 0, 1)], { gpuHoursPerDay: 12 });
    expect(ec2(result).quantity).toBe(365);
    expect(result.min).toBe(0);
    expect(result.max).toBeCloseTo(2 * 730 * 1.006 + 2 * 200 * 0.08, 1);
  });

  it("given a canary (a Rollout of the GPU Deployment, scaled by KEDA), adds its extra pod's node for each release's start and analysis", () => {
    const rollout = planned("kubernetes:argoproj.io/v1alpha1:Rollout", "vllm", {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Rollout",
      metadata: { name: "vllm", namespace: "app" },
      spec: {
        workloadRef: { apiVersion: "apps/v1", kind: "Deployment", name: "vllm" },
        progressDeadlineSeconds: 1800,
        strategy: { canary: { maxSurge: 1, steps: [{ setWeight: 10 }, { analysis: { templates: [{ templateName: "vllm-canary" }] } }, { setWeight: 50 }, { analysis: { templates: [{ templateName: "vllm-canary" }] } }, { setWeight: 100 }] } },
      },
    });
    const template = planned("kubernetes:argoproj.io/v1alpha1:AnalysisTemplate", "vllm-canary", {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "AnalysisTemplate",
      metadata: { name: "vllm-canary", namespace: "app" },
      spec: { metrics: [{ name: "a", count: 5, interval: "1m" }, { name: "b", count: 3, interval: "2m" }] },
    });
    const scaledRollout = scaledObject("vllm", 0, 1);
    (scaledRollout.inputs.spec as Record<string, unknown>).scaleTargetRef = { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: "vllm" };
    const pool = [nodePool(["g5.xlarge"], ["on-demand"], { "nvidia.com/gpu": "2" }), nodeClass("200Gi"), gpuDeployment("vllm", 1)];
    const result = estimate([...pool, scaledRollout, rollout, template], { gpuHoursPerDay: 12, modelServerCanariesPerMonth: 3 });
    // Per release: 0.5 h to start, two analysis steps of 6 min (the longer metric, 3 x 2m) -> 0.7 h; three a month.
    expect(ec2(result).quantity).toBeCloseTo(365 + 3 * 0.7, 4);
    expect(result.min).toBe(0);
    expect(result.notes.join(" ")).toContain("Deployment app/vllm runs as a canary (delivery.canary.modelServers): 1 more GPU pod for up to 0.7 h per release (its start allowance and analysis steps), 3 releases a month (cost.modelServerCanariesPerMonth): 2.1 node-hours at the expected size.");
    // Without releases (or without the Rollout) the KEDA-scaled server alone, as before.
    expect(ec2(estimate([...pool, scaledRollout, rollout, template], { gpuHoursPerDay: 12, modelServerCanariesPerMonth: 0 })).quantity).toBe(365);
  });

  it("caps the nodes by the tightest limit (CPU here), and packs pods by GPUs per instance", () => {
    // g5.12xlarge: 4 GPUs, 48 vCPUs. Three 2-GPU pods need two nodes; 100 CPU allow two nodes at most.
    const result = estimate([nodePool(["g5.12xlarge"], ["on-demand"], { "nvidia.com/gpu": "16", cpu: "100" }), nodeClass("200Gi"), gpuDeployment("vllm", 2, 3)]);
    expect(ec2(result).quantity).toBe(2 * 730);
    expect(result.max).toBeCloseTo(2 * 730 * 5.672 + 2 * 200 * 0.08, 1);
  });

  it("prices spot at the spot discount when the pool allows it, and ignores pods that do not select the pool", () => {
    const result = estimate([nodePool(["g5.xlarge"], ["spot", "on-demand"], { "nvidia.com/gpu": "2" }), nodeClass("200Gi"), gpuDeployment("vllm", 1, 1), gpuDeployment("elsewhere", 1, 5, { pool: "other" })], { spotDiscount: 0.6 });
    expect(ec2(result)).toMatchObject({ type: "EC2 g5.xlarge spot instance-hour", unitPrice: 0.4024, quantity: 730 });
  });

  it("prices a CPU NodePool at nothing expected (the system pool holds the HPAs' minima) and its limits around the clock at most", () => {
    const cpuPool = planned("kubernetes:karpenter.sh/v1:NodePool", "cpu-pool", {
      apiVersion: "karpenter.sh/v1",
      kind: "NodePool",
      metadata: { name: "cpu" },
      spec: {
        template: { metadata: { labels: { "ai-assistant.io/pool": "cpu" } }, spec: { nodeClassRef: { name: "cpu" }, requirements: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["m6i.2xlarge", "m6i.xlarge"] }, { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] }] } },
        limits: { cpu: "16", memory: "64Gi" },
      },
    });
    const result = estimate([cpuPool, { ...nodeClass("50Gi"), inputs: { ...nodeClass("50Gi").inputs, metadata: { name: "cpu" } } }]);
    const line = result.items.find((item) => item.resource === "NodePool cpu" && item.type.startsWith("EC2"))!;
    // The cheaper type, m6i.xlarge (4 vCPU, 16 GiB): 16 cores and 64 GiB allow four, with 50 GiB root volumes.
    expect(line).toMatchObject({ type: "EC2 m6i.xlarge on-demand instance-hour", unitPrice: 0.192, quantity: 0, monthlyUsd: 0 });
    expect(result.min).toBe(0);
    expect(result.total).toBe(0);
    expect(result.max).toBeCloseTo(4 * 730 * 0.192 + 4 * 50 * 0.08, 1);
    expect(result.notes.join(" ")).toContain("Karpenter NodePool cpu: CPU nodes only while a load peak outgrows the system pool");
  });

  it("refuses a NodePool without a priced GPU instance type rather than price it at $0", () => {
    expect(() => estimate([nodePool(["x9.huge"], ["on-demand"], {}), nodeClass("200Gi")])).toThrow(/no us-east-1 price for the instance types of NodePool gpu \(x9\.huge\)/);
  });
});
