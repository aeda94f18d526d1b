// The ai-assistant program: one stack's config in, the assistant's resources out. Everything a stack may vary
// is in its Pulumi.<stack>.yaml, validated by config/schema.ts before any resource is registered.
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config/load";
import { Backend } from "./components/app/backend";
import { ContainerImages } from "./components/images/container-images";
import { EksCluster } from "./components/cluster/eks-cluster";
import { STORAGE_CLASSES } from "./components/cluster/cluster-storage";
import { ExistingCluster } from "./components/cluster/existing-cluster";
import { Frontend, FRONTEND_INGRESS_NAME } from "./components/app/frontend";
import { LocalModels } from "./components/model-servers/local-models";
import { Monitoring } from "./components/monitoring/monitoring";
import { AppNamespace } from "./components/app/namespace";
import { gpuNodeSelector, SYSTEM_NODE_LABEL } from "./lib/gpu";
import { isKedaScaled } from "./config/phases";
import { Keda } from "./components/cluster/keda";
import { prometheusPods, prometheusUrl } from "./components/monitoring/monitoring-values";
import { backendLlm, hostedApiOf, hostedApiPort } from "./components/app/llm-settings";
import { featureFlagFile } from "./components/app/feature-flags";
import { appPods } from "./components/app/app-workload";
import { hasNativeSleep } from "./components/app/shutdown";
import { internetPeers } from "./lib/network-policy";
import { Valkey } from "./components/shared-state/valkey";
import { clientKeys } from "./components/shared-state/client-keys";
import { valkeyEnabled } from "./config/shared-state";
import { ArgoRollouts } from "./components/cluster/argo-rollouts";
import { appCanaries } from "./components/app/canary";
import { knowledgeBackupEnabled, knowledgeImage, knowledgeInstances } from "./config/knowledge";
import { BackupBucket } from "./components/knowledge/backup-bucket";
import { CloudNativePgOperator, CNPG_OPERATOR_POD_LABELS, CNPG_NAMESPACE } from "./components/knowledge/operator";
import { KNOWLEDGE_DATABASE_NAME, KnowledgeDatabase } from "./components/knowledge/database";

const config = loadStackConfig();

const cluster =
  config.cluster.type === "eks"
    ? new EksCluster("cluster", {
        cluster: config.cluster,
        stack: config.stack,
        production: config.production,
        gpuNodeSelector: gpuNodeSelector(config.localModel),
        dockerHubLogin:
          config.secrets.dockerHubUsername && config.secrets.dockerHubAccessToken
            ? { username: config.secrets.dockerHubUsername, accessToken: config.secrets.dockerHubAccessToken }
            : undefined,
      })
    : new ExistingCluster("cluster", { cluster: config.cluster });
const provider = cluster.provider;
// The app pods' preStop uses the native sleep action where the cluster's version is known to have it.
const nativeSleep = hasNativeSleep(config.cluster.kubernetesVersion);
/** StorageClasses the stack creates (EKS): every claim of the stack waits for them. */
const storageClasses = cluster instanceof EksCluster ? cluster.storageClasses : undefined;

const images = new ContainerImages("images", {
  images: { frontend: config.frontend.image, backend: config.backend.image },
  registry: cluster instanceof EksCluster ? cluster.imageRegistry : config.cluster.type === "kubeconfig" ? config.cluster.registry : undefined,
});

const network = config.networkPolicies;
const namespace = new AppNamespace("namespace", {
  provider,
  name: config.namespace,
  stack: config.stack,
  production: config.production,
  // An Ingress on EKS is an ALB with IP targets: its pods get the controller's readiness gate.
  albReadinessGate: cluster instanceof EksCluster && config.frontend.expose.type === "Ingress",
  networkPolicies: network.enabled ? { dns: network.dns, probeSourceCidrs: network.probeSourceCidrs } : undefined,
});
// What the NetworkPolicies open besides the app's own paths: Prometheus's scrapes, and the internet (never the
// cluster's or the VPC's own ranges) for the hosted API and the model hub.
const scraper = config.monitoring.enabled ? prometheusPods(config.monitoring.namespace) : undefined;
const privateCidrs = cluster instanceof EksCluster ? pulumi.all([...network.privateCidrs, cluster.vpcCidr]) : network.privateCidrs;

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

// Canary delivery (docs/delivery.md): Argo Rollouts moves the frontend and backend in steps, judged on Prometheus.
const delivery = config.delivery;
const argoRollouts =
  delivery.strategy === "canary" && delivery.argoRollouts.install
    ? new ArgoRollouts("argo-rollouts", {
        provider,
        stack: config.stack,
        chartVersion: delivery.argoRollouts.chartVersion,
        nodeSelector: config.cluster.type === "eks" ? { [SYSTEM_NODE_LABEL.key]: SYSTEM_NODE_LABEL.value } : undefined,
      })
    : undefined;
// The model servers' canary (opt-in, delivery.canary.modelServers): judged on vLLM's own series, with the backend's timing.
const modelServerCanary =
  delivery.strategy === "canary" && delivery.canary.modelServers.enabled
    ? {
        weights: delivery.canary.weights,
        analysis: { prometheusUrl: prometheusUrl(config.stack, config.monitoring.namespace), thresholds: delivery.canary.modelServers, timing: delivery.canary.analysis },
        dependsOn: argoRollouts ? [argoRollouts.chart] : [],
      }
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
        // Docker Hub engine images come through the stack's ECR pull-through cache when it has one.
        dockerHubMirror: cluster instanceof EksCluster ? cluster.dockerHubMirror : undefined,
        storageClasses,
        autoscaling: kedaScaled ? { prometheusUrl: prometheusUrl(config.stack, config.monitoring.namespace), dependsOn: keda ? [keda.chart] : [] } : undefined,
        networkPolicies: network.enabled,
        canary: modelServerCanary,
        network: {
          clients: appPods("backend", config.stack),
          scraper,
          modelHub: network.modelHub.enabled ? internetPeers(network.modelHub.cidrs, privateCidrs) : undefined,
        },
      })
    : undefined;

// The shared Valkey of the backend's limits and cache (docs/shared-state.md); its password is a required secret.
const valkey = valkeyEnabled(config.valkey)
  ? new Valkey("valkey", {
      provider,
      namespace: namespace.name,
      stack: config.stack,
      settings: config.valkey,
      password: config.secrets.valkeyPassword!,
      persistence: config.valkey.persistence.enabled ?? config.production,
      production: config.production,
      networkPolicies: network.enabled,
      clients: appPods("backend", config.stack),
      scraper,
      storageClasses,
      defaultStorageClass: storageClasses ? STORAGE_CLASSES.gp3 : undefined,
    })
  : undefined;
// The knowledge base (docs/knowledge.md): Postgres with pgvector, run by CloudNativePG; its admin key is a required secret.
const systemNodes = config.cluster.type === "eks" ? { [SYSTEM_NODE_LABEL.key]: SYSTEM_NODE_LABEL.value } : undefined;
const knowledgeOperator =
  config.knowledge.enabled && config.knowledge.operator.install
    ? new CloudNativePgOperator("cnpg", { provider, stack: config.stack, chartVersion: config.knowledge.operator.chartVersion, nodeSelector: systemNodes })
    : undefined;
// Backups go to a bucket the stack creates on eks, written by the Postgres pods' own IRSA role.
const knowledgeBackups = config.knowledge.enabled && cluster instanceof EksCluster && knowledgeBackupEnabled(config.knowledge, config.production, true);
const backupBucket = knowledgeBackups && cluster instanceof EksCluster
  ? new BackupBucket("knowledge-backups", {
      provider: cluster.awsProvider,
      clusterName: cluster.clusterName,
      oidc: cluster.oidc,
      serviceAccount: `${config.namespace}:${KNOWLEDGE_DATABASE_NAME}`,
      retentionDays: config.knowledge.backup.retentionDays,
      production: config.production,
    })
  : undefined;
const knowledge = config.knowledge.enabled
  ? new KnowledgeDatabase("knowledge", {
      provider,
      namespace: namespace.name,
      stack: config.stack,
      settings: config.knowledge,
      image: knowledgeImage(config.knowledge, backupBucket !== undefined),
      instances: knowledgeInstances(config.knowledge, config.production),
      backup: backupBucket && {
        destinationPath: backupBucket.destinationPath,
        roleArn: backupBucket.role.arn,
        schedule: config.knowledge.backup.schedule,
        retentionDays: config.knowledge.backup.retentionDays,
        serverName: config.knowledge.backup.serverName,
      },
      restore: config.knowledge.restore,
      objectStorePeers: internetPeers(["0.0.0.0/0"], privateCidrs),
      production: config.production,
      networkPolicies: network.enabled,
      clients: appPods("backend", config.stack),
      operator: { namespace: CNPG_NAMESPACE, podLabels: { ...CNPG_OPERATOR_POD_LABELS } },
      scraper,
      // The API server is somewhere in the private ranges (EKS's endpoint in the VPC, kind's node, the Service IP), never
      // link-local (that is the instance metadata service).
      apiServerPeers: pulumi.output(privateCidrs).apply((cidrs) => [...new Set(cidrs)].filter((cidr) => !cidr.startsWith("169.254.")).map((cidr) => ({ ipBlock: { cidr } }))),
      nodeSelector: systemNodes,
      dependsOn: knowledgeOperator ? [knowledgeOperator.chart] : undefined,
      storageClasses,
      defaultStorageClass: storageClasses ? STORAGE_CLASSES.gp3 : undefined,
    })
  : undefined;
const keys = config.secrets.clientApiKeys ? clientKeys(config.secrets.clientApiKeys, config.backend.apiKeys) : undefined;

const canaries =
  delivery.strategy === "canary"
    ? appCanaries({
        settings: delivery.canary,
        namespace: config.namespace,
        prometheusUrl: prometheusUrl(config.stack, config.monitoring.namespace),
        albIngress: cluster instanceof EksCluster && config.frontend.expose.type === "Ingress" ? FRONTEND_INGRESS_NAME : undefined,
        dependsOn: argoRollouts ? [argoRollouts.chart] : [],
      })
    : undefined;

const llm = backendLlm(config, localModels?.endpoints);
const hostedApi = hostedApiOf(config);
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
  production: config.production,
  networkPolicies: network.enabled,
  nativeSleep,
  network: {
    scraper,
    modelServers: localModels?.pods,
    // Only a backend that calls a hosted API may leave the cluster, and only to its port.
    hostedApi: hostedApi && { peers: internetPeers(network.hostedApiCidrs, privateCidrs), port: hostedApiPort(hostedApi) },
  },
  valkey: valkey && { pods: valkey.pods, password: valkey.passwordRef },
  clientKeys: keys,
  canary: canaries?.backend,
  knowledge: knowledge && { database: knowledge.pods, databaseUrl: knowledge.urlRef, adminKey: config.secrets.knowledgeAdminKey! },
  featureFlags: featureFlagFile(config.features),
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
  production: config.production,
  networkPolicies: network.enabled,
  nativeSleep,
  alb: cluster instanceof EksCluster ? { ...cluster.albPlacement, privateCidrs, controller: cluster.loadBalancerController } : undefined,
  oidcClientSecret: config.secrets.oidcClientSecret,
  backendToken: keys?.frontendToken,
  canary: canaries?.frontend,
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
            { managedControlPlane: true, controlPlaneMetrics: false, kubeProxy: false }
          : { managedControlPlane: false, controlPlaneMetrics: config.cluster.controlPlaneMetrics, kubeProxy: config.cluster.kubeProxy },
      gpuNodeSelector: gpuNodeSelector(config.localModel),
      storageClasses,
      slackWebhookUrl: config.secrets.alertSlackWebhookUrl,
      pagerDutyRoutingKey: config.secrets.alertPagerDutyRoutingKey,
      tokenPrices: hostedApi?.usdPerMillionTokens && { provider: hostedApi.provider, ...hostedApi.usdPerMillionTokens },
      knowledgeBackupMaxAgeHours: config.knowledge.backup.maxAgeHours,
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
