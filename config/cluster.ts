/** Where the stack deploys: an existing cluster from a kubeconfig, or an EKS cluster the stack creates. */
import { z } from "zod";
import { realArn } from "./arn";
import { gpuInstanceSpec, hasInstancePrice, pricedFamilies, PRICED_REGIONS } from "../tools/cost/prices";
import { isRepository } from "./image";
import { positiveInt } from "./primitives";
import { instanceSize } from "./system-pool";

const instanceType = z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/, { message: "expected an EC2 instance type such as g5.xlarge" });
const exactChartVersion = z.string().regex(/^\d+\.\d+\.\d+$/, { message: "expected an exact chart version such as 1.2.3" });

type NodeGroupDefaults = { instanceTypes: string[]; minSize: number; maxSize: number; desiredSize: number; diskSizeGiB: number };

const nodeGroupShape = (defaults: NodeGroupDefaults) => ({
  instanceTypes: z.array(instanceType).min(1).default(defaults.instanceTypes),
  minSize: positiveInt.min(0).default(defaults.minSize),
  maxSize: positiveInt.min(1).default(defaults.maxSize),
  desiredSize: positiveInt.min(0).default(defaults.desiredSize),
  diskSizeGiB: positiveInt.min(20).default(defaults.diskSizeGiB),
  /** On-demand, or spot (cheaper, may be reclaimed with two minutes' notice). */
  capacityType: z.enum(["on-demand", "spot"], { error: 'expected "on-demand" or "spot"' }).default("on-demand"),
});

const nodeGroup = <Shape extends ReturnType<typeof nodeGroupShape>>(shape: Shape) =>
  z
    .strictObject(shape)
    // Every key has a default, so an absent group parses as {}; TypeScript cannot see that through `Shape`.
    .prefault({} as never)
    .superRefine((group, ctx) => {
      const { minSize, desiredSize, maxSize } = group as { minSize: number; desiredSize: number; maxSize: number };
      if (minSize > desiredSize || desiredSize > maxSize) {
        ctx.addIssue({
          code: "custom",
          path: ["desiredSize"],
          message: `expected minSize <= desiredSize <= maxSize (found ${minSize} <= ${desiredSize} <= ${maxSize})`,
          input: desiredSize,
        });
      }
    });

const network = z
  .discriminatedUnion("type", [
    /** A new VPC with public and private subnets in `availabilityZones` zones; nodes live in the private ones. */
    z.strictObject({
      type: z.literal("new"),
      // Public subnets get 1/64 of the VPC each; below /22 they would be smaller than the /28 AWS allows.
      cidrBlock: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|2[0-2])$/, { message: "expected an IPv4 CIDR from /16 to /22 such as 10.0.0.0/16" }).default("10.0.0.0/16"),
      availabilityZones: positiveInt.min(2, { message: "expected at least 2 availability zones" }).max(6).default(2),
      /** One NAT gateway for the whole VPC (cheap), or one per zone (a zone outage does not cut the others off). */
      natGateways: z.enum(["single", "per-zone"], { error: 'expected "single" or "per-zone"' }).default("single"),
    }),
    /** An existing VPC; its private subnets (two zones at least) host the nodes. */
    z.strictObject({
      type: z.literal("existing"),
      vpcId: z.string().regex(/^vpc-[0-9a-f]+$/, { message: "expected a VPC ID such as vpc-0abc123" }),
      privateSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, { message: "expected a subnet ID such as subnet-0abc123" })).min(2, { message: "expected at least 2 private subnets" }),
      publicSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, { message: "expected a subnet ID such as subnet-0abc123" })).default([]),
    }),
  ], { error: 'expected type to be "new" or "existing"' })
  .prefault({ type: "new" });

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/**
 * Karpenter (the official chart), and the GPU NodePool it launches nodes for: nodes exist only while a pod that
 * tolerates the GPU taint waits for one, and go away once empty.
 */
// verified: aws/karpenter-provider-aws charts/karpenter/Chart.yaml and tag v1.14.1 (2026-08-21): chart 1.14.1, the
// one the v1.14 getting-started guide installs from oci://public.ecr.aws/karpenter/karpenter.
export const KARPENTER_CHART_VERSION = "1.14.1";
const karpenter = z
  .strictObject({
    enabled: z.boolean({ error: "expected true or false" }).default(true),
    chartVersion: exactChartVersion.default(KARPENTER_CHART_VERSION),
    /**
     * EKS-optimized AL2023 AMI release (`v20260801`), or `latest`. `latest` drifts every GPU node to each new AMI;
     * Karpenter's docs advise pinning in production once a release has been tried elsewhere.
     */
    amiVersion: z.string().regex(/^(latest|v\d{8})$/, { message: "expected latest or an AMI release such as v20260801" }).default("latest"),
    gpuPool: z
      .strictObject({
        /** Exact GPU instance types, in order of preference; the NodePool may launch any of them. */
        instanceTypes: z.array(instanceType).min(1).default(["g5.xlarge"]),
        /** on-demand, spot, or both (Karpenter then prefers spot and falls back to on-demand). */
        capacityTypes: z
          .array(z.enum(["on-demand", "spot"], { error: 'expected "on-demand" or "spot"' }))
          .min(1)
          .refine((types) => new Set(types).size === types.length, { message: "expected each capacity type once" })
          .default(["on-demand"]),
        diskSizeGiB: positiveInt.min(20).max(16384).default(200),
        /**
         * Zones GPU nodes may launch in: the first `zones` private subnets' zones. 1 (the default) keeps GPU nodes
         * where a gp3 cache is; more lets a wake-up find GPU capacity when one zone has none, and needs a cache every
         * zone reaches (`localModel.cache.storageClass: efs`, ReadWriteMany): an EBS volume attaches in its zone only.
         */
        zones: positiveInt.min(1, { message: "expected at least 1 zone" }).max(6).default(1),
        /** What the pool may hold at most, all nodes together: its cost ceiling. */
        limits: z
          .strictObject({
            gpus: positiveInt.min(1).default(2),
            cpu: positiveInt.min(1).default(16),
            memoryGiB: positiveInt.min(1).default(64),
          })
          .prefault({}),
        /** How long a GPU node stays after its last model-server pod left, before Karpenter removes it. */
        consolidateAfter: z.string().regex(/^\d+(s|m|h)$/, { message: "expected a duration such as 30s, 10m or 1h" }).default("10m"),
      })
      .prefault({}),
    /**
     * CPU nodes on demand, beside the fixed system pool: nothing else grows the cluster (no Cluster Autoscaler; the
     * system node group stays at its desired size), so the backend's and frontend's HPAs could not reach their
     * maxima without it. No taint: whatever does not fit on the system pool lands here, and Karpenter removes a
     * node once its pods fit elsewhere. The capacity rule (schema.ts) checks that both pools together hold the
     * workloads at their autoscaling maxima.
     */
    cpuPool: z
      .strictObject({
        enabled: z.boolean({ error: "expected true or false" }).default(true),
        /** Exact CPU instance types; Karpenter launches the cheapest that fits the pending pods. */
        instanceTypes: z.array(instanceType).min(1).default(["m6i.xlarge", "m6i.2xlarge"]),
        /** on-demand, spot, or both (Karpenter then prefers spot and falls back to on-demand). */
        capacityTypes: z
          .array(z.enum(["on-demand", "spot"], { error: 'expected "on-demand" or "spot"' }))
          .min(1)
          .refine((types) => new Set(types).size === types.length, { message: "expected each capacity type once" })
          .default(["on-demand", "spot"]),
        diskSizeGiB: positiveInt.min(20).max(16384).default(50),
        /** What the pool may hold at most, all nodes together: its cost ceiling. */
        limits: z
          .strictObject({
            cpu: positiveInt.min(1).default(16),
            memoryGiB: positiveInt.min(1).default(64),
          })
          .prefault({}),
        /** How long an empty or underused node stays before Karpenter removes it or moves its pods. */
        consolidateAfter: z.string().regex(/^\d+(s|m|h)$/, { message: "expected a duration such as 30s, 10m or 1h" }).default("5m"),
      })
      .prefault({}),
  })
  .prefault({});

/** KEDA (kedacore/charts), installed when a model server scales on its own metrics. */
// verified: kedacore/charts keda/Chart.yaml at tag v2.20.2 (2026-07-31): chart and app 2.20.2.
export const KEDA_CHART_VERSION = "2.20.2";
const keda = z
  .strictObject({
    /** false when the cluster runs KEDA already (its CRDs are cluster-wide, one install per cluster). */
    install: z.boolean({ error: "expected true or false" }).default(true),
    chartVersion: exactChartVersion.default(KEDA_CHART_VERSION),
  })
  .prefault({});

interface PricedPools {
  region?: unknown;
  systemNodes?: { instanceTypes?: unknown };
  gpuNodes?: { instanceTypes?: unknown };
  karpenter?: { gpuPool?: { instanceTypes?: unknown }; cpuPool?: { instanceTypes?: unknown } };
}

/** The cost estimate prices every node: a region or instance type without a price is refused, never costed at $0. */
function pricedRegionAndInstanceTypes(cluster: PricedPools, ctx: z.RefinementCtx) {
  const region = cluster.region;
  if (typeof region !== "string" || !REGION.test(region)) return;
  if (!PRICED_REGIONS.includes(region)) {
    ctx.addIssue({ code: "custom", path: ["region"], message: `expected a region the cost estimate has prices for (${PRICED_REGIONS.join(", ")}; add one in tools/cost/prices.ts)`, input: region });
    return;
  }
  const pools: [PropertyKey[], unknown][] = [
    [["systemNodes", "instanceTypes"], cluster.systemNodes?.instanceTypes],
    [["gpuNodes", "instanceTypes"], cluster.gpuNodes?.instanceTypes],
    [["karpenter", "gpuPool", "instanceTypes"], cluster.karpenter?.gpuPool?.instanceTypes],
    [["karpenter", "cpuPool", "instanceTypes"], cluster.karpenter?.cpuPool?.instanceTypes],
  ];
  for (const [path, types] of pools) {
    if (!Array.isArray(types)) continue;
    types.forEach((type, index) => {
      if (typeof type === "string" && !hasInstancePrice(region, type)) {
        ctx.addIssue({
          code: "custom",
          path: [...path, index],
          message: `expected an EC2 instance type with a ${region} price in tools/cost/prices.ts (families ${pricedFamilies(region).join(", ")})`,
          input: type,
        });
      } else if (path[1] === "cpuPool" && typeof type === "string" && (gpuInstanceSpec(type) || !instanceSize(type) || /^[a-z]\d+g\./.test(type))) {
        // The capacity rule and the estimate need the type's size; a GPU type would put GPU prices on CPU pods.
        ctx.addIssue({ code: "custom", path: [...path, index], message: "expected a CPU instance type whose size config/system-pool.ts knows (m5, m6i, m6a, m7i, m7a, c6i, r6i, t3)", input: type });
      } else if (path[1] === "gpuPool" && typeof type === "string" && !gpuInstanceSpec(type)) {
        // The NodePool's cost ceiling comes from its limits divided by each type's GPUs, CPUs and memory.
        ctx.addIssue({ code: "custom", path: [...path, index], message: "expected a GPU instance type of the g5, g6 or g6e families (tools/cost/prices.ts GPU_INSTANCE_SPECS)", input: type });
      }
    });
  }
}
/** An IAM role or user ARN, the identity an EKS access entry names. */
const iamPrincipalArn = realArn(
  z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@\/-]+$/, { message: "expected an IAM role or user ARN such as arn:aws:iam::<account>:role/ci-deployer" }),
  "IAM role or user",
);

const ipv4Cidr = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/([0-9]|[12]\d|3[0-2])$/, { message: "expected an IPv4 CIDR such as 203.0.113.0/24" });

const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export const eksClusterSchema = z.strictObject({
  type: z.literal("eks"),
  region: z.string().regex(REGION, { message: "expected an AWS region such as us-west-2" }).default("us-west-2"),
  // A version past EKS standard support costs six times as much per cluster hour: move the default on with EKS.
  kubernetesVersion: z.string().regex(/^1\.\d{2}$/, { message: "expected a Kubernetes minor version such as 1.35" }).default("1.35"),
  network,
  // Sized from what the prod stack puts on the system pool (config/system-pool.ts sums it; the rule there keeps a
  // stack from asking for more than the pool holds at minSize): two m6i.large (1930m allocatable each) could not hold
  // the local-model phase's two 1500m backends beside Prometheus and the cluster's own pods.
  systemNodes: nodeGroup(nodeGroupShape({ instanceTypes: ["m6i.xlarge"], minSize: 2, maxSize: 4, desiredSize: 2, diskSizeGiB: 50 })),
  /** A fixed managed GPU node group; off by default: Karpenter's GPU NodePool brings GPU nodes when pods need them. */
  gpuNodes: nodeGroup({
    enabled: z.boolean({ error: "expected true or false" }).default(false),
    ...nodeGroupShape({ instanceTypes: ["g5.xlarge"], minSize: 1, maxSize: 2, desiredSize: 1, diskSizeGiB: 200 }),
  }),
  karpenter,
  keda,
  /**
   * IAM roles and users (besides whoever creates the cluster) that get cluster-admin through EKS access entries:
   * the CI role that runs `pulumi up`, teammates' roles. Without them only the cluster's creator can reach it.
   */
  adminPrincipals: z.array(iamPrincipalArn).default([]),
  /** CIDRs allowed to reach the public API endpoint; narrow it to the CI runners' and offices' addresses. */
  publicAccessCidrs: z.array(ipv4Cidr).min(1, { message: "expected at least one CIDR (the endpoint is public)" }).default(["0.0.0.0/0"]),
  /** Control-plane log types sent to CloudWatch. */
  logTypes: z.array(z.enum(["api", "audit", "authenticator", "controllerManager", "scheduler"])).default(["api", "audit", "authenticator"]),
  /** Days CloudWatch keeps control-plane logs; one of the retention periods CloudWatch offers. */
  logRetentionDays: z
    .number({ error: "expected a number of days" })
    .refine((days) => LOG_RETENTION_DAYS.includes(days), { message: `expected one of CloudWatch's retention periods (${LOG_RETENTION_DAYS.join(", ")})` })
    .default(30),
  storage: z
    .strictObject({
      /** An EFS file system and an `efs` StorageClass (ReadWriteMany), for several model-server replicas on one cache. */
      efs: z.boolean({ error: "expected true or false" }).default(false),
    })
    .prefault({}),
  devicePlugin: z
    .strictObject({
      /** NVIDIA's nvidia-device-plugin chart; pinned so that a preview never changes under a reviewer. */
      // verified: NVIDIA/k8s-device-plugin gh-pages index.yaml (generated 2026-08-20) tops out at 0.20.0; 0.20.1 is
      // not published.
      chartVersion: z.string().regex(/^\d+\.\d+\.\d+$/, { message: "expected an exact chart version such as 0.20.0" }).default("0.20.0"),
    })
    .prefault({}),
  loadBalancerController: z
    .strictObject({
      /**
       * The AWS Load Balancer Controller chart (https://aws.github.io/eks-charts), which serves the frontend's Ingress
       * as an ALB. verified: aws/eks-charts gh-pages index.yaml, 3.5.0 (appVersion v3.5.0), published 2026-08-03.
       */
      chartVersion: z.string().regex(/^\d+\.\d+\.\d+$/, { message: "expected an exact chart version such as 3.5.0" }).default("3.5.0"),
    })
    .prefault({}),
  /** ECR repositories the stack creates for the images it builds. */
  registry: z
    .strictObject({
      /** Untagged images (left behind when a tag moves) are deleted after this many days. */
      untaggedImageExpiryDays: positiveInt.min(1, { message: "expected at least 1 day" }).default(14),
      /**
       * An ECR pull-through cache for Docker Hub: the model-server images (vllm/vllm-openai, ollama/ollama) are pulled
       * through the stack's ECR, by the same digest, so a GPU node waking up never depends on Docker Hub's anonymous
       * pull limits through the VPC's one NAT address. Docker Hub upstreams need a login (dockerHubUsername,
       * dockerHubAccessToken secrets), kept in Secrets Manager under the `ecr-pullthroughcache/` prefix ECR requires.
       */
      dockerHubCache: z.boolean({ error: "expected true or false" }).default(false),
    })
    .prefault({}),
}).superRefine(pricedRegionAndInstanceTypes, { when: (payload) => typeof payload.value === "object" && payload.value !== null });

const REGISTRY_SERVER = "expected a registry host with an optional port, such as localhost:5001 or registry.example.com";

/**
 * A registry that the stack pushes the images it builds to, and that the cluster pulls them from by digest: kind's
 * local registry (`localhost:5001`, which kind's nodes resolve to the registry container), or any registry the
 * Docker engine running `pulumi up` is logged in to.
 */
const existingRegistry = z.strictObject({
  /** Host and optional port; the first part of every image name pushed. */
  server: z
    .string({ error: REGISTRY_SERVER })
    // Docker reads the first part of a name as a registry only if it has a dot or a port, or is localhost.
    .refine((server) => /[.:]/.test(server) || server === "localhost", { message: REGISTRY_SERVER })
    .refine((server) => isRepository(`${server}/x`), { message: REGISTRY_SERVER }),
  /** Repository path under the server; each built workload is pushed to `<server>/<prefix>/<workload>`. */
  repositoryPrefix: z
    .string()
    .refine((prefix) => isRepository(prefix) && !prefix.includes("."), { message: "expected a repository path such as ai-assistant" })
    .default("ai-assistant"),
});

export const kubeconfigClusterSchema = z.strictObject({
  type: z.literal("kubeconfig"),
  /** kubeconfig context to use; the file's current context when absent. */
  context: z.string().min(1).optional(),
  /** Path to a kubeconfig file; `$KUBECONFIG` or ~/.kube/config when absent. */
  kubeconfigPath: z.string().min(1).optional(),
  /**
   * metrics-server, without which no HorizontalPodAutoscaler can scale (kind, and many bare clusters, ship none).
   * `install` when the cluster lacks one; `kubeletInsecureTls` for clusters whose kubelets serve self-signed
   * certificates (kind, minikube).
   */
  metricsServer: z
    .strictObject({
      install: z.boolean({ error: "expected true or false" }).default(false),
      kubeletInsecureTls: z.boolean({ error: "expected true or false" }).default(false),
    })
    .prefault({}),
  /**
   * The cluster's Kubernetes minor version, when known: from 1.30 the app pods' preStop hook uses the native `sleep`
   * action; unknown or older, it runs `sleep` in the container (components/app/shutdown.ts).
   */
  kubernetesVersion: z.string().regex(/^1\.\d{2}$/, { message: "expected a Kubernetes minor version such as 1.35" }).optional(),
  /** Whether the cluster runs kube-proxy (false for Cilium's kube-proxy replacement): monitoring scrapes it only then. */
  kubeProxy: z.boolean({ error: "expected true or false" }).default(true),
  /**
   * Whether Prometheus can reach the control plane's scheduler, controller manager and etcd from a pod. kind (like
   * any kubeadm cluster left at its defaults) binds their metrics to 127.0.0.1 of the control-plane node, so their
   * targets are down and the chart's absent() alerts fire forever: false turns those three monitors and their rules off.
   */
  controlPlaneMetrics: z.boolean({ error: "expected true or false" }).default(true),
  /** Other stacks deploy to this cluster too: monitoring (cluster-wide CRDs, node-exporter's host port) cannot be installed twice. */
  shared: z.boolean({ error: "expected true or false" }).default(false),
  keda,
  /** Where builds are pushed; without it they stay in the local Docker engine (`kind load docker-image`). */
  registry: existingRegistry.optional(),
});

export const clusterSchema = z
  .discriminatedUnion("type", [kubeconfigClusterSchema, eksClusterSchema], {
    error: 'expected type to be "kubeconfig" or "eks"',
  })
  .prefault({ type: "kubeconfig" });

export type ClusterConfig = z.output<typeof clusterSchema>;
export type EksClusterConfig = z.output<typeof eksClusterSchema>;
export type KarpenterConfig = EksClusterConfig["karpenter"];
export type KedaConfig = EksClusterConfig["keda"];
export type ExistingRegistryConfig = z.output<typeof existingRegistry>;
