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
import { gpuNodeSelector, SYSTEM_NODE_LABEL } from "./lib/gpu";
import { isKedaScaled } from "./config/phases";
import { Keda } from "./components/cluster/keda";
import { prometheusUrl } from "./components/monitoring/monitoring-values";
import { backendLlm } from "./components/app/llm-settings";

const config = loadStackConfig();

const cluster =
  config.cluster.type === "eks"
    ? new EksCluster("cluster", { cluster: config.cluster, stack: config.stack, production: config.production, gpuNodeSelector: gpuNodeSelector(config.localModel) })
    : new ExistingCluster("cluster", { cluster: config.cluster });
const provider = cluster.provider;
/** StorageClasses the stack creates (EKS): every claim of the stack waits for them. */
const storageClasses = cluster instanceof EksCluster ? cluster.storageClasses : undefined;

const images = new ContainerImages("images", {
  images: { frontend: config.frontend.image, backend: config.backend.image },
  registry: cluster instanceof EksCluster ? cluster.imageRegistry : undefined,
});

const namespace = new AppNamespace("namespace", {
  provider,
  name: config.namespace,
  stack: config.stack,
  production: config.production,
});

// KEDA, when a model server scales on its own metrics (queue autoscaling, scale-to-zero) and the cluster lacks it.
const kedaScaled = config.phase === "local-model" && isKedaScaled(config.localModel);
const keda =
  kedaScaled && config.cluster.keda.install
    ? new Keda("keda", {
        provider,
        stack: config.stack,
        chartVersion: config.cluster.keda.chartVersion,
        nodeSelector: config.cluster.type === "eks" ? { [SYSTEM_NODE_LABEL.key]: SYSTEM_NODE_LABEL.value } : undefined,
      })
    : undefined;

const localModels =
  config.phase === "local-model"
    ? new LocalModels("local-models", {
        provider,
        namespace: namespace.name,
        stack: config.stack,
        localModel: config.localModel,
        production: config.production,
        huggingFaceToken: config.secrets.huggingFaceToken,
        storageClasses,
        autoscaling: kedaScaled ? { prometheusUrl: prometheusUrl(config.stack, config.monitoring.namespace), dependsOn: keda ? [keda.chart] : [] } : undefined,
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
  secretSettings: llm.secretSettings,
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
      cluster:
        config.cluster.type === "eks"
          ? // EKS's kube-proxy serves metrics on 127.0.0.1:10249 only, and its add-on resets an edited config
            // (aws/containers-roadmap#657, eksctl-io/eksctl#4081): KubeProxyDown would fire forever.
            { managedControlPlane: true, kubeProxy: false }
          : { managedControlPlane: false, kubeProxy: config.cluster.kubeProxy },
      gpuNodeSelector: gpuNodeSelector(config.localModel),
      storageClasses,
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
