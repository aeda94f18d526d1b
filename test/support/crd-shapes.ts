/**
 * The parts of the CRD schemas that the stack's custom resources use, written down from the CRDs themselves so a
 * test can check the rendered objects' shape offline: every key must be one the CRD knows, of its type, within its
 * enum or pattern, with its required keys present.
 *
 * verified: aws/karpenter-provider-aws pkg/apis/crds/karpenter.sh_nodepools.yaml and
 * karpenter.k8s.aws_ec2nodeclasses.yaml at v1.14.1 (served version v1); kedacore/charts
 * keda/templates/crds/crd-scaledobjects.yaml at v2.20.2 (v1alpha1); argoproj/argo-helm
 * charts/argo-rollouts/templates/crds/rollout-crd.yaml and analysis-template-crd.yaml at tag argo-rollouts-2.41.0
 * (commit 8796aeaa82428f96c3a20293f75a1a805f99d32b; v1alpha1, the CRDs' only version); openAPIV3Schema.properties.spec
 * of each.
 */

export type Shape =
  | { type: "string"; enum?: readonly string[]; pattern?: RegExp }
  | { type: "integer" | "boolean" }
  /** x-kubernetes-int-or-string: a whole number or a string ("25%", "5m"). */
  | { type: "intOrString" }
  | { type: "quantity" }
  | { type: "map" }
  | { type: "array"; items: Shape; maxItems?: number }
  | { type: "object"; properties: Record<string, Shape>; required?: readonly string[] };

const str = (extra: { enum?: readonly string[]; pattern?: RegExp } = {}): Shape => ({ type: "string", ...extra });
const obj = (properties: Record<string, Shape>, required: readonly string[] = []): Shape => ({ type: "object", properties, required });
const arr = (items: Shape, maxItems?: number): Shape => ({ type: "array", items, maxItems });
const DURATION = /^(([0-9]+(s|m|h))+|Never)$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(\/))?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;

const taint = obj({ key: str({ pattern: LABEL_KEY }), value: str({ pattern: LABEL_KEY }), effect: str({ enum: TAINT_EFFECTS }), timeAdded: str() }, ["effect", "key"]);

export const NODE_POOL_SPEC: Shape = obj(
  {
    template: obj(
      {
        metadata: obj({ labels: { type: "map" }, annotations: { type: "map" } }),
        spec: obj(
          {
            nodeClassRef: obj({ group: str({ pattern: /^[^/]+$/ }), kind: str(), name: str() }, ["group", "kind", "name"]),
            requirements: arr(
              obj(
                {
                  key: str({ pattern: LABEL_KEY }),
                  operator: str({ enum: ["Gte", "Lte", "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"] }),
                  values: arr(str({ pattern: /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/ })),
                  minValues: { type: "integer" },
                },
                ["key", "operator"],
              ),
              100,
            ),
            taints: arr(taint),
            startupTaints: arr(taint),
            expireAfter: str({ pattern: DURATION }),
            terminationGracePeriod: str({ pattern: /^([0-9]+(s|m|h))+$/ }),
          },
          ["nodeClassRef", "requirements"],
        ),
      },
      ["spec"],
    ),
    limits: { type: "map" },
    disruption: obj(
      {
        consolidationPolicy: str({ enum: ["WhenEmpty", "WhenEmptyOrUnderutilized", "Balanced"] }),
        consolidateAfter: str({ pattern: DURATION }),
        budgets: arr(obj({ nodes: str({ pattern: /^((100|[0-9]{1,2})%|[0-9]+)$/ }), schedule: str(), duration: str(), reasons: arr(str({ enum: ["Underutilized", "Empty", "Drifted"] })) }, ["nodes"]), 50),
      },
      ["consolidateAfter"],
    ),
    weight: { type: "integer" },
  },
  ["template"],
);

const selectorTerms = (extra: Record<string, Shape>) => arr(obj({ tags: { type: "map" }, id: str(), ...extra }), 30);

export const EC2_NODE_CLASS_SPEC: Shape = obj(
  {
    role: str(),
    instanceProfile: str(),
    amiFamily: str({ enum: ["AL2", "AL2023", "Bottlerocket", "Custom", "Windows2019", "Windows2022", "Windows2025"] }),
    // CEL in the CRD: alias matches ^[a-zA-Z0-9]+@.+$ and names one of the families below.
    amiSelectorTerms: arr(obj({ alias: str({ pattern: /^(al2|al2023|bottlerocket|windows2019|windows2022|windows2025)@.+$/ }), id: str({ pattern: /^ami-[0-9a-z]+$/ }), name: str(), owner: str(), ssmParameter: str(), tags: { type: "map" } }), 30),
    subnetSelectorTerms: selectorTerms({ id: str({ pattern: /^subnet-[0-9a-z]+$/ }) }),
    securityGroupSelectorTerms: selectorTerms({ id: str({ pattern: /^sg-[0-9a-z]+$/ }), name: str() }),
    blockDeviceMappings: arr(
      obj({
        deviceName: str(),
        rootVolume: { type: "boolean" },
        ebs: obj({
          volumeSize: str({ pattern: /^((?:[1-9][0-9]{0,3}|[1-4][0-9]{4}|[5][0-8][0-9]{3}|59000)Gi|(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|[6][0-3][0-9]{3}|64000)G|([1-9]||[1-5][0-7]|58)Ti|([1-9]||[1-5][0-9]|6[0-3]|64)T)$/ }),
          volumeType: str({ enum: ["standard", "io1", "io2", "gp2", "sc1", "st1", "gp3"] }),
          encrypted: { type: "boolean" },
          deleteOnTermination: { type: "boolean" },
          iops: { type: "integer" },
          throughput: { type: "integer" },
          kmsKeyID: str(),
          snapshotID: str(),
        }),
      }),
      50,
    ),
    metadataOptions: obj({
      httpEndpoint: str({ enum: ["enabled", "disabled"] }),
      httpProtocolIPv6: str({ enum: ["enabled", "disabled"] }),
      httpPutResponseHopLimit: { type: "integer" },
      httpTokens: str({ enum: ["required", "optional"] }),
    }),
    tags: { type: "map" },
    userData: str(),
    associatePublicIPAddress: { type: "boolean" },
    detailedMonitoring: { type: "boolean" },
  },
  ["amiSelectorTerms", "securityGroupSelectorTerms", "subnetSelectorTerms"],
);

/** KEDA's ScaledObject (keda.sh/v1alpha1); trigger metadata is a free map of strings, behavior the HPA's own type. */
export const SCALED_OBJECT_SPEC: Shape = obj(
  {
    scaleTargetRef: obj({ apiVersion: str(), kind: str(), name: str(), envSourceContainerName: str() }, ["name"]),
    pollingInterval: { type: "integer" },
    cooldownPeriod: { type: "integer" },
    initialCooldownPeriod: { type: "integer" },
    idleReplicaCount: { type: "integer" },
    minReplicaCount: { type: "integer" },
    maxReplicaCount: { type: "integer" },
    advanced: obj({
      restoreToOriginalReplicaCount: { type: "boolean" },
      horizontalPodAutoscalerConfig: obj({
        name: str(),
        behavior: obj({
          scaleDown: obj({ stabilizationWindowSeconds: { type: "integer" }, selectPolicy: str(), policies: arr(obj({ type: str({ enum: ["Pods", "Percent"] }), value: { type: "integer" }, periodSeconds: { type: "integer" } }, ["type", "value", "periodSeconds"])) }),
          scaleUp: obj({ stabilizationWindowSeconds: { type: "integer" }, selectPolicy: str(), policies: arr(obj({ type: str({ enum: ["Pods", "Percent"] }), value: { type: "integer" }, periodSeconds: { type: "integer" } }, ["type", "value", "periodSeconds"])) }),
        }),
      }),
    }),
    triggers: arr(obj({ type: str(), name: str(), metadata: { type: "map" }, metricType: str(), useCachedMetrics: { type: "boolean" }, authenticationRef: obj({ name: str(), kind: str({ enum: ["TriggerAuthentication", "ClusterTriggerAuthentication"] }) }, ["name"]) }, ["metadata", "type"])),
  },
  ["scaleTargetRef", "triggers"],
);

const INT_OR_STRING: Shape = { type: "intOrString" };
const INT: Shape = { type: "integer" };
const BOOL: Shape = { type: "boolean" };
/** A part of the CRD the stack leaves out: present in the shape so its key is known, flagged if anything is set in it. */
const NOT_USED: Shape = { type: "object", properties: {} };

/**
 * Argo Rollouts' `args` of an analysis step. The CRD leaves `podTemplateHashValue` a plain string; the controller
 * takes only Stable or Latest (argoproj/argo-rollouts v1.9.0 pkg/apis/rollouts/v1alpha1/types.go ValueFromPodTemplateHash).
 */
const rolloutAnalysisArg = obj({ name: str(), value: str(), valueFrom: obj({ podTemplateHashValue: str({ enum: ["Stable", "Latest"] }), fieldRef: obj({ fieldPath: str() }, ["fieldPath"]) }) }, ["name"]);

/**
 * Argo Rollouts' Rollout (argoproj.io/v1alpha1), the parts a canary by workloadRef uses; the other keys of each object
 * are listed with an open shape so that a typo is still "not a field of the CRD". `scaleDown` is a plain string in the
 * CRD; the controller knows never, onsuccess and progressively (types.go ScaleDownNever…).
 */
export const ROLLOUT_SPEC: Shape = obj({
  analysis: NOT_USED,
  minReadySeconds: INT,
  paused: BOOL,
  progressDeadlineAbort: BOOL,
  progressDeadlineSeconds: INT,
  replicas: INT,
  restartAt: str(),
  revisionHistoryLimit: INT,
  rollbackWindow: NOT_USED,
  selector: obj({ matchLabels: { type: "map" }, matchExpressions: arr(NOT_USED) }),
  strategy: obj({
    blueGreen: NOT_USED,
    canary: obj({
      abortScaleDownDelaySeconds: INT,
      analysis: NOT_USED,
      antiAffinity: NOT_USED,
      canaryMetadata: NOT_USED,
      canaryService: str(),
      dynamicStableScale: BOOL,
      maxSurge: INT_OR_STRING,
      maxUnavailable: INT_OR_STRING,
      minPodsPerReplicaSet: INT,
      pingPong: NOT_USED,
      replicaProgressThreshold: NOT_USED,
      scaleDownDelayRevisionLimit: INT,
      scaleDownDelaySeconds: INT,
      stableMetadata: NOT_USED,
      stableService: str(),
      steps: arr(
        obj({
          analysis: obj({ analysisRunMetadata: NOT_USED, args: arr(rolloutAnalysisArg), dryRun: arr(NOT_USED), measurementRetention: arr(NOT_USED), templates: arr(obj({ clusterScope: BOOL, templateName: str() })) }),
          experiment: NOT_USED,
          pause: obj({ duration: INT_OR_STRING }),
          plugin: NOT_USED,
          setCanaryScale: NOT_USED,
          setHeaderRoute: NOT_USED,
          setMirrorRoute: NOT_USED,
          setWeight: INT,
        }),
      ),
      trafficRouting: obj({
        alb: obj({ annotationPrefix: str(), ingress: str(), ingresses: arr(str()), rootService: str(), servicePort: INT, stickinessConfig: obj({ durationSeconds: INT, enabled: BOOL }, ["durationSeconds", "enabled"]) }, ["servicePort"]),
        ambassador: NOT_USED,
        apisix: NOT_USED,
        appMesh: NOT_USED,
        istio: NOT_USED,
        managedRoutes: arr(NOT_USED),
        maxTrafficWeight: INT,
        nginx: NOT_USED,
        plugins: NOT_USED,
        smi: NOT_USED,
        traefik: NOT_USED,
      }),
    }),
  }),
  template: NOT_USED,
  workloadRef: obj({ apiVersion: str(), kind: str(), name: str(), scaleDown: str({ enum: ["never", "onsuccess", "progressively"] }) }),
});

/** Argo Rollouts' AnalysisTemplate (argoproj.io/v1alpha1) with the Prometheus provider. */
export const ANALYSIS_TEMPLATE_SPEC: Shape = obj({
  args: arr(obj({ name: str(), value: str(), valueFrom: NOT_USED }, ["name"])),
  dryRun: arr(NOT_USED),
  measurementRetention: arr(NOT_USED),
  templates: arr(NOT_USED),
  metrics: arr(
    obj(
      {
        consecutiveErrorLimit: INT_OR_STRING,
        consecutiveSuccessLimit: INT_OR_STRING,
        count: INT_OR_STRING,
        failureCondition: str(),
        failureLimit: INT_OR_STRING,
        inconclusiveLimit: INT_OR_STRING,
        initialDelay: str(),
        interval: str(),
        name: str(),
        successCondition: str(),
        provider: obj({
          cloudWatch: NOT_USED,
          datadog: NOT_USED,
          graphite: NOT_USED,
          influxdb: NOT_USED,
          job: NOT_USED,
          kayenta: NOT_USED,
          newRelic: NOT_USED,
          plugin: NOT_USED,
          prometheus: obj({ address: str(), authentication: NOT_USED, headers: arr(NOT_USED), insecure: BOOL, query: str(), rangeQuery: NOT_USED, timeout: INT }),
          skywalking: NOT_USED,
          wavefront: NOT_USED,
          web: NOT_USED,
        }),
      },
      ["name", "provider"],
    ),
  ),
});

/** Problems of `value` against `shape`, as `path: what is wrong` lines; empty when it fits. */
/**
 * The CloudNativePG `Cluster` (postgresql.cnpg.io/v1), the fields the stack sets: cloudnative-pg/charts
 * charts/cloudnative-pg/templates/crds/crds.yaml at tag cloudnative-pg-v0.29.0 (operator 1.30.0),
 * clusters.postgresql.cnpg.io openAPIV3Schema.properties.spec. Only `instances` is required there. The CRD gives
 * `podAntiAffinityType` no enum; its description names "preferred" (the default) and "required".
 */
const stringMap: Shape = { type: "map" };
/** `barmanObjectStore` (deprecated since 1.26, still served by 1.30): the fields the stack sets, with their enums. */
const BARMAN_OBJECT_STORE: Shape = obj(
  {
    destinationPath: str({ pattern: /^s3:\/\// }),
    serverName: str(),
    s3Credentials: obj({ inheritFromIAMRole: { type: "boolean" } }),
    wal: obj({ compression: str({ enum: ["bzip2", "gzip", "lz4", "snappy", "xz", "zstd"] }), encryption: str({ enum: ["AES256", "aws:kms"] }) }),
    data: obj({ compression: str({ enum: ["bzip2", "gzip", "lz4", "snappy"] }), encryption: str({ enum: ["AES256", "aws:kms"] }) }),
  },
  ["destinationPath"],
);
const quantities: Shape = { type: "map" };
export const CNPG_CLUSTER_SPEC: Shape = obj(
  {
    instances: { type: "integer" },
    imageName: str(),
    primaryUpdateStrategy: str({ enum: ["unsupervised", "supervised"] }),
    enableSuperuserAccess: { type: "boolean" },
    enablePDB: { type: "boolean" },
    bootstrap: obj({
      initdb: obj({ database: str(), owner: str(), postInitApplicationSQL: arr(str()), postInitSQL: arr(str()) }),
      recovery: obj({ source: str(), database: str(), owner: str(), backup: obj({ name: str() }, ["name"]), recoveryTarget: obj({ targetTime: str(), backupID: str(), targetImmediate: { type: "boolean" } }) }),
    }),
    backup: obj({ barmanObjectStore: BARMAN_OBJECT_STORE, retentionPolicy: str({ pattern: /^[1-9][0-9]*[dwm]$/ }) }),
    externalClusters: arr(obj({ name: str(), barmanObjectStore: BARMAN_OBJECT_STORE }, ["name"])),
    serviceAccountTemplate: obj({ metadata: obj({ annotations: stringMap, labels: stringMap, name: str() }) }, ["metadata"]),
    storage: obj({ size: str(), storageClass: str(), resizeInUseVolumes: { type: "boolean" } }),
    resources: obj({ limits: quantities, requests: quantities }),
    inheritedMetadata: obj({ labels: stringMap, annotations: stringMap }),
    affinity: obj({
      enablePodAntiAffinity: { type: "boolean" },
      topologyKey: str(),
      podAntiAffinityType: str({ enum: ["preferred", "required"] }),
      nodeSelector: stringMap,
    }),
    seccompProfile: obj({ type: str({ enum: ["RuntimeDefault", "Localhost", "Unconfined"] }), localhostProfile: str() }, ["type"]),
    monitoring: obj({ enablePodMonitor: { type: "boolean" }, disableDefaultQueries: { type: "boolean" } }),
  },
  ["instances"],
);

/** The `ScheduledBackup` (postgresql.cnpg.io/v1), same CRD file: `cluster` and `schedule` are required. */
export const CNPG_SCHEDULED_BACKUP_SPEC: Shape = obj(
  {
    cluster: obj({ name: str() }, ["name"]),
    schedule: str(),
    method: str({ enum: ["barmanObjectStore", "volumeSnapshot", "plugin"] }),
    immediate: { type: "boolean" },
    backupOwnerReference: str({ enum: ["none", "self", "cluster"] }),
  },
  ["cluster", "schedule"],
);

export function shapeProblems(value: unknown, shape: Shape, path = "spec"): string[] {
  switch (shape.type) {
    case "string":
      if (typeof value !== "string") return [`${path}: expected a string, found ${JSON.stringify(value)}`];
      if (shape.enum && !shape.enum.includes(value)) return [`${path}: ${JSON.stringify(value)} is not one of ${shape.enum.join(", ")}`];
      if (shape.pattern && !shape.pattern.test(value)) return [`${path}: ${JSON.stringify(value)} does not match ${shape.pattern}`];
      return [];
    case "integer":
      return Number.isInteger(value) ? [] : [`${path}: expected an integer, found ${JSON.stringify(value)}`];
    case "boolean":
      return typeof value === "boolean" ? [] : [`${path}: expected a boolean, found ${JSON.stringify(value)}`];
    case "intOrString":
      return Number.isInteger(value) || typeof value === "string" ? [] : [`${path}: expected a whole number or a string, found ${JSON.stringify(value)}`];
    case "quantity":
      return typeof value === "string" || typeof value === "number" ? [] : [`${path}: expected a quantity`];
    case "map":
      return value !== null && typeof value === "object" && !Array.isArray(value) && Object.values(value).every((v) => typeof v === "string")
        ? []
        : [`${path}: expected a map of strings, found ${JSON.stringify(value)}`];
    case "array":
      if (!Array.isArray(value)) return [`${path}: expected a list, found ${JSON.stringify(value)}`];
      return [
        ...(shape.maxItems !== undefined && value.length > shape.maxItems ? [`${path}: more than ${shape.maxItems} items`] : []),
        ...value.flatMap((item, i) => shapeProblems(item, shape.items, `${path}[${i}]`)),
      ];
    case "object": {
      if (value === null || typeof value !== "object" || Array.isArray(value)) return [`${path}: expected an object, found ${JSON.stringify(value)}`];
      const fields = value as Record<string, unknown>;
      return [
        ...(shape.required ?? []).filter((key) => fields[key] === undefined).map((key) => `${path}.${key}: required`),
        ...Object.entries(fields).flatMap(([key, field]) =>
          shape.properties[key] ? shapeProblems(field, shape.properties[key], `${path}.${key}`) : [`${path}.${key}: not a field of the CRD`],
        ),
      ];
    }
  }
}
