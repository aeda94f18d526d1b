// The ai-assistant program: one stack's config in, the assistant's resources out. Everything a stack may vary
// is in its Pulumi.<stack>.yaml, validated by config/schema.ts before any resource is registered.
import { loadStackConfig } from "./config/load";
import { Backend } from "./components/app/backend";
import { ContainerImages } from "./components/images/container-images";
import { EksCluster } from "./components/cluster/eks-cluster";
import { ExistingCluster } from "./components/cluster/existing-cluster";
import { Frontend } from "./components/app/frontend";
import { LocalModels } from "./components/model-servers/local-models";
import { Monitoring } from "./components/monitoring/monitoring";
import { AppNamespace } from "./components/app/namespace";
import { gpuNodeSelector } from "./lib/gpu";
import { backendLlm } from "./components/app/llm-settings";

const config = loadStackConfig();

const cluster =
  config.cluster.type === "eks"
    ? new EksCluster("cluster", { cluster: config.cluster, stack: config.stack, production: config.production, gpuNodeSelector: gpuNodeSelector(config.localModel) })
    : new ExistingCluster("cluster", { cluster: config.cluster });
const provider = cluster.provider;

const images = new ContainerImages("images", {
  images: { frontend: config.frontend.image, backend: config.backend.image },
  registry: cluster instanceof EksCluster ? cluster.imageRegistry : config.cluster.type === "kubeconfig" ? config.cluster.registry : undefined,
});

const namespace = new AppNamespace("namespace", {
  provider,
  name: config.namespace,
  stack: config.stack,
  production: config.production,
});

const localModels =
  config.phase === "local-model"
    ? new LocalModels("local-models", {
        provider,
        namespace: namespace.name,
        stack: config.stack,
        localModel: config.localModel,
        production: config.production,
        huggingFaceToken: config.secrets.huggingFaceToken,
      })
    : undefined;

const llm = backendLlm(config, localModels?.endpoints);
const backend = new Backend("backend", {
  provider,
  namespace: namespace.name,
  stack: config.stack,
  phase: config.phase,
  workload: config.backend,
  image: images.references.backend,
  version: images.versions.backend,
  settings: llm.settings,
  apiKey: llm.apiKey,
});

const frontend = new Frontend("frontend", {
  provider,
  namespace: namespace.name,
  stack: config.stack,
  workload: config.frontend,
  image: images.references.frontend,
  version: images.versions.frontend,
  expose: config.frontend.expose,
  backendUrl: backend.url,
});

const monitoring = config.monitoring.enabled
  ? new Monitoring("monitoring", {
      provider,
      stack: config.stack,
      appNamespace: config.namespace,
      settings: config.monitoring,
      grafanaAdminPassword: config.secrets.grafanaAdminPassword,
    })
  : undefined;

export const phase = config.phase;
export const namespaceName = namespace.name;
export const frontendUrl = frontend.url;
export const backendUrl = backend.url;
export const modelEndpoints = localModels?.endpoints ?? {};
export const grafanaUrl = monitoring?.grafanaUrl ?? null;
/** `repository@sha256:…` per workload whose digest is known: pin these in another stack to promote the same bytes. */
export const imageDigests = images.digests;
/** The EKS cluster's name, for `aws eks update-kubeconfig --name <clusterName>`; null on an existing cluster. */
export const clusterName = cluster instanceof EksCluster ? cluster.clusterName : null;
