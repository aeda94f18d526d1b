/**
 * The single source of truth for what a stack file may say. Every key under `ai-assistant:` in
 * `Pulumi.<stack>.yaml` is described here; anything else is an error, so a typo never passes silently.
 */
import { z } from "zod";
import { backendServiceSettings } from "./backend-service";
import { clusterSchema } from "./cluster";
import { exposureSchema } from "./exposure";
import { ImageReference } from "./image";
import { ImageSource, isImageBuild } from "./image-build";
import { monitoringSchema } from "./monitoring";
import { BACKEND_RESOURCES, hostedApiSchema, localModelSchema, Phase, PHASES } from "./phases";
import { retentionDays } from "./primitives";
import { workloadSchema } from "./workload";

/** Keys whose values are secrets: they become Pulumi secrets and are never printed. */
export const SECRET_KEYS = ["apiKey", "huggingFaceToken", "grafanaAdminPassword"] as const;
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
    // Settings of the other phases may stay in the file, so that moving between phases changes `phase` alone.
    hostedApi: hostedApiSchema.optional(),
    localModel: localModelSchema.optional(),
    apiKey: secretValue,
    huggingFaceToken: secretValue,
    grafanaAdminPassword: secretValue,
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

function crossSectionRules(config: ParsedPhase, ctx: z.RefinementCtx, stack: string) {
  const missingSecret = (key: SecretKey, why: string) => {
    if (config[key] === undefined) {
      ctx.addIssue({ code: "custom", path: [key], message: `expected a secret (${why}); set it with \`${setSecretCommand(key, stack)}\``, input: undefined });
    }
  };
  const localModel = config.phase === "local-model" ? config.localModel : undefined;
  if (config.phase === "hosted-api" || localModel?.fallbackToHostedApi) missingSecret("apiKey", "the hosted LLM API's key");
  if (localModel?.fallbackToHostedApi && !config.hostedApi) {
    ctx.addIssue({ code: "custom", path: ["hostedApi"], message: "expected hostedApi settings, because localModel.fallbackToHostedApi is true", input: undefined });
  }
  if (config.monitoring?.enabled) missingSecret("grafanaAdminPassword", "Grafana's admin password, because monitoring is enabled");
  if (config.production === true) productionRules(config, ctx);
}

/** What was verified in dev must be exactly what runs in prod: no moving tags, enough history to investigate. */
function productionRules(config: ParsedPhase, ctx: z.RefinementCtx) {
  const images: [string[], ImageSource | undefined][] = [
    [["frontend", "image"], config.frontend?.image],
    [["backend", "image"], config.backend?.image],
    [["localModel", "image"], config.localModel?.image],
  ];
  for (const [path, image] of images) {
    if (image && isImageBuild(image)) {
      // The stack tags what it builds; but without a registry the image would stay on the machine that ran `pulumi up`.
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
    if (!image?.repository) continue;
    if (!image.digest && (!image.tag || image.tag === "latest")) {
      ctx.addIssue({
        code: "custom",
        path,
        message: "expected a pinned tag (not latest) or a digest in a production stack",
        input: image.tag ? `${image.repository}:${image.tag}` : image.repository,
      });
    }
  }
  const retention = config.monitoring?.retention;
  if (config.monitoring?.enabled && typeof retention === "string" && retentionDays(retention) < 30) {
    ctx.addIssue({ code: "custom", path: ["monitoring", "retention"], message: "expected at least 30d of retention in a production stack", input: retention });
  }
}

export type StackConfigInput = z.input<typeof phaseSchema>;
/** The validated config, as parsed (secrets still plain strings; `load.ts` turns them into Pulumi secrets). */
export type ParsedStackConfig = ParsedPhase;
