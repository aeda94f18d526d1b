import { mkdtempSync, writeFileSync } from "fs";
import { everySecret } from "../../support/config";
import { tmpdir } from "os";
import { join } from "path";
import { parseStackConfig } from "../../../config/load";
import { scalingQueries, ScaledServer } from "../../../components/model-servers/scaled-object";
import { BACKEND_METRICS } from "../../../lib/metrics-contract";
import { rulesFile, runPromtool } from "../../../tools/promtool";
import type { RenderResult } from "../../../tools/render";
import { SCALED_OBJECT_SPEC, shapeProblems } from "../../support/crd-shapes";
import { planned, plannedOne } from "../../support/eks";
import { K8sObject, objectOf, objectsOf, renderConfig, renderStack, stackFileSettings } from "../../support/render";
import { promtoolSuite } from "../../support/promtool";

const MONITORED = { phase: "local-model", namespace: "assistant-test", monitoring: { enabled: true }, grafanaAdminPassword: { secure: "AAABAGrafana" } };
const HOSTED = { hostedApi: { provider: "openai", model: "gpt-4o-mini" }, apiKey: { secure: "AAABAKey" } };

/** A vLLM server on an efs (ReadWriteMany) cache, scaled 2-3 on its queue. */
const QUEUE_SCALED = {
  ...MONITORED,
  localModel: {
    engine: "vllm",
    models: ["Qwen/Qwen2.5-7B-Instruct"],
    cache: { size: "100Gi", storageClass: "efs", accessMode: "ReadWriteMany" },
    autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 3, waitingRequestsPerReplica: 5, runningRequestsPerReplica: 20 },
  },
};

/** A vLLM server that sleeps when idle, with the hosted API answering meanwhile. */
const SLEEPING = {
  ...MONITORED,
  ...HOSTED,
  localModel: { engine: "vllm", models: ["Qwen/Qwen2.5-7B-Instruct"], scaleToZero: true, idleMinutes: 20, fallbackToHostedApi: true },
};

const trigger = (scaled: K8sObject, name: string) => scaled.spec.triggers.find((t: { name: string }) => t.name === name);

describe("a vLLM server scaled on its queue", () => {
  let result: RenderResult;
  let scaled: K8sObject;
  beforeAll(async () => {
    result = await renderConfig(QUEUE_SCALED);
    scaled = objectOf(result, "ScaledObject", "model-server");
  });

  it("gets a KEDA ScaledObject on its Deployment with the configured bounds", () => {
    expect(scaled.apiVersion).toBe("keda.sh/v1alpha1");
    expect(scaled.metadata.namespace).toBe("assistant-test");
    expect(scaled.spec).toMatchObject({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "model-server" },
      minReplicaCount: 2,
      maxReplicaCount: 3,
      pollingInterval: 15,
    });
    expect(shapeProblems(scaled.spec, SCALED_OBJECT_SPEC)).toEqual([]);
  });

  it("scales on vllm:num_requests_waiting and vllm:num_requests_running of its own Service, from the stack's Prometheus", () => {
    expect(scaled.spec.triggers.map((t: { name: string }) => t.name)).toEqual(["queue-waiting", "requests-running"]);
    expect(trigger(scaled, "queue-waiting")).toEqual({
      type: "prometheus",
      name: "queue-waiting",
      metadata: {
        serverAddress: "http://kps-test-prometheus.monitoring.svc.cluster.local:9090",
        query: 'sum(vllm:num_requests_waiting{namespace="assistant-test", service="model-server"})',
        threshold: "5",
      },
    });
    expect(trigger(scaled, "requests-running").metadata).toMatchObject({ query: 'sum(vllm:num_requests_running{namespace="assistant-test", service="model-server"})', threshold: "20" });
  });

  it("leaves the Deployment's replicas to KEDA, so pulumi up never fights it", () => {
    expect(objectOf(result, "Deployment", "model-server").spec.replicas).toBeUndefined();
  });

  it("installs KEDA's chart, pinned, in a restricted namespace, and creates the ScaledObject after it (its CRD)", () => {
    const chart = plannedOne(result, "kubernetes:helm.sh/v4:Chart", "keda-chart");
    expect(chart.inputs).toMatchObject({ chart: "keda", version: "2.20.2", repositoryOpts: { repo: "https://kedacore.github.io/charts" }, namespace: "keda" });
    expect(objectOf(result, "Namespace", "keda").metadata.labels).toMatchObject({ "pod-security.kubernetes.io/enforce": "restricted" });
    expect(plannedOne(result, "kubernetes:keda.sh/v1alpha1:ScaledObject", "model-server-scaling").dependencies).toContain(chart.urn);
  });

  it("has a PodDisruptionBudget that lets one of its (at least two) pods go at a time", () => {
    const pdb = objectOf(result, "PodDisruptionBudget", "model-server");
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: objectOf(result, "Deployment", "model-server").spec.selector.matchLabels } });
  });
});

describe("a Triton server scaled on its queue", () => {
  it("scales on Triton's own nv_inference_pending_request_count of its Service, waitingRequestsPerReplica per replica", async () => {
    const result = await renderConfig({ ...QUEUE_SCALED, localModel: { ...QUEUE_SCALED.localModel, engine: "triton" } });
    const scaled = objectOf(result, "ScaledObject", "model-server");
    expect(scaled.spec.triggers.map((t: { name: string }) => t.name)).toEqual(["queue-pending"]);
    expect(trigger(scaled, "queue-pending").metadata).toEqual({
      serverAddress: "http://kps-test-prometheus.monitoring.svc.cluster.local:9090",
      query: 'sum(nv_inference_pending_request_count{namespace="assistant-test", service="model-server"})',
      threshold: "5",
    });
    expect(shapeProblems(scaled.spec, SCALED_OBJECT_SPEC)).toEqual([]);
    // Triton's metrics are scraped where the trigger reads them: a ServiceMonitor on its engine label.
    const monitor = objectOf(result, "ServiceMonitor", "model-server-triton");
    expect(monitor.spec.selector.matchLabels["ai-assistant.io/engine"]).toBe("triton");
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: "http", path: "/metrics" })]);
    expect(objectOf(result, "Service", "model-server").metadata.labels?.["ai-assistant.io/engine"]).toBe("triton");
  });
});

describe("a vLLM server that scales to zero", () => {
  let result: RenderResult;
  let scaled: K8sObject;
  beforeAll(async () => {
    result = await renderConfig(SLEEPING);
    scaled = objectOf(result, "ScaledObject", "model-server");
  });

  it("may go to 0 replicas after its idle period, never before its first start had time", () => {
    expect(scaled.spec).toMatchObject({ minReplicaCount: 0, maxReplicaCount: 1, cooldownPeriod: 20 * 60, initialCooldownPeriod: (15 + 30) * 60 });
    expect(shapeProblems(scaled.spec, SCALED_OBJECT_SPEC)).toEqual([]);
  });

  it("has no PodDisruptionBudget: a server that may sleep has no pod a budget could keep", () => {
    expect(objectsOf(result, "PodDisruptionBudget").map((pdb) => pdb.metadata.name)).not.toContain("model-server");
  });

  it("wakes on the backend's counter of requests for its model, asking for one replica at most", () => {
    expect(trigger(scaled, "wake-up").metadata).toEqual({
      serverAddress: "http://kps-test-prometheus.monitoring.svc.cluster.local:9090",
      query: `clamp_max(sum(rate(${BACKEND_METRICS.localModelRequests.name}{namespace="assistant-test", model="Qwen/Qwen2.5-7B-Instruct"}[2m])), 1)`,
      threshold: "1",
      activationThreshold: "0",
    });
    expect(BACKEND_METRICS.localModelRequests.labels).toEqual(["model", "reason"]);
  });

  it("keeps the hosted API as the backend's fallback while it sleeps", () => {
    const settings = objectOf(result, "ConfigMap", "backend-settings").data;
    // The hosted API first, then canned answers (hostedApi.fallbackToMock defaults to true).
    expect(settings).toMatchObject({ LLM_PROVIDER: "vllm", LLM_FALLBACK: "hosted,mock", FALLBACK_PROVIDER: "openai", FALLBACK_MODEL: "gpt-4o-mini" });
  });
});

describe("the committed prod stack", () => {
  it("has a KEDA ScaledObject on vllm:num_requests_waiting that lets the server sleep, and KEDA on the system pool", async () => {
    const result = await renderStack("prod");
    const scaled = objectOf(result, "ScaledObject", "model-server");
    expect(trigger(scaled, "queue-waiting").metadata.query).toBe('sum(vllm:num_requests_waiting{namespace="ai-assistant", service="model-server"})');
    expect(trigger(scaled, "queue-waiting").metadata.serverAddress).toBe("http://kps-prod-prometheus.monitoring.svc.cluster.local:9090");
    expect(scaled.spec).toMatchObject({ minReplicaCount: 0, maxReplicaCount: 1, cooldownPeriod: 30 * 60 });
    const values = plannedOne(result, "kubernetes:helm.sh/v4:Chart", "keda-chart").inputs.values as Record<string, unknown>;
    expect(values.nodeSelector).toEqual({ "ai-assistant.io/pool": "system" });
  });
});

describe("model servers KEDA does not scale", () => {
  it("keep their fixed replicas, with no ScaledObject and no KEDA", async () => {
    const result = await renderConfig({ ...MONITORED, localModel: { engine: "vllm", models: ["Qwen/Qwen2.5-7B-Instruct"] } });
    expect(objectsOf(result, "ScaledObject")).toEqual([]);
    expect(planned(result, "kubernetes:helm.sh/v4:Chart", "keda-chart")).toEqual([]);
    expect(objectOf(result, "Deployment", "model-server").spec.replicas).toBe(1);
  });

  it("an Ollama server that sleeps wakes on the backend's counter alone (it has no queue metric), for any of its models", async () => {
    const result = await renderConfig({ ...MONITORED, ...HOSTED, localModel: { engine: "ollama", models: ["llama3.2:3b", "qwen2.5:7b"], scaleToZero: true, fallbackToHostedApi: true } });
    const scaled = objectOf(result, "ScaledObject", "model-server");
    expect(scaled.spec.triggers.map((t: { name: string }) => t.name)).toEqual(["wake-up"]);
    expect(trigger(scaled, "wake-up").metadata.query).toContain('model=~"llama3\\\\.2:3b|qwen2\\\\.5:7b"');
  });

  it("on a cluster that runs KEDA already (cluster.keda.install false): the ScaledObject, but no chart", async () => {
    const result = await renderConfig({ ...SLEEPING, cluster: { type: "kubeconfig", keda: { install: false } } });
    expect(objectsOf(result, "ScaledObject")).toHaveLength(1);
    expect(planned(result, "kubernetes:helm.sh/v4:Chart", "keda-chart")).toEqual([]);
  });
});

describe("scaling config rules", () => {
  const parse = (settings: Record<string, unknown>) => {
    const values = Object.fromEntries(Object.entries(settings).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]));
    // Every secret set, so that only the rule under test can speak.
    const secrets = everySecret();
    return parseStackConfig({ values: { ...secrets, ...values }, secretKeys: new Set() }, "test");
  };
  const strip = (settings: Record<string, unknown>) => Object.fromEntries(Object.entries(settings).filter(([key]) => !["apiKey", "grafanaAdminPassword"].includes(key)));
  const problem = (settings: Record<string, unknown>) => {
    try {
      parse(strip(settings));
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error("expected the config to be rejected");
  };
  const local = (extra: Record<string, unknown>) => ({ ...strip(SLEEPING), localModel: { ...SLEEPING.localModel, ...extra } });

  it("accepts scale-to-zero with the hosted fallback, and queue autoscaling on a ReadWriteMany cache", () => {
    expect(parse(strip(SLEEPING)).localModel).toMatchObject({ scaleToZero: true, idleMinutes: 20, autoscaling: { enabled: false } });
    expect(() => parse(strip(QUEUE_SCALED))).not.toThrow();
  });

  it("refuses scale-to-zero without the hosted fallback", () => {
    expect(problem(local({ fallbackToHostedApi: false }))).toContain(
      "ai-assistant:localModel.scaleToZero: expected localModel.fallbackToHostedApi true with scaleToZero: while the model server sleeps (and for the minutes it takes to wake) only the hosted API can answer; found true",
    );
  });

  it("refuses the committed prod stack without its fallback", () => {
    const prod = stackFileSettings("prod");
    expect(problem({ ...prod, localModel: { ...(prod.localModel as Record<string, unknown>), fallbackToHostedApi: false } })).toContain("ai-assistant:localModel.scaleToZero: expected localModel.fallbackToHostedApi true");
  });

  it("refuses more than one replica on a ReadWriteOnce cache, naming autoscaling.maxReplicas", () => {
    expect(problem({ ...QUEUE_SCALED, localModel: { ...QUEUE_SCALED.localModel, cache: { size: "100Gi" } } })).toContain(
      "ai-assistant:localModel.cache.accessMode: expected ReadWriteMany for up to 3 replicas (autoscaling.maxReplicas) sharing one cache (a ReadWriteOnce volume attaches to one node); use an efs cache, or keep one replica; found \"ReadWriteOnce\"",
    );
    expect(() => parse(strip({ ...QUEUE_SCALED, localModel: { ...QUEUE_SCALED.localModel, cache: { size: "100Gi" }, autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 1 } } }))).not.toThrow();
  });

  it("refuses queue autoscaling for Ollama, minReplicas above maxReplicas, and KEDA scaling without monitoring", () => {
    expect(problem(local({ engine: "ollama", models: ["llama3.2:3b"], autoscaling: { enabled: true, maxReplicas: 1 } }))).toContain(
      "ai-assistant:localModel.autoscaling.enabled: expected false for Ollama: it exposes no queue metric to scale on",
    );
    expect(problem({ ...QUEUE_SCALED, localModel: { ...QUEUE_SCALED.localModel, autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 2 } } })).toContain(
      "ai-assistant:localModel.autoscaling.minReplicas: expected minReplicas no larger than maxReplicas (2); found 3",
    );
    expect(problem({ ...SLEEPING, monitoring: { enabled: false } })).toContain("ai-assistant:monitoring.enabled: expected monitoring.enabled true: KEDA scales the model servers");
  });
});

const { promtool, withPromtool } = promtoolSuite("the scaling queries");

withPromtool("the scaling queries", () => {
  const servers: ScaledServer[] = [
    { serverName: "model-server", engine: "vllm", models: ["Qwen/Qwen2.5-7B-Instruct"], namespace: "ai-assistant" },
    { serverName: "model-server", engine: "triton", models: ["Qwen/Qwen2.5-7B-Instruct"], namespace: "ai-assistant" },
    { serverName: "model-server", engine: "ollama", models: ["llama3.2:3b", 'odd"name\\x'], namespace: "ai-assistant" },
  ];
  const check = (queries: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), "scaling-"));
    const rules = [{ name: "scaling", rules: queries.map((expr, i) => ({ record: `scaling:query${i + 1}`, expr })) }];
    writeFileSync(join(dir, "scaling.yaml"), rulesFile(rules as never));
    return runPromtool(promtool!, ["check", "rules", "scaling.yaml"], dir);
  };

  it("parse with promtool, model names with quotes and backslashes included", () => {
    const queries = servers.flatMap((server) => Object.values(scalingQueries(server)));
    const result = check(queries);
    expect(result.output).toContain(`SUCCESS: ${queries.length} rules found`);
    expect(result.ok).toBe(true);
  });

  it("and promtool does reject a broken one", () => {
    expect(check(["sum(vllm:num_requests_waiting{namespace=\"ai-assistant\"}"]).ok).toBe(false);
  });
});
