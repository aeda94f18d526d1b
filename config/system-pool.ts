/**
 * What must fit on the EKS system node pool, and what that pool can hold. Everything that does not ask for a GPU
 * lands on the system pool (the GPU pool is tainted): the assistant's frontend and backend, the monitoring stack,
 * metrics-server and the cluster's own add-ons. A pool too small for them leaves pods Pending with nothing in the
 * stack file pointing at why, so the config rule in schema.ts compares the two before anything is deployed.
 */
import { VALKEY_EXPORTER_RESOURCES } from "./shared-state";
import { parseQuantity } from "./quantity";

/** CPU (cores) and memory (bytes) requested. */
export interface Requests {
  cpu: number;
  memory: number;
}

/** One kind of pod on the system pool: how many run, and what each requests. */
export interface PoolPod {
  name: string;
  pods: number;
  requests: Requests;
}

const Mi = 2 ** 20;
const Gi = 2 ** 30;
const cpu = (text: string) => parseQuantity(text) ?? 0;
const bytes = (text: string) => parseQuantity(text) ?? 0;

/** Requests of the monitoring chart's pods whose sizes the stack file does not set (monitoring-values.ts sets them). */
export const MONITORING_COMPONENT_RESOURCES = {
  prometheusOperator: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
  kubeStateMetrics: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
  alertmanager: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
  nodeExporter: { requests: { cpu: "20m", memory: "32Mi" }, limits: { cpu: "250m", memory: "64Mi" } },
  grafanaSidecar: { requests: { cpu: "20m", memory: "96Mi" }, limits: { cpu: "200m", memory: "192Mi" } },
} as const;

/** metrics-server's own requests: the chart's values.yaml default (kubernetes-sigs/metrics-server, chart 3.13.1). */
export const METRICS_SERVER_RESOURCES = { requests: { cpu: "100m", memory: "200Mi" }, limits: { cpu: "500m", memory: "400Mi" } } as const;

/**
 * Karpenter's controller: two replicas (the chart's default, spread over nodes), sized as the v1.14 getting-started
 * guide runs it for memory (1Gi: it holds every EC2 instance type and offering) with half its CPU request.
 */
export const KARPENTER_RESOURCES = { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } } as const;
export const KARPENTER_REPLICAS = 2;

/**
 * The AWS Load Balancer Controller, which every eks stack installs: two replicas, the chart's default
 * (aws/eks-charts stable/aws-load-balancer-controller/values.yaml `replicaCount: 2`, chart 3.5.0).
 */
export const LOAD_BALANCER_CONTROLLER_RESOURCES = { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } } as const;
export const LOAD_BALANCER_CONTROLLER_REPLICAS = 2;

/** KEDA's operator, metrics API server and admission webhooks: the chart's values.yaml defaults (kedacore/charts 2.20.2). */
/** The CloudNativePG operator: one controller reconciling a few Clusters (the chart sets no resources of its own). */
export const CNPG_OPERATOR_RESOURCES = { requests: { cpu: "100m", memory: "200Mi" }, limits: { cpu: "500m", memory: "400Mi" } } as const;
export const KEDA_RESOURCES = { requests: { cpu: "100m", memory: "100Mi" }, limits: { cpu: "1", memory: "1000Mi" } } as const;
export const KEDA_PODS = ["operator", "metricServer", "webhooks"] as const;
/**
 * Argo Rollouts' controller (delivery.strategy canary): two replicas with leader election, the chart's default
 * (argo-helm charts/argo-rollouts/values.yaml 2.41.0 `controller.replicas: 2`; its `resources` are empty, so ours).
 */
export const ARGO_ROLLOUTS_REPLICAS = 2;
export const ARGO_ROLLOUTS_RESOURCES = { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } } as const;

/**
 * The cluster's own pods on EKS, as their default manifests request them (estimates: the add-ons' versions move
 * with EKS): CoreDNS (two replicas, 100m/70Mi each), the EBS CSI controller (two replicas of six small
 * containers), the prometheus-operator's config-reloader sidecars (10m/50Mi by the operator's default); per node
 * aws-node (25m), kube-proxy (100m) and the EBS CSI node plugin (three containers).
 */
const EKS_CLUSTER_PODS: PoolPod[] = [
  { name: "coredns", pods: 2, requests: { cpu: 0.1, memory: 70 * Mi } },
  { name: "ebs-csi-controller", pods: 2, requests: { cpu: 0.06, memory: 240 * Mi } },
];
const EKS_PER_NODE: Requests = { cpu: 0.025 + 0.1 + 0.03, memory: 120 * Mi };
const CONFIG_RELOADER: Requests = { cpu: 0.01, memory: 50 * Mi };

const requestsOf = (resources: { requests: { cpu: string; memory: string } }): Requests => ({
  cpu: cpu(resources.requests.cpu),
  memory: bytes(resources.requests.memory),
});
const plus = (a: Requests, b: Requests): Requests => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory });

interface WorkloadSettings {
  replicas: number;
  autoscaling: { enabled: boolean; minReplicas: number; maxReplicas?: number };
  resources: { requests: { cpu: string; memory: string } };
}

/** Pods a workload runs when idle: the HPA's lower bound, or its fixed replica count. */
export function idlePods(workload: WorkloadSettings): number {
  return workload.autoscaling.enabled ? workload.autoscaling.minReplicas : workload.replicas;
}

/** Pods a workload runs under full load: the HPA's upper bound, or its fixed replica count. */
export function peakPods(workload: WorkloadSettings & { autoscaling: { maxReplicas?: number } }): number {
  return workload.autoscaling.enabled ? (workload.autoscaling.maxReplicas ?? workload.autoscaling.minReplicas) : workload.replicas;
}

/**
 * The pods that only a load peak adds: each autoscaled app workload's replicas above its minimum. They land on the
 * system pool where it has room and on Karpenter's CPU pool beyond that.
 */
export function peakExtraPods(inputs: Pick<SystemPoolInputs, "frontend" | "backend">): PoolPod[] {
  return (["frontend", "backend"] as const).map((name) => ({
    name: `${name} (peak)`,
    pods: peakPods(inputs[name]) - idlePods(inputs[name]),
    requests: requestsOf(inputs[name].resources),
  }));
}

export interface SystemPoolInputs {
  frontend: WorkloadSettings;
  backend: WorkloadSettings;
  monitoring: {
    enabled: boolean;
    prometheusResources: { requests: { cpu: string; memory: string } };
    grafanaResources: { requests: { cpu: string; memory: string } };
  };
  /** Nodes in the pool: per-node daemons run on each. */
  nodes: number;
  /** Karpenter's controller runs here (never on the nodes it manages). */
  karpenter?: boolean;
  /** KEDA runs here (the stack installs it for its scaled model servers). */
  keda?: boolean;
  /** Argo Rollouts' controller runs here (delivery.strategy canary with delivery.argoRollouts.install). */
  argoRollouts?: boolean;
  /** The stack's Valkey (valkey.enabled): its container's requests; the exporter beside it is added here. */
  valkey?: { requests: { cpu: string; memory: string } };
  /** The knowledge base (knowledge.enabled): its Postgres instances and, when the stack installs it, the CloudNativePG operator. */
  knowledge?: { instances: number; resources: { requests: { cpu: string; memory: string } }; operator: boolean };
}

/** Every pod that must land on the system pool, with its requests: the stack's own, the charts', the cluster's. */
export function systemPoolPods(inputs: SystemPoolInputs): PoolPod[] {
  const pods: PoolPod[] = [
    { name: "frontend", pods: idlePods(inputs.frontend), requests: requestsOf(inputs.frontend.resources) },
    { name: "backend", pods: idlePods(inputs.backend), requests: requestsOf(inputs.backend.resources) },
    { name: "metrics-server", pods: 1, requests: requestsOf(METRICS_SERVER_RESOURCES) },
    { name: "aws-load-balancer-controller", pods: LOAD_BALANCER_CONTROLLER_REPLICAS, requests: requestsOf(LOAD_BALANCER_CONTROLLER_RESOURCES) },
  ];
  if (inputs.monitoring.enabled) {
    const component = MONITORING_COMPONENT_RESOURCES;
    pods.push(
      { name: "prometheus", pods: 1, requests: plus(requestsOf(inputs.monitoring.prometheusResources), CONFIG_RELOADER) },
      { name: "grafana", pods: 1, requests: plus(requestsOf(inputs.monitoring.grafanaResources), requestsOf(component.grafanaSidecar)) },
      { name: "alertmanager", pods: 1, requests: plus(requestsOf(component.alertmanager), CONFIG_RELOADER) },
      { name: "prometheus-operator", pods: 1, requests: requestsOf(component.prometheusOperator) },
      { name: "kube-state-metrics", pods: 1, requests: requestsOf(component.kubeStateMetrics) },
      { name: "node-exporter", pods: inputs.nodes, requests: requestsOf(component.nodeExporter) },
    );
  }
  if (inputs.karpenter) pods.push({ name: "karpenter", pods: Math.min(KARPENTER_REPLICAS, inputs.nodes), requests: requestsOf(KARPENTER_RESOURCES) });
  if (inputs.valkey) pods.push({ name: "valkey", pods: 1, requests: plus(requestsOf(inputs.valkey), requestsOf(VALKEY_EXPORTER_RESOURCES)) });
  if (inputs.argoRollouts) pods.push({ name: "argo-rollouts", pods: ARGO_ROLLOUTS_REPLICAS, requests: requestsOf(ARGO_ROLLOUTS_RESOURCES) });
  if (inputs.knowledge) {
    pods.push({ name: "knowledge-postgres", pods: inputs.knowledge.instances, requests: requestsOf(inputs.knowledge.resources) });
    if (inputs.knowledge.operator) pods.push({ name: "cloudnative-pg", pods: 1, requests: requestsOf(CNPG_OPERATOR_RESOURCES) });
  }
  if (inputs.keda) pods.push(...KEDA_PODS.map((name) => ({ name: `keda-${name}`, pods: 1, requests: requestsOf(KEDA_RESOURCES) })));
  pods.push(...EKS_CLUSTER_PODS, { name: "eks-node-daemons", pods: inputs.nodes, requests: EKS_PER_NODE });
  return pods;
}

export function totalRequests(pods: PoolPod[]): Requests {
  return pods.reduce((sum, pod) => ({ cpu: sum.cpu + pod.pods * pod.requests.cpu, memory: sum.memory + pod.pods * pod.requests.memory }), { cpu: 0, memory: 0 });
}

/** vCPUs, memory (GiB) and ENI limits of the instance types the pool is likely to use (EC2's published sizes). */
const INSTANCE_TYPES: Record<string, { vcpu: number; memoryGiB: number; enis: number; ipsPerEni: number }> = {};
const family = (names: string[], sizes: [string, number, number, number, number][]) => {
  for (const name of names) for (const [size, vcpu, memoryGiB, enis, ipsPerEni] of sizes) INSTANCE_TYPES[`${name}.${size}`] = { vcpu, memoryGiB, enis, ipsPerEni };
};
// ENIs and addresses per ENI: awslabs/amazon-eks-ami nodeadm/internal/kubelet/instance-info.jsonl (2026-07).
const GENERAL: [string, number, number, number, number][] = [["large", 2, 8, 3, 10], ["xlarge", 4, 16, 4, 15], ["2xlarge", 8, 32, 4, 15], ["4xlarge", 16, 64, 8, 30]];
family(["m5", "m6i", "m6a", "m7i", "m7a", "m6g", "m7g"], GENERAL);
family(["c6i"], GENERAL.map(([size, vcpu, memoryGiB, enis, ips]) => [size, vcpu, memoryGiB / 2, enis, ips]));
family(["r6i"], GENERAL.map(([size, vcpu, memoryGiB, enis, ips]) => [size, vcpu, memoryGiB * 2, enis, ips]));
family(["t3"], [["medium", 2, 4, 3, 6], ["large", 2, 8, 3, 12], ["xlarge", 4, 16, 4, 15], ["2xlarge", 8, 32, 4, 15]]);

/** vCPUs and memory (GiB) of an instance type this table knows; undefined otherwise. */
export function instanceSize(instanceType: string): { vcpu: number; memoryGiB: number } | undefined {
  const type = INSTANCE_TYPES[instanceType];
  return type && { vcpu: type.vcpu, memoryGiB: type.memoryGiB };
}

/**
 * CPU EKS's AL2023 nodes keep for the kubelet and runtime: 6% of the first core, 1% of the second, 0.5% of the
 * next two, 0.25% of the rest (awslabs/amazon-eks-ami nodeadm/internal/kubelet/config.go, getCPUMillicoresToReserve).
 */
export function kubeReservedCpu(vcpu: number): number {
  const ranges: [number, number, number][] = [[0, 1, 0.06], [1, 2, 0.01], [2, 4, 0.005], [4, Infinity, 0.0025]];
  return ranges.reduce((sum, [start, end, share]) => sum + Math.max(0, Math.min(vcpu, end) - start) * share, 0);
}

/**
 * What one node of `instanceType` offers pods, or undefined for a type this table does not know.
 * Memory: the kubelet sees about 6% less than the nominal size (kernel and firmware keep it; a conservative
 * allowance), minus kube-reserved (11 MiB per pod of maxPods + 255 MiB, maxPods = ENIs x (IPs per ENI - 1) + 2)
 * and the 100Mi hard eviction threshold (same nodeadm source).
 */
export function allocatable(instanceType: string): Requests | undefined {
  const type = INSTANCE_TYPES[instanceType];
  if (!type) return undefined;
  const maxPods = type.enis * (type.ipsPerEni - 1) + 2;
  const memory = type.memoryGiB * Gi * 0.94 - (11 * maxPods + 255) * Mi - 100 * Mi;
  return { cpu: type.vcpu - kubeReservedCpu(type.vcpu), memory };
}

/**
 * What Karpenter's CPU pool offers pods at its limits: as many nodes of its smallest type as the CPU and memory
 * limits allow (Karpenter counts a node's full capacity against them), each node's allocatable less the daemons
 * every node runs (the EKS ones, and node-exporter when monitoring is on). Undefined for a type this table does
 * not know.
 */
export function karpenterPoolCapacity(pool: { instanceTypes: string[]; limits: { cpu: number; memoryGiB: number } }, monitoring: boolean): Requests | undefined {
  const types = pool.instanceTypes.map((name) => ({ name, size: INSTANCE_TYPES[name], allocatable: allocatable(name) }));
  if (types.some((type) => !type.size || !type.allocatable)) return undefined;
  const smallest = [...types].sort((a, b) => a.size.vcpu - b.size.vcpu)[0];
  const nodes = Math.min(Math.floor(pool.limits.cpu / smallest.size.vcpu), Math.floor(pool.limits.memoryGiB / smallest.size.memoryGiB));
  const daemons = monitoring ? plus(EKS_PER_NODE, requestsOf(MONITORING_COMPONENT_RESOURCES.nodeExporter)) : EKS_PER_NODE;
  return { cpu: nodes * (smallest.allocatable!.cpu - daemons.cpu), memory: nodes * (smallest.allocatable!.memory - daemons.memory) };
}

/** Smallest allocatable of the pool's instance types (a node group may launch any of them); undefined if unknown. */
export function poolNodeAllocatable(instanceTypes: string[]): Requests | undefined {
  const sizes = instanceTypes.map(allocatable);
  if (sizes.some((size) => size === undefined)) return undefined;
  const known = sizes as Requests[];
  return { cpu: Math.min(...known.map((s) => s.cpu)), memory: Math.min(...known.map((s) => s.memory)) };
}

export const formatCpu = (cores: number) => `${Math.round(cores * 1000)}m`;
export const formatMemory = (memory: number) => `${(memory / Gi).toFixed(1)}Gi`;
