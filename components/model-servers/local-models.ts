import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { formatImageReference } from "../../config/image";
import { isKedaScaled, LocalModelConfig, replicaBounds } from "../../config/phases";
import { recommendedLabels } from "../../lib/labels";
import { ENGINES, modelServerLayout } from "./model-engines";
import { ModelServer, ModelServerCanary, ModelServerNetwork, ModelServerScaling, rolloutMinutes } from "./model-server";
import { PodEndpoint } from "../../lib/network-policy";
import { selectorLabels } from "../../lib/labels";

export interface LocalModelsArgs {
  /** Provider of the target cluster. */
  provider: k8s.Provider;
  /** Namespace to run in (the stack's, already created). */
  namespace: pulumi.Input<string>;
  /** Stack name, for the `app.kubernetes.io/instance` label. */
  stack: string;
  /** Engine, models, GPUs and cache, from `localModel`. */
  localModel: LocalModelConfig;
  /** Production: caches are kept when the stack is destroyed. */
  production: boolean;
  /** Hugging Face token for gated models (vLLM and Triton); stored in a Secret read by the pull. */
  huggingFaceToken?: pulumi.Input<string>;
  /** `<registry>/<prefix>` of an ECR pull-through cache of Docker Hub: a Docker Hub engine image is pulled from there. */
  dockerHubMirror?: pulumi.Input<string>;
  /** The cluster's StorageClasses (EKS); the caches are claimed after they exist. */
  storageClasses?: pulumi.Input<pulumi.Resource>[];
  /**
   * Where KEDA's triggers query, and what must exist before a ScaledObject (KEDA's chart): required when
   * `localModel.autoscaling` or `scaleToZero` is on.
   */
  autoscaling?: { prometheusUrl: string; dependsOn: pulumi.Input<pulumi.Resource>[] };
  /** Whether the namespace runs NetworkPolicies. */
  networkPolicies: boolean;
  /** Each server's new versions go out as a canary (`delivery.canary.modelServers`, docs/delivery.md). */
  canary?: ModelServerCanary;
  /** The servers' clients, scraper and model hub. */
  network: ModelServerNetwork;
}

/** `docker.io/vllm/vllm-openai` -> `vllm/vllm-openai`; `ollama` -> `library/ollama`; undefined when not on Docker Hub. */
export function dockerHubPath(repository: string): string | undefined {
  const parts = repository.split("/");
  const first = parts[0];
  const hasHost = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  if (hasHost && first !== "docker.io" && first !== "registry-1.docker.io" && first !== "index.docker.io") return undefined;
  const path = hasHost ? parts.slice(1) : parts;
  return path.length === 1 ? `library/${path[0]}` : path.join("/");
}

/**
 * The local-model phase's servers: one Ollama server for all models, or one vLLM server per model (vLLM serves
 * a single model per process).
 */
export class LocalModels extends pulumi.ComponentResource {
  public readonly servers: ModelServer[];
  /** Base URL of the server of each model. */
  public readonly endpoints: Record<string, pulumi.Output<string>>;
  /** Every model server's pods and port: what the backend's NetworkPolicy lets it reach. */
  public readonly pods: PodEndpoint;

  constructor(name: string, args: LocalModelsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:app:LocalModels", name, {}, opts);
    const { localModel } = args;
    const reference = localModel.image ?? ENGINES[localModel.engine].defaultImage;
    const hubPath = args.dockerHubMirror ? dockerHubPath(reference.repository) : undefined;
    // Through the cache: the same tag and digest, from `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<path>`.
    const image: pulumi.Input<string> =
      args.dockerHubMirror && hubPath
        ? pulumi.interpolate`${args.dockerHubMirror}/${formatImageReference({ ...reference, repository: hubPath })}`
        : formatImageReference(reference);

    let tokenSecret: k8s.core.v1.Secret | undefined;
    if (localModel.engine !== "ollama" && args.huggingFaceToken !== undefined) {
      tokenSecret = new k8s.core.v1.Secret(
        `${name}-hf-token`,
        {
          metadata: {
            name: "model-server-hf-token",
            namespace: args.namespace,
            labels: recommendedLabels({ component: "model-server", stack: args.stack }),
          },
          type: "Opaque",
          stringData: { token: pulumi.secret(args.huggingFaceToken) },
        },
        { parent: this, provider: args.provider },
      );
    }

    let scaling: ModelServerScaling | undefined;
    if (isKedaScaled(localModel)) {
      if (!args.autoscaling) throw new pulumi.ResourceError("expected a Prometheus URL and KEDA for scaled model servers (autoscaling)", this);
      const bounds = replicaBounds(localModel);
      scaling = {
        settings: {
          ...bounds,
          waitingRequestsPerReplica: localModel.autoscaling.waitingRequestsPerReplica,
          runningRequestsPerReplica: localModel.autoscaling.runningRequestsPerReplica,
          scaleToZero: localModel.scaleToZero,
          idleMinutes: localModel.idleMinutes,
          initialMinutes: rolloutMinutes(localModel),
          prometheusUrl: args.autoscaling.prometheusUrl,
        },
        dependsOn: args.autoscaling.dependsOn,
      };
    }

    const layout = modelServerLayout(localModel.engine, localModel.models);
    this.servers = layout.map(
      (server) =>
        new ModelServer(
          server.name,
          {
            provider: args.provider,
            namespace: args.namespace,
            stack: args.stack,
            serverName: server.name,
            engine: localModel.engine,
            models: server.models,
            image,
            settings: localModel,
            production: args.production,
            huggingFaceTokenSecret: tokenSecret?.metadata.name,
            storageClasses: args.storageClasses,
            scaling,
            canary: args.canary,
            networkPolicies: args.networkPolicies,
            network: args.network,
          },
          { parent: this },
        ),
    );
    this.pods = { podLabels: selectorLabels({ component: "model-server", stack: args.stack }), port: ENGINES[localModel.engine].port };
    this.endpoints = Object.fromEntries(
      layout.flatMap((server, i) => server.models.map((model) => [model, this.servers[i].url])),
    );
    this.registerOutputs({ endpoints: this.endpoints });
  }
}
