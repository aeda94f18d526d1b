// The ai-assistant program: one stack's config in, the assistant's resources out. Everything a stack may vary
// is in its Pulumi.<stack>.yaml, validated by config/schema.ts before any resource is registered.
import { formatImageReference } from "./config/image";
import { loadStackConfig } from "./config/load";
import { Backend } from "./components/backend";
import { ExistingCluster } from "./components/existing-cluster";
import { Frontend } from "./components/frontend";
import { LocalModels } from "./components/local-models";
import { Monitoring } from "./components/monitoring";
import { AppNamespace } from "./components/namespace";
import { backendLlm } from "./lib/llm-settings";

const config = loadStackConfig();

const cluster = new ExistingCluster("cluster", { cluster: config.cluster as Extract<typeof config.cluster, { type: "kubeconfig" }> });
const provider = cluster.provider;

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
  image: formatImageReference(config.backend.image),
  version: config.backend.image.tag,
  settings: llm.settings,
  apiKey: llm.apiKey,
});

const frontend = new Frontend("frontend", {
  provider,
  namespace: namespace.name,
  stack: config.stack,
  workload: config.frontend,
  image: formatImageReference(config.frontend.image),
  version: config.frontend.image.tag,
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
