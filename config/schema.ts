/**
 * The single source of truth for what a stack file may say. Every key under `ai-assistant:` in
 * `Pulumi.<stack>.yaml` is described here; anything else is an error, so a typo never passes silently.
 */
import { z } from "zod";
import { backendServiceSettings } from "./backend-service";
import { clusterSchema } from "./cluster";
import { costRules, costSchema } from "./cost";
import { deliverySchema } from "./delivery";
import { modelServerCanaryRules } from "./model-server-canary";
import { exposureSchema } from "./exposure";
import { featureRules, featuresSchema } from "./features";
import { ImageReference } from "./image";
import { ImageSource, isImageBuild } from "./image-build";
import { knowledgeInstances, knowledgeRules, knowledgeSchema } from "./knowledge";
import { monitoringSchema } from "./monitoring";
import { networkPoliciesSchema } from "./network-policies";
import { BACKEND_RESOURCES, hostedApiSchema, isKedaScaled, localModelSchema, Phase, PHASES } from "./phases";
import { retentionDays } from "./primitives";
import { MOCK_MODEL } from "../lib/backend-env";
import { parseClientApiKeys, RENDER_PLACEHOLDER, valkeyEnabled, valkeyRules, valkeySchema } from "./shared-state";
import { formatCpu, formatMemory, poolNodeAllocatable, karpenterPoolCapacity, peakExtraPods, systemPoolPods, totalRequests } from "./system-pool";
import { workloadSchema } from "./workload";

/** Keys whose values are secrets: they become Pulumi secrets and are never printed. */
export const SECRET_KEYS = [
  "apiKey",
  "huggingFaceToken",
  "grafanaAdminPassword",
  "oidcClientSecret",
  "alertSlackWebhookUrl",
  "alertPagerDutyRoutingKey",
  "valkeyPassword",
  "clientApiKeys",
  "dockerHubUsername",
  "dockerHubAccessToken",
  "knowledgeAdminKey",
] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];

const secretValue = z.string({ error: "expected a secret string" }).min(1, { message: "expected a non-empty secret" }).optional();

/** Locally built images (`docker build -f services/backend/Dockerfile -t ai-assistant/backend:dev .`), when a stack names none. */
export const DEFAULT_IMAGES: Record<"frontend" | "backend", ImageReference> = {
  frontend: { repository: "ai-assistant/frontend", tag: "dev" },
  backend: { repository: "ai-assistant/backend", tag: "dev" },
};

const FRONTEND_RESOURCES = { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "250m", memory: "128Mi" } };

/** Settings every phase has; the backend's default size depends on the phase. */
function commonSettings(phase: Phase) {
  return {
    /** Namespace every workload runs in; the stack creates it. */
    namespace: z
      .string()
      .max(63)
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: "expected a Kubernetes namespace name (lower case letters, digits, '-')" })
      .default("ai-assistant"),
    /** A production stack: pinned images, long retention, volumes kept on destroy. */
    production: z.boolean({ error: "expected true or false" }).default(false),
    cluster: clusterSchema,
    frontend: workloadSchema({ image: DEFAULT_IMAGES.frontend, resources: FRONTEND_RESOURCES }, { expose: exposureSchema }),
    backend: workloadSchema({ image: DEFAULT_IMAGES.backend, resources: BACKEND_RESOURCES[phase] }, backendServiceSettings),
    monitoring: monitoringSchema,
    /** Rolling update or canary (Argo Rollouts) for the frontend and backend (docs/delivery.md). */
    delivery: deliverySchema,
    cost: costSchema,
    networkPolicies: networkPoliciesSchema,
    /** The shared Valkey of the backend's limits and cache (docs/shared-state.md). */
    valkey: valkeySchema,
    /** The knowledge base: Postgres with pgvector run by CloudNativePG (docs/knowledge.md). */
    knowledge: knowledgeSchema,
    /** Feature flags of the backend and their rollout by percentage (docs/feature-flags.md). */
    features: featuresSchema,
    // Settings of the other phases may stay in the file, so that moving between phases changes `phase` alone.
    hostedApi: hostedApiSchema.optional(),
    localModel: localModelSchema.optional(),
    apiKey: secretValue,
    huggingFaceToken: secretValue,
    grafanaAdminPassword: secretValue,
    /** OIDC client secret of the sign-in in front of the chat (`frontend.expose.oidc`). */
    oidcClientSecret: secretValue,
    /** Slack incoming-webhook URL Alertmanager posts alerts to. */
    alertSlackWebhookUrl: secretValue,
    /** PagerDuty Events API v2 routing key Alertmanager pages with. */
    alertPagerDutyRoutingKey: secretValue,
    /** Valkey's password (`valkey.enabled`). */
    valkeyPassword: secretValue,
    /** Client API keys of the backend's API: a JSON object of key name to key (docs/shared-state.md). */
    // A JSON value arrives parsed (the engine parses structured config): either way it becomes the JSON text.
    clientApiKeys: z
      .union([z.string(), z.record(z.string(), z.unknown())], { error: 'expected a JSON object of key name to key, such as {"ci": "<key>"}' })
      .transform((value) => (typeof value === "string" ? value : JSON.stringify(value)))
      .optional(),
    /** Docker Hub account the ECR pull-through cache pulls as (`cluster.registry.dockerHubCache`). */
    dockerHubUsername: secretValue,
    /** A Docker Hub access token of that account (read-only public repositories is enough). */
    dockerHubAccessToken: secretValue,
    /** Bearer key of the knowledge base's admin API (`knowledge.enabled`); at least 16 characters. */
    knowledgeAdminKey: secretValue,
  };
}

const phaseSchema = z.discriminatedUnion(
  "phase",
  [
    z.strictObject({ phase: z.literal("mock"), ...commonSettings("mock") }),
    z.strictObject({ phase: z.literal("hosted-api"), ...commonSettings("hosted-api"), hostedApi: hostedApiSchema }),
    z.strictObject({ phase: z.literal("local-model"), ...commonSettings("local-model"), localModel: localModelSchema }),
  ],
  { error: `expected phase to be one of ${PHASES.map((p) => `"${p}"`).join(", ")}` },
);

/** `pulumi config set --secret` as the user must type it, for messages about a missing secret. */
export function setSecretCommand(key: SecretKey, stack: string): string {
  return `pulumi config set --secret ai-assistant:${key} <value> --stack ${stack}`;
}

/**
 * The full schema, with the rules that span sections. They run even when a section has problems of its own (so one
 * message lists everything), which is why they read the parsed value defensively. `stack` only shapes messages.
 */
export function stackConfigSchema(stack: string) {
  return phaseSchema.superRefine((config, ctx) => crossSectionRules(config, ctx, stack), {
    when: (payload) => typeof payload.value === "object" && payload.value !== null,
  });
}

type ParsedPhase = z.output<typeof phaseSchema>;

/** A secret the stack needs, and why (for messages). */
export interface RequiredSecret {
  key: SecretKey;
  why: string;
}

/**
 * The secrets a parsed stack needs before `pulumi up`; the others (`huggingFaceToken`) are optional. Exported so
 * that the offline render can tell a missing required secret (a placeholder, listed to set) from an optional one
 * left unset (rendered as unset).
 */
export function requiredSecrets(config: Partial<Pick<ParsedPhase, "phase" | "localModel" | "monitoring" | "frontend" | "cluster" | "valkey" | "production" | "knowledge">>): RequiredSecret[] {
  const localModel = config.phase === "local-model" ? config.localModel : undefined;
  const required: RequiredSecret[] = [];
  if (config.phase === "hosted-api" || localModel?.fallbackToHostedApi) required.push({ key: "apiKey", why: "the hosted LLM API's key" });
  if (config.monitoring?.enabled) {
    required.push({ key: "grafanaAdminPassword", why: "Grafana's admin password, because monitoring is enabled" });
    const receivers = Array.isArray(config.monitoring.alertReceivers) ? config.monitoring.alertReceivers : [];
    if (receivers.includes("slack")) required.push({ key: "alertSlackWebhookUrl", why: "the Slack webhook URL, because monitoring.alertReceivers names slack" });
    if (receivers.includes("pagerduty")) required.push({ key: "alertPagerDutyRoutingKey", why: "the PagerDuty routing key, because monitoring.alertReceivers names pagerduty" });
  }
  if (config.cluster?.type === "eks" && config.cluster.registry?.dockerHubCache) {
    const why = "the Docker Hub login of the ECR pull-through cache, because cluster.registry.dockerHubCache is true";
    required.push({ key: "dockerHubUsername", why }, { key: "dockerHubAccessToken", why });
  }
  const expose = config.frontend?.expose;
  if (config.cluster?.type === "eks" && expose?.type === "Ingress" && expose.oidc) {
    required.push({ key: "oidcClientSecret", why: "the OIDC client secret, because frontend.expose.oidc is set" });
  }
  if (config.valkey && valkeyEnabled(config.valkey)) {
    required.push({ key: "valkeyPassword", why: "Valkey's password, because valkey.enabled is true" });
  }
  if (config.knowledge?.enabled) {
    required.push({ key: "knowledgeAdminKey", why: "the knowledge base's admin API key, because knowledge.enabled is true" });
  }
  return required;
}

function crossSectionRules(config: ParsedPhase, ctx: z.RefinementCtx, stack: string) {
  for (const { key, why } of requiredSecrets(config)) {
    if (config[key] === undefined) {
      ctx.addIssue({ code: "custom", path: [key], message: `expected a secret (${why}); set it with \`${setSecretCommand(key, stack)}\``, input: undefined });
    }
  }
  const localModel = config.phase === "local-model" ? config.localModel : undefined;
  if (localModel?.fallbackToHostedApi && !config.hostedApi) {
    ctx.addIssue({ code: "custom", path: ["hostedApi"], message: "expected hostedApi settings, because localModel.fallbackToHostedApi is true", input: undefined });
  }
  if (config.monitoring?.enabled && config.cluster?.type === "kubeconfig" && config.cluster.shared) {
    ctx.addIssue({
      code: "custom",
      path: ["monitoring", "enabled"],
      message:
        "expected monitoring.enabled false on a shared cluster (cluster.shared true): kube-prometheus-stack's CRDs and node-exporter's host port 9100 are cluster-wide, so only one stack per cluster may install it; its release and object names already follow the stack",
      input: true,
    });
  }
  if (localModel) scalingRules(config, localModel, ctx);
  deliveryRules(config, ctx);
  modelServerCanaryRules(config, ctx);
  valkeyRules(config.valkey, ctx);
  knowledgeRules(config, ctx);
  knowledgeAdminKeyRule(config, ctx);
  featureRules(config.features, { servedModels: servedModels(config), responseCacheMode: config.backend?.responseCache?.mode }, ctx);
  clientKeyRules(config, ctx);
  if (config.cluster?.type === "eks") systemPoolRule(config, ctx);
  exposureRules(config, ctx);
  if (config.production === true) productionRules(config, ctx);
  costRules(config, ctx);
}

/**
 * A canary is judged on the stack's own Prometheus, and Argo Rollouts' CRDs and controller are cluster-wide: one
 * install per cluster, like kube-prometheus-stack's.
 */
function deliveryRules(config: ParsedPhase, ctx: z.RefinementCtx) {
  if (config.delivery?.strategy !== "canary") return;
  if (config.monitoring?.enabled === false) {
    ctx.addIssue({
      code: "custom",
      path: ["monitoring", "enabled"],
      message: "expected monitoring.enabled true with delivery.strategy canary: the canary's analysis queries the stack's Prometheus for its error rate and latency",
      input: false,
    });
  }
  if (config.delivery.argoRollouts?.install && config.cluster?.type === "kubeconfig" && config.cluster.shared) {
    ctx.addIssue({
      code: "custom",
      path: ["delivery", "argoRollouts", "install"],
      message: "expected delivery.argoRollouts.install false on a shared cluster (cluster.shared true): Argo Rollouts' CRDs and controller are cluster-wide, so install them once per cluster and let every stack use them",
      input: true,
    });
  }
}

/** The admin key must be one the backend accepts (KNOWLEDGE_ADMIN_KEY: at least 16 characters). The value is never shown. */
function knowledgeAdminKeyRule(config: ParsedPhase, ctx: z.RefinementCtx) {
  const key = config.knowledgeAdminKey;
  if (key === undefined || key === RENDER_PLACEHOLDER || key.length >= 16) return;
  ctx.addIssue({ code: "custom", path: ["knowledgeAdminKey"], message: "expected a key of at least 16 characters (e.g. `openssl rand -hex 24`)", input: undefined });
}

/** The models the backend serves by name in the stack's phase, the default first (empty when that section is invalid). */
export function servedModels(config: Pick<ParsedPhase, "phase"> & Partial<Pick<ParsedPhase, "hostedApi" | "localModel">>): string[] {
  if (config.phase === "mock") return [MOCK_MODEL];
  if (config.phase === "hosted-api") return config.hostedApi?.model ? [config.hostedApi.model] : [];
  return Array.isArray(config.localModel?.models) ? config.localModel.models : [];
}

/** The client API keys parse, and every quota names one of them. Values are never shown, names are (they are metric labels). */
function clientKeyRules(config: ParsedPhase, ctx: z.RefinementCtx) {
  const quotas = Object.keys(config.backend?.apiKeys ?? {});
  if (config.clientApiKeys === undefined) {
    if (quotas.length > 0) {
      ctx.addIssue({ code: "custom", path: ["backend", "apiKeys"], message: "expected no key quotas without the secret clientApiKeys (the keys they are for)", input: quotas });
    }
    return;
  }
  // The offline render stands in "[secret]" for an encrypted value it cannot read; `pulumi up` checks the real one.
  if (config.clientApiKeys === RENDER_PLACEHOLDER) return;
  const { keys, problem } = parseClientApiKeys(config.clientApiKeys);
  if (problem) return void ctx.addIssue({ code: "custom", path: ["clientApiKeys"], message: problem, input: undefined });
  for (const name of quotas.filter((n) => !(n in keys!))) {
    ctx.addIssue({ code: "custom", path: ["backend", "apiKeys", name], message: `expected a quota for a key in clientApiKeys (${Object.keys(keys!).join(", ")})`, input: name });
  }
}

/**
 * Scale-to-zero and queue autoscaling: a sleeping model server must have someone to answer for it, KEDA's triggers
 * need the stack's Prometheus, and on EKS a GPU pod needs GPU capacity to land on.
 */
function scalingRules(config: ParsedPhase, localModel: NonNullable<ParsedPhase["localModel"]>, ctx: z.RefinementCtx) {
  if (localModel.scaleToZero && !localModel.fallbackToHostedApi) {
    ctx.addIssue({
      code: "custom",
      path: ["localModel", "scaleToZero"],
      message: "expected localModel.fallbackToHostedApi true with scaleToZero: while the model server sleeps (and for the minutes it takes to wake) only the hosted API can answer",
      input: true,
    });
  }
  if (isKedaScaled(localModel) && config.monitoring?.enabled === false) {
    ctx.addIssue({
      code: "custom",
      path: ["monitoring", "enabled"],
      message: "expected monitoring.enabled true: KEDA scales the model servers (localModel.autoscaling or scaleToZero) on queries to the stack's Prometheus",
      input: false,
    });
  }
  if (config.cluster?.type !== "eks" || localModel.gpu.count === 0) return;
  const { gpuNodes, karpenter } = config.cluster;
  if (!gpuNodes.enabled && !karpenter.enabled) {
    ctx.addIssue({
      code: "custom",
      path: ["cluster", "karpenter", "enabled"],
      message: "expected GPU capacity for the model server: cluster.karpenter.enabled true (nodes on demand) or cluster.gpuNodes.enabled true (a fixed node group)",
      input: false,
    });
  }
  const zones = karpenter.gpuPool.zones;
  if (karpenter.enabled && zones > 1) {
    const network = config.cluster.network;
    const available = network.type === "new" ? network.availabilityZones : network.privateSubnetIds.length;
    if (zones > available) {
      ctx.addIssue({ code: "custom", path: ["cluster", "karpenter", "gpuPool", "zones"], message: `expected at most the ${available} zones the cluster's private subnets are in`, input: zones });
    }
    if (localModel.cache.storageClass !== "efs" || localModel.cache.accessMode !== "ReadWriteMany") {
      ctx.addIssue({
        code: "custom",
        path: ["localModel", "cache", "storageClass"],
        message:
          `expected an efs cache (storageClass efs, accessMode ReadWriteMany) with GPU nodes in ${zones} zones (cluster.karpenter.gpuPool.zones): ` +
          "a gp3 cache is an EBS volume that attaches in its own zone only, so the model server could never start in the others",
        input: localModel.cache.storageClass,
      });
    }
  }
  if (karpenter.enabled && !gpuNodes.enabled && karpenter.gpuPool.limits.gpus < localModel.gpu.count) {
    ctx.addIssue({
      code: "custom",
      path: ["cluster", "karpenter", "gpuPool", "limits", "gpus"],
      message: `expected at least the ${localModel.gpu.count} GPUs one model-server pod requests (localModel.gpu.count)`,
      input: karpenter.gpuPool.limits.gpus,
    });
  }
}

/**
 * The system pool must hold, at its minimum size, every pod that cannot go to the GPU pool. Checked only for
 * instance types whose sizes config/system-pool.ts knows. A section with problems of its own is reported by its
 * own checks; this rule then has nothing sound to add and stays silent.
 */
function systemPoolRule(config: ParsedPhase, ctx: z.RefinementCtx) {
  if (config.cluster.type !== "eks") return;
  const nodes = config.cluster.systemNodes;
  let wanted: ReturnType<typeof totalRequests>;
  let perNode: ReturnType<typeof poolNodeAllocatable>;
  try {
    perNode = poolNodeAllocatable(nodes.instanceTypes);
    wanted = totalRequests(
      systemPoolPods({
        frontend: config.frontend,
        backend: config.backend,
        monitoring: config.monitoring,
        nodes: nodes.minSize,
        karpenter: config.cluster.karpenter.enabled,
        keda: config.cluster.keda.install && config.phase === "local-model" && isKedaScaled(config.localModel),
        valkey: valkeyEnabled(config.valkey) ? config.valkey.resources : undefined,
        argoRollouts: config.delivery?.strategy === "canary" && config.delivery.argoRollouts?.install === true,
        knowledge: config.knowledge?.enabled ? { instances: knowledgeInstances(config.knowledge, config.production), resources: config.knowledge.resources, operator: config.knowledge.operator.install } : undefined,
      }),
    );
  } catch {
    return;
  }
  if (!perNode || !Number.isFinite(wanted.cpu) || !Number.isFinite(wanted.memory)) return;
  const cpu = perNode.cpu * nodes.minSize;
  const memory = perNode.memory * nodes.minSize;
  if (wanted.cpu > cpu || wanted.memory > memory) {
    ctx.addIssue({
      code: "custom",
      path: ["cluster", "systemNodes", "minSize"],
      message:
        `expected a system pool that holds what must run on it: its pods request ${formatCpu(wanted.cpu)} CPU and ${formatMemory(wanted.memory)}, ` +
        `but ${nodes.minSize} x ${nodes.instanceTypes.join("/")} allocate ${formatCpu(cpu)} and ${formatMemory(memory)}; ` +
        "raise minSize, choose a larger instance type, or lower the backend's, frontend's or Prometheus's requests",
      input: nodes.minSize,
    });
    return;
  }
  peakCapacityRule(config, ctx, { cpu: cpu - wanted.cpu, memory: memory - wanted.memory });
}

/**
 * At a load peak the HPAs run their maxima. Nothing grows the system node group (no Cluster Autoscaler), so what
 * does not fit in its room left must fit in Karpenter's CPU pool, within that pool's limits; otherwise the peak's
 * pods stay Pending exactly when they are needed.
 */
function peakCapacityRule(config: ParsedPhase, ctx: z.RefinementCtx, systemRoom: { cpu: number; memory: number }) {
  if (config.cluster.type !== "eks") return;
  const peak = totalRequests(peakExtraPods({ frontend: config.frontend, backend: config.backend }));
  const { karpenter } = config.cluster;
  const cpuPool = karpenter.enabled && karpenter.cpuPool.enabled ? karpenter.cpuPool : undefined;
  const poolRoom = cpuPool ? karpenterPoolCapacity(cpuPool, config.monitoring.enabled) : { cpu: 0, memory: 0 };
  if (!poolRoom) return;
  const room = { cpu: systemRoom.cpu + poolRoom.cpu, memory: systemRoom.memory + poolRoom.memory };
  if (peak.cpu <= room.cpu && peak.memory <= room.memory) return;
  const where = cpuPool
    ? `the system pool's room left (${formatCpu(systemRoom.cpu)}, ${formatMemory(systemRoom.memory)}) and the CPU pool within its limits (${formatCpu(poolRoom.cpu)}, ${formatMemory(poolRoom.memory)})`
    : `the system pool's room left (${formatCpu(systemRoom.cpu)}, ${formatMemory(systemRoom.memory)}), and no CPU pool (cluster.karpenter.cpuPool, which needs Karpenter) grows the cluster`;
  const offKey = karpenter.enabled ? ["cluster", "karpenter", "cpuPool", "enabled"] : ["cluster", "karpenter", "enabled"];
  ctx.addIssue({
    code: "custom",
    path: cpuPool ? ["cluster", "karpenter", "cpuPool", "limits"] : offKey,
    message:
      `expected room for the frontend's and backend's autoscaling maxima: at peak they add ${formatCpu(peak.cpu)} CPU and ${formatMemory(peak.memory)}, ` +
      `but ${where} hold less; ${cpuPool ? "raise cpuPool.limits" : "turn the CPU pool on"}, or lower maxReplicas`,
    input: cpuPool ? cpuPool.limits : false,
  });
}

/**
 * What each cluster can serve: on eks the stack's AWS Load Balancer Controller (ALB, ACM certificates, OIDC); on an
 * existing cluster the cluster's own ingress controller, which the frontend's NetworkPolicy must be told about.
 */
function exposureRules(config: ParsedPhase, ctx: z.RefinementCtx) {
  const expose = config.frontend?.expose;
  const issue = (key: string, message: string, input: unknown) => ctx.addIssue({ code: "custom", path: ["frontend", "expose", key], message, input });
  const policiesOn = config.networkPolicies?.enabled !== false;
  if (expose?.type === "Gateway") {
    if (config.cluster?.type === "eks") {
      issue("type", "expected Ingress on eks: the stack's AWS Load Balancer Controller serves the chat as an ALB Ingress, and the stack installs no Gateway API", expose.type);
    } else if (policiesOn && expose.controllerNamespace === undefined) {
      issue("controllerNamespace", "expected the namespace of the Gateway's data-plane pods: the frontend's NetworkPolicy admits them and nothing else", undefined);
    }
    return;
  }
  if (expose?.type !== "Ingress") return;
  if (config.cluster?.type === "eks") {
    if (expose.className !== undefined && expose.className !== "alb") {
      issue("className", "expected no className, or alb: on eks the stack installs the AWS Load Balancer Controller and nothing else serves Ingresses", expose.className);
    }
    if (expose.certificateArn === undefined) {
      issue("certificateArn", "expected an ACM certificate ARN: the ALB serves the chat over HTTPS only and redirects HTTP", undefined);
    }
    if (expose.tlsSecretName !== undefined) {
      issue("tlsSecretName", "expected certificateArn instead on eks: an ALB serves ACM certificates, not Kubernetes Secrets", expose.tlsSecretName);
    }
    // The ALB is pinned to these subnets and the frontend admits their ranges alone (docs/alb-way-in.md).
    const network = config.cluster.network;
    if (network?.type === "existing" && (network.publicSubnetIds?.length ?? 0) < 2) {
      ctx.addIssue({
        code: "custom",
        path: ["cluster", "network", "publicSubnetIds"],
        message: "expected at least 2 public subnets in different zones with an Ingress: the ALB lives in them, and the frontend admits their ranges and nothing else of the VPC",
        input: network.publicSubnetIds,
      });
    }
    return;
  }
  if (expose.certificateArn !== undefined) {
    issue("certificateArn", "expected tlsSecretName on an existing cluster: an ACM certificate needs the ALB the stack installs on eks", expose.certificateArn);
  }
  if (expose.oidc) {
    issue("oidc", "expected no oidc on an existing cluster: sign-in is the ALB's action on eks; put your ingress controller's own authentication in front", expose.oidc);
  }
  if (policiesOn && expose.controllerNamespace === undefined) {
    issue("controllerNamespace", "expected the namespace of the cluster's ingress controller: the frontend's NetworkPolicy admits its pods and nothing else", undefined);
  }
}

/**
 * What was verified in dev must be exactly what runs in prod: images by digest (a tag can be moved to other bytes),
 * no plain-HTTP way in, enough history to investigate.
 */
function productionRules(config: ParsedPhase, ctx: z.RefinementCtx) {
  const images: [string[], ImageSource | undefined][] = [
    [["frontend", "image"], config.frontend?.image],
    [["backend", "image"], config.backend?.image],
    [["localModel", "image"], config.localModel?.image],
  ];
  for (const [path, image] of images) {
    if (image && isImageBuild(image)) {
      // The stack runs what it builds by digest; but without a registry the image would stay on the machine that ran `pulumi up`.
      const pushed = config.cluster?.type === "eks" || (config.cluster?.type === "kubeconfig" && config.cluster.registry !== undefined);
      if (!pushed) {
        ctx.addIssue({
          code: "custom",
          path,
          message: "expected a published image in a production stack that pushes its builds nowhere (a build is pushed to a registry only with cluster.type eks, or with cluster.registry)",
          input: image,
        });
      }
      continue;
    }
    if (!image?.repository || image.digest) continue;
    ctx.addIssue({
      code: "custom",
      path,
      message: "expected an image pinned by digest (repository@sha256:<digest>, or {repository, tag, digest}) in a production stack: a tag can be moved to other bytes",
      input: image.tag ? `${image.repository}:${image.tag}` : image.repository,
    });
  }
  const expose = config.frontend?.expose;
  if (expose?.type === "LoadBalancer") {
    ctx.addIssue({
      code: "custom",
      path: ["frontend", "expose", "type"],
      message: "expected Ingress (with TLS) or ClusterIP in a production stack: a LoadBalancer Service serves the chat without TLS",
      input: expose.type,
    });
  }
  if (expose?.type === "Ingress" && config.cluster?.type !== "eks" && expose.tlsSecretName === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["frontend", "expose", "tlsSecretName"],
      message: "expected a TLS Secret for the Ingress in a production stack: without one the chat is served over plain HTTP",
      input: undefined,
    });
  }
  if (expose?.type === "Gateway" && expose.https !== true) {
    ctx.addIssue({
      code: "custom",
      path: ["frontend", "expose", "https"],
      message: "expected true in a production stack, with sectionName naming the Gateway's HTTPS listener: a plain-HTTP listener would serve the chat without TLS",
      input: expose.https,
    });
  }
  const retention = config.monitoring?.retention;
  if (config.monitoring?.enabled && typeof retention === "string" && retentionDays(retention) < 30) {
    ctx.addIssue({ code: "custom", path: ["monitoring", "retention"], message: "expected at least 30d of retention in a production stack", input: retention });
  }
}

export type StackConfigInput = z.input<typeof phaseSchema>;
/** The validated config, as parsed (secrets still plain strings; `load.ts` turns them into Pulumi secrets). */
export type ParsedStackConfig = ParsedPhase;
