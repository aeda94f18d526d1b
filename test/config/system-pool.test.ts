import { join } from "path";
import { parseStackConfig } from "../../config/load";
import { parseQuantity } from "../../config/quantity";
import { ParsedStackConfig } from "../../config/schema";
import { allocatable, karpenterPoolCapacity, kubeReservedCpu, peakExtraPods, PoolPod, systemPoolPods } from "../../config/system-pool";
import { readStackFile } from "../../tools/stack-file";
import type { RenderResult } from "../../tools/render";
import { parse, problemsWith } from "../support/config";
import { plannedOne } from "../support/eks";
import { K8sObject, objectsOf, PROJECT_DIR, renderStack, stackFileSettings } from "../support/render";

/** A committed stack's config, parsed as the program parses it. */
function committed(stack: string): ParsedStackConfig {
  const { config, secretKeys } = readStackFile(join(PROJECT_DIR, `Pulumi.${stack}.yaml`));
  const strip = (key: string) => key.replace(/^ai-assistant:/, "");
  const values = Object.fromEntries(Object.entries(config).map(([key, value]) => [strip(key), value]));
  return parseStackConfig({ values, secretKeys: new Set(secretKeys.map(strip)) }, stack);
}

/** Parses settings written in the test (keys without the namespace); throws the config message. */
const parseSettings = (settings: Record<string, unknown>) => parse(settings, "prod");
const problemWith = (settings: Record<string, unknown>) => problemsWith(settings, "prod");

const cpu = (text: string | undefined) => parseQuantity(text ?? "0") ?? 0;

describe("what an EKS node offers pods", () => {
  it("reserves CPU for the kubelet as the EKS AL2023 bootstrap does (6% of core 1, 1% of core 2, 0.5% of cores 3-4, 0.25% above)", () => {
    expect(Math.round(kubeReservedCpu(2) * 1000)).toBe(70);
    expect(Math.round(kubeReservedCpu(4) * 1000)).toBe(80);
    expect(Math.round(kubeReservedCpu(8) * 1000)).toBe(90);
  });

  it("allocates 1930m on an m6i.large and 3920m on an m6i.xlarge; an unknown type is not guessed at", () => {
    expect(Math.round(allocatable("m6i.large")!.cpu * 1000)).toBe(1930);
    expect(Math.round(allocatable("m6i.xlarge")!.cpu * 1000)).toBe(3920);
    // 8 GiB less 6%, kube-reserved for 29 pods (574Mi) and the 100Mi eviction threshold.
    expect(Math.round(allocatable("m6i.large")!.memory / 2 ** 20)).toBe(Math.round(8 * 1024 * 0.94 - 574 - 100));
    expect(allocatable("x9z.huge")).toBeUndefined();
  });
});

describe("the system pool capacity rule", () => {
  const prod = stackFileSettings("prod");
  const withSystemNodes = (systemNodes: Record<string, unknown>) => ({
    ...prod,
    apiKey: "sk-test",
    grafanaAdminPassword: "pw",
    alertSlackWebhookUrl: "https://hooks.slack.com/services/T0/B0/test",
    valkeyPassword: "valkey-test-password",
    dockerHubUsername: "acme-pulls",
    dockerHubAccessToken: "dckr_pat_test",
    knowledgeAdminKey: "knowledge-admin-key-test-0123",
    cluster: { ...(prod.cluster as object), systemNodes },
  });

  it("given the prod stack on the old 2 x m6i.large, it refuses and says what the pods ask for and what the pool holds", () => {
    const message = problemWith(withSystemNodes({ instanceTypes: ["m6i.large"], minSize: 2, desiredSize: 2, maxSize: 4 }));
    expect(message).toContain("ai-assistant:cluster.systemNodes.minSize: expected a system pool that holds what must run on it");
    expect(message).toMatch(/its pods request \d+m CPU and [\d.]+Gi, but 2 x m6i.large allocate 3860m and [\d.]+Gi/);
  });

  it("given the committed prod stack (2 x m6i.xlarge), it accepts it; four m6i.large would do too, three no longer hold Karpenter, KEDA, Argo Rollouts, the load balancer controller and the knowledge database", () => {
    expect(() => committed("prod")).not.toThrow();
    expect(committed("prod").cluster).toMatchObject({ systemNodes: { instanceTypes: ["m6i.xlarge"], minSize: 2 } });
    expect(() => parseSettings(withSystemNodes({ instanceTypes: ["m6i.large"], minSize: 4, desiredSize: 4, maxSize: 5 }))).not.toThrow();
    expect(() => parseSettings(withSystemNodes({ instanceTypes: ["m6i.large"], minSize: 3, desiredSize: 3, maxSize: 4 }))).toThrow(/its pods request 7255m CPU/);
  });

  it("counts the load balancer controller's two replicas, which every eks stack runs there", () => {
    const config = committed("prod");
    const pods = systemPoolPods({ frontend: config.frontend, backend: config.backend, monitoring: config.monitoring, nodes: 2 });
    expect(pods).toContainEqual({ name: "aws-load-balancer-controller", pods: 2, requests: { cpu: 0.05, memory: 128 * 2 ** 20 } });
  });

  it("counts Karpenter's two controllers and KEDA's three pods when the stack installs them", () => {
    const config = committed("prod");
    const base = { frontend: config.frontend, backend: config.backend, monitoring: config.monitoring, nodes: 2 };
    const names = systemPoolPods({ ...base, karpenter: true, keda: true }).map((pod) => [pod.name, pod.pods]);
    expect(names).toEqual(expect.arrayContaining([["karpenter", 2], ["keda-operator", 1], ["keda-metricServer", 1], ["keda-webhooks", 1]]));
    expect(systemPoolPods(base).map((pod) => pod.name)).not.toContain("karpenter");
  });

  it("given the committed prod stack, the backend's and frontend's HPA maxima fit the system pool's room and the CPU pool's limits", () => {
    const config = committed("prod");
    expect(config.cluster).toMatchObject({ karpenter: { cpuPool: { enabled: true, limits: { cpu: 16, memoryGiB: 64 } } } });
    expect(karpenterPoolCapacity(config.cluster.type === "eks" ? config.cluster.karpenter.cpuPool : ({} as never), true)!.cpu).toBeGreaterThan(9);
  });

  it("counts the replicas only a peak adds (maxReplicas above minReplicas) with each pod's requests", () => {
    const config = committed("prod");
    expect(peakExtraPods({ frontend: config.frontend, backend: config.backend })).toEqual([
      { name: "frontend (peak)", pods: 8, requests: { cpu: cpu(config.frontend.resources.requests.cpu), memory: cpu(config.frontend.resources.requests.memory) } },
      { name: "backend (peak)", pods: 4, requests: { cpu: 1.5, memory: 4 * 2 ** 30 } },
    ]);
  });

  it("given prod without the CPU pool, it refuses: the backend's six 1500m pods cannot all run on the fixed system pool", () => {
    const withoutCpuPool = { ...withSystemNodes((prod.cluster as { systemNodes: Record<string, unknown> }).systemNodes) };
    const cluster = withoutCpuPool.cluster as unknown as { karpenter: Record<string, unknown> };
    cluster.karpenter = { ...cluster.karpenter, cpuPool: { enabled: false } };
    expect(problemWith(withoutCpuPool)).toContain(
      "ai-assistant:cluster.karpenter.cpuPool.enabled: expected room for the frontend's and backend's autoscaling maxima: at peak they add",
    );
    expect(problemWith(withoutCpuPool)).toMatch(/no CPU pool \(cluster\.karpenter\.cpuPool, which needs Karpenter\) grows the cluster hold less; turn the CPU pool on, or lower maxReplicas/);
  });

  it("given a CPU pool whose limits are too small for the peak, it names the limits; lower maxima pass without it", () => {
    const small = withSystemNodes((prod.cluster as { systemNodes: Record<string, unknown> }).systemNodes);
    const cluster = small.cluster as unknown as { karpenter: Record<string, unknown> };
    cluster.karpenter = { ...cluster.karpenter, cpuPool: { limits: { cpu: 4, memoryGiB: 16 } } };
    expect(problemWith(small)).toContain("ai-assistant:cluster.karpenter.cpuPool.limits: expected room for the frontend's and backend's autoscaling maxima");
    const fewer = { ...small, backend: { ...(prod.backend as object), autoscaling: { minReplicas: 2, maxReplicas: 2 } }, frontend: { ...(prod.frontend as object), autoscaling: { minReplicas: 2, maxReplicas: 2 } } };
    expect(() => parseSettings(fewer)).not.toThrow();
  });

  it("given an instance type it has no size for, it stays silent rather than guess", () => {
    const nodes = { instanceTypes: ["c7i.large"], minSize: 1, desiredSize: 1, maxSize: 1 };
    expect(parseSettings(withSystemNodes(nodes)).cluster).toMatchObject({ systemNodes: nodes });
  });
});

/** Pods and per-pod CPU of each system-pool Deployment the program itself renders (HPA lower bound when scaled). */
function renderedDeployments(result: RenderResult): { name: string; pods: number; cpu: number; memory: number }[] {
  const hpas = objectsOf(result, "HorizontalPodAutoscaler");
  const onGpu = (d: K8sObject) => (d.spec.template.spec.tolerations ?? []).some((t: { key: string }) => t.key === "nvidia.com/gpu");
  return objectsOf(result, "Deployment")
    .filter((d) => !onGpu(d))
    .map((d) => {
      const hpa = hpas.find((h) => h.spec.scaleTargetRef.name === d.metadata.name);
      const containers: { resources: { requests: { cpu: string; memory: string } } }[] = d.spec.template.spec.containers;
      return {
        name: d.metadata.name,
        pods: hpa ? hpa.spec.minReplicas : d.spec.replicas,
        cpu: containers.reduce((sum, c) => sum + cpu(c.resources.requests.cpu), 0),
        memory: containers.reduce((sum, c) => sum + cpu(c.resources.requests.memory), 0),
      };
    });
}

describe.each(["dev", "prod"])("the capacity estimate for the committed %s stack", (stack) => {
  let result: RenderResult;
  let estimate: PoolPod[];
  beforeAll(async () => {
    result = await renderStack(stack);
    const config = committed(stack);
    estimate = systemPoolPods({ frontend: config.frontend, backend: config.backend, monitoring: config.monitoring, nodes: 2 });
  });
  const entry = (name: string) => {
    const found = estimate.find((pod) => pod.name === name);
    if (!found) throw new Error(`the estimate has no ${name}`);
    return found;
  };

  it("counts every Deployment the render puts on the system pool, with its pods and requests", () => {
    const deployments = renderedDeployments(result);
    expect(deployments.map((d) => d.name).sort()).toEqual(["backend", "frontend"]);
    for (const deployment of deployments) {
      expect({ name: deployment.name, pods: entry(deployment.name).pods, cpu: entry(deployment.name).requests.cpu, memory: entry(deployment.name).requests.memory }).toEqual({
        name: deployment.name,
        pods: deployment.pods,
        cpu: deployment.cpu,
        memory: deployment.memory,
      });
    }
  });

  it("counts at least what the monitoring chart's values request for each of its pods", () => {
    const values = plannedOne(result, "kubernetes:helm.sh/v4:Chart", "monitoring-kube-prometheus-stack").inputs.values as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const requested: [string, { cpu: string; memory: string }][] = [
      ["prometheus", values.prometheus.prometheusSpec.resources.requests],
      ["alertmanager", values.alertmanager.alertmanagerSpec.resources.requests],
      ["prometheus-operator", values.prometheusOperator.resources.requests],
      ["kube-state-metrics", values["kube-state-metrics"].resources.requests],
      ["node-exporter", values["prometheus-node-exporter"].resources.requests],
    ];
    const grafana = values.grafana;
    requested.push(["grafana", { cpu: String(cpu(grafana.resources.requests.cpu) + cpu(grafana.sidecar.resources.requests.cpu)), memory: String(cpu(grafana.resources.requests.memory) + cpu(grafana.sidecar.resources.requests.memory)) }]);
    for (const [name, requests] of requested) {
      expect({ name, cpu: entry(name).requests.cpu >= cpu(requests.cpu), memory: entry(name).requests.memory >= cpu(requests.memory) }).toEqual({ name, cpu: true, memory: true });
    }
  });
});
