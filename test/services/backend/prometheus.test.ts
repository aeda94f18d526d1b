/**
 * A real Prometheus (Debian's `prometheus`) scrapes running backends every second and evaluates the alert rules
 * generated from components/monitoring/alert-rules.ts, unchanged (the same rules file tools/promtool.ts writes).
 * Every metric the rules and dashboards query that the backend owns is in what it scraped. In one namespace a hosted
 * stand-in fails (the mock answers as fallback, and the circuit opens) and another's streams break off after they
 * started: the error-rate alerts, the fallback-share, open-circuit and interrupted-stream alerts all become pending
 * although every answer was a 200 (pending needs no `for` to pass, only the expression to hold, so the real
 * durations stay as they are); with healthy traffic in the other namespace nothing does. Each backend's series also
 * carry a pod-template hash, and the canary analysis (components/monitoring/canary-analysis.ts) run for each hash
 * fails the fallback and broken-stream backends and passes the healthy one. Two stand-in vLLM pods of one model
 * server (a failing canary and a healthy stable pod, series as vLLM serves them) are judged the same way by the model
 * servers' canary analysis.
 * Skipped with a message when the binary is missing on a workstation; in CI (`CI` set) its absence fails.
 */
import { ChildProcess, spawn } from "child_process";
import { accessSync, constants, mkdtempSync, writeFileSync } from "fs";
import { createServer } from "net";
import { tmpdir } from "os";
import { delimiter, join } from "path";
import { stringify } from "yaml";
import { alertRuleGroups, alertRules } from "../../../components/monitoring/alert-rules";
import { canaryAnalysisSpec, modelServerCanaryAnalysisSpec } from "../../../components/monitoring/canary-analysis";
import { CANARY_HASH_ARG } from "../../../lib/rollout";
import { deliverySchema } from "../../../config/delivery";
import { parseStackConfig } from "../../../config/load";
import { dashboardQueries, dashboards } from "../../../components/monitoring/dashboards";
import { BACKEND_METRICS, CLUSTER_METRICS, DCGM_METRICS, TRITON_METRICS, VALKEY_METRICS, VLLM_METRICS, CNPG_METRICS } from "../../../lib/metrics-contract";
import { rulesFile } from "../../../tools/promtool";
import { metricNames } from "../../support/promql";
import { StandIn, startStandIn } from "./support/stand-ins";
import { postChat, RunningBackend, startBackend, USER_HELLO } from "./support/backend";
import { startVllmMetrics, VllmMetrics } from "./support/vllm-metrics";

const prometheus = [process.env.PROMETHEUS, ...(process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, "prometheus"))].find((file) => {
  try {
    accessSync(file!, constants.X_OK);
    return true;
  } catch {
    return false;
  }
});
const MISSING = "prometheus not found: install Debian's `prometheus` package (apt-get install prometheus), or set PROMETHEUS to its path.";
if (!prometheus && process.env.CI) {
  it("given CI, then prometheus is installed, because the backend's metrics contract is only proven with it", () => {
    throw new Error(`${MISSING} .ci/run installs it before npm test.`);
  });
} else if (!prometheus) {
  console.warn(`Skipping the Prometheus test of the backend's metrics: ${MISSING}`);
}

/**
 * Metrics queried that the backend cannot emit, by who does: vLLM's own /metrics, NVIDIA's DCGM exporter, and
 * kube-state-metrics / node-exporter / the kubelet (cluster-only), Valkey's redis_exporter and Triton's own /metrics.
 * `ALERTS` is Prometheus's own.
 */
const NOT_THE_BACKENDS = new Set<string>([...Object.values(VLLM_METRICS), ...Object.values(DCGM_METRICS), ...Object.values(CLUSTER_METRICS), ...Object.values(VALKEY_METRICS), ...Object.values(TRITON_METRICS), ...Object.values(CNPG_METRICS), "ALERTS"]);

const FAILING = "ns-failing";
const HEALTHY = "ns-healthy";
/**
 * Each backend stands for the pods of one ReplicaSet: its series carry the pod-template hash, as the ServiceMonitor's
 * relabeling puts it on them in a cluster (components/monitoring/scrape-targets.ts).
 */
const HASHES = { failing: "5f9c7d8b4", breaking: "6b8d9f7c5", healthy: "7c4d8b9f6" } as const;
/** The model servers' namespace, one server in it, and the hashes of its two pods' ReplicaSets. */
const MODELS = "ns-models";
const MODEL_SERVER = "model-server";
const VLLM_HASHES = { canary: "8d5f6c7b9", stable: "9e6a7d8c1" } as const;
// First tokens in seconds, per scrape: p95 1.75 s (under the 2 s default) and 4.375 s (over it).
const FAST_FIRST_TOKENS = { "0.5": 6, "1.0": 9, "2.5": 10, "5.0": 10, "+Inf": 10 };
const SLOW_FIRST_TOKENS = { "0.5": 2, "1.0": 5, "2.5": 8, "5.0": 10, "+Inf": 10 };

/** The model servers' canary analysis of the stack defaults (delivery.canary.modelServers, the backend's timing). */
const modelServerAnalysis = () => {
  const { canary } = deliverySchema.parse({ strategy: "canary", canary: { modelServers: { enabled: true } } });
  return modelServerCanaryAnalysisSpec({ namespace: MODELS, server: MODEL_SERVER, prometheusUrl: "http://unused", thresholds: canary.modelServers, timing: canary.analysis });
};

/** The canary analysis of the stack defaults (delivery.canary.analysis), for one namespace. */
const canaryAnalysis = (namespace: string) => {
  const { delivery } = parseStackConfig({ values: { phase: "mock", grafanaAdminPassword: "x", delivery: JSON.stringify({ strategy: "canary" }) }, secretKeys: new Set() }, "dev");
  return canaryAnalysisSpec({ namespace, prometheusUrl: "http://unused", analysis: delivery.canary.analysis });
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

type Alert = { labels: Record<string, string>; state: string };

(prometheus ? describe : describe.skip)("given Prometheus scraping a failing and a healthy backend every second, with the real alert rules", () => {
  let upstream: StandIn;
  let breakingUpstream: StandIn;
  let breaking: RunningBackend;
  let failing: RunningBackend;
  let healthy: RunningBackend;
  let server: ChildProcess;
  let api: string;
  let traffic: NodeJS.Timeout;
  let vllmPods: Record<keyof typeof VLLM_HASHES, VllmMetrics>;
  const inFlight = new Set<Promise<unknown>>();
  let log = "";

  beforeAll(async () => {
    upstream = await startStandIn("openai");
    upstream.always({ status: 500 });
    breakingUpstream = await startStandIn("openai");
    breakingUpstream.always("break");
    const hosted = { LLM_PROVIDER: "openai", LLM_MODEL: "gpt-4o-mini", LLM_API_KEY: "k" };
    // Retried once, then the mock answers (a 200); after 5 failures the circuit opens and the mock answers at once.
    failing = await startBackend({ ...hosted, LLM_BASE_URL: upstream.baseUrl, LLM_FALLBACK: "mock", LLM_MAX_RETRIES: "1", LLM_RETRY_MAX_WAIT_SECONDS: "1", BREAKER_COOLDOWN_SECONDS: "2" });
    // Every stream starts (200) and breaks off after two words.
    breaking = await startBackend({ ...hosted, LLM_BASE_URL: breakingUpstream.baseUrl, LLM_MAX_RETRIES: "0", BREAKER_FAILURES: "1000" });
    healthy = await startBackend({ LLM_PROVIDER: "mock" });
    // Each request is read to its end and kept until it settles: a body still being read when afterAll stops the
    // servers rejects ("terminated"), and unhandled, that rejection lands in whichever test file this worker runs next.
    const send = (url: string, body: unknown) => {
      const request = postChat(url, body)
        .then((r) => r.text())
        .catch(() => undefined)
        .finally(() => inFlight.delete(request));
      inFlight.add(request);
    };
    const ask = () => {
      send(failing.url, USER_HELLO);
      send(breaking.url, { ...USER_HELLO, stream: true });
      send(healthy.url, USER_HELLO);
      send(healthy.url, { ...USER_HELLO, stream: true });
    };
    ask();
    traffic = setInterval(ask, 200);

    vllmPods = {
      // A new engine version: 5xx answers, streams the engine ends with an error after their 200, slow first tokens.
      canary: await startVllmMetrics({ http: { "2xx": 92, "5xx": 8 }, finished: { stop: 86, error: 6 }, timeToFirstToken: SLOW_FIRST_TOKENS }),
      // The stable version, with client errors and clients that hung up: no failure of the server's.
      stable: await startVllmMetrics({ http: { "2xx": 97, "4xx": 3 }, finished: { stop: 95, abort: 2 }, timeToFirstToken: FAST_FIRST_TOKENS }),
    };
    const vllmTarget = (pod: keyof typeof VLLM_HASHES) => ({
      job_name: `vllm-${pod}`,
      static_configs: [{ targets: [vllmPods[pod].target], labels: { namespace: MODELS, service: MODEL_SERVER, rollouts_pod_template_hash: VLLM_HASHES[pod] } }],
    });

    const dir = mkdtempSync(join(tmpdir(), "prometheus-"));
    writeFileSync(join(dir, "rules-failing.yaml"), rulesFile(alertRuleGroups({ appNamespace: FAILING })));
    writeFileSync(join(dir, "rules-healthy.yaml"), rulesFile(alertRuleGroups({ appNamespace: HEALTHY })));
    const target = (url: string, namespace: string, job: keyof typeof HASHES) => ({
      job_name: `backend-${job}`,
      static_configs: [{ targets: [url.replace("http://", "")], labels: { namespace, rollouts_pod_template_hash: HASHES[job] } }],
    });
    writeFileSync(
      join(dir, "prometheus.yml"),
      stringify({
        global: { scrape_interval: "1s", evaluation_interval: "1s" },
        rule_files: ["rules-failing.yaml", "rules-healthy.yaml"],
        scrape_configs: [target(failing.url, FAILING, "failing"), target(breaking.url, FAILING, "breaking"), target(healthy.url, HEALTHY, "healthy"), vllmTarget("canary"), vllmTarget("stable")],
      }),
    );
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    server = spawn(prometheus!, [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"], { cwd: dir });
    server.stderr!.on("data", (chunk) => (log += chunk));
    await until("Prometheus to be ready", async () => ((await fetch(`${api}/-/ready`)).ok ? true : undefined), 20_000).catch((error) => {
      throw new Error(`${error.message}\n${log}`);
    });
  }, 40_000);

  afterAll(async () => {
    clearInterval(traffic);
    await Promise.all(inFlight);
    server?.kill("SIGTERM");
    await Promise.all([failing?.close(), breaking?.close(), healthy?.close(), upstream?.close(), breakingUpstream?.close(), vllmPods?.canary.close(), vllmPods?.stable.close()]);
  });

  const query = async (promql: string) => {
    const body = (await (await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`)).json()) as { data: { result: unknown[] } };
    return body.data.result;
  };
  /** `query > bool limit` for one metric of an AnalysisTemplate: what its failureCondition decides, from the real series. */
  const analysisVerdict = async (spec: { metrics: { name: string; failureCondition: string; provider: { prometheus: { query: string } } }[] }, hash: string, metric: string) => {
    const m = spec.metrics.find((x) => x.name === metric)!;
    const limit = /> ([\d.]+)$/.exec(m.failureCondition)![1];
    const promql = `(${m.provider.prometheus.query.split(`{{args.${CANARY_HASH_ARG}}}`).join(hash)}) > bool ${limit}`;
    const result = (await query(promql)) as { value: [number, string] }[];
    return result.length === 1 ? result[0].value[1] : undefined;
  };
  const alerts = async (): Promise<Alert[]> => ((await (await fetch(`${api}/api/v1/alerts`)).json()) as { data: { alerts: Alert[] } }).data.alerts;

  it("then both rule files are loaded: every alert of the rules, for each namespace", async () => {
    const groups = ((await (await fetch(`${api}/api/v1/rules`)).json()) as { data: { groups: { rules: unknown[] }[] } }).data.groups;
    expect(groups.flatMap((g) => g.rules)).toHaveLength(2 * alertRules({ appNamespace: FAILING }).length);
  });

  it("then every metric the rules and dashboards query, except the model server's and the cluster's, is scraped from the backend", async () => {
    const exprs = [...alertRules({ appNamespace: FAILING }).map((r) => r.expr), ...dashboards({ appNamespace: FAILING, gpuHourlyCostUsd: 1 }).flatMap(dashboardQueries).map((q) => q.expr)];
    const queried = new Set(exprs.flatMap(metricNames));
    const fromBackend = [...queried].filter((name) => !NOT_THE_BACKENDS.has(name)).sort();
    // Exactly the contract (and `up`, which Prometheus records per target): nothing queried is left unaccounted for.
    expect(fromBackend).toEqual([...Object.values(BACKEND_METRICS).map((m) => m.name), "up"].sort());
    const series = (name: string) => (Object.values(BACKEND_METRICS).find((m) => m.name === name)?.type === "histogram" ? `${name}_bucket` : name);
    // No backend serves an in-cluster model, so none counts requests for one (test/services/backend/scale-to-zero.test.ts
    // does). The healthy one never calls an upstream, so it has no upstream errors, retries or fallbacks to count.
    // Neither has client keys, a response cache or Valkey, whose series exist only where they are configured
    // (test/services/backend/api-keys-and-cache.test.ts serves them). Neither has knowledge on, so neither counts
    // retrievals or semantic-cache lookups (test/services/backend/knowledge/ does); the retrieval histogram has no
    // labels, so prom-client serves its empty buckets anyway. Neither has a flag file, so no flag is evaluated
    // (test/services/backend/feature-flags.test.ts counts them).
    const m = BACKEND_METRICS;
    const unconfigured = [m.apiKeyRequests, m.apiKeyTokens, m.cacheRequests, m.cacheSavedTokens, m.sharedStateErrors, m.knowledgeRetrievals, m.semanticCache, m.featureFlagEvaluations].map(
      (metric) => metric.name,
    );
    const expectedMissing: Record<string, string[]> = {
      [FAILING]: [m.localModelRequests.name, ...unconfigured].sort(),
      [HEALTHY]: [m.fallbacks.name, m.localModelRequests.name, m.retries.name, m.upstreamErrors.name, ...unconfigured].sort(),
    };
    for (const namespace of [FAILING, HEALTHY]) {
      let missing: string[] = [];
      await until(`the backend metrics in ${namespace}`, async () => {
        missing = [];
        for (const name of fromBackend) if ((await query(`${series(name)}{namespace="${namespace}"}`)).length === 0) missing.push(name);
        return JSON.stringify(missing.sort()) === JSON.stringify(expectedMissing[namespace]) ? true : undefined;
      }, 15_000).catch(() => expect(missing).toEqual(expectedMissing[namespace]));
    }
    const buckets = await query(`count by (le) (${BACKEND_METRICS.inferenceDuration.name}_bucket{namespace="${HEALTHY}"})`);
    expect((buckets as { metric: { le: string } }[]).map((b) => (b.metric.le === "+Inf" ? Infinity : Number(b.metric.le))).sort((a, b) => a - b)).toEqual([0.25, 0.5, 1, 2.5, 5, 7.5, 10, 15, 30, 60, Infinity]);
  }, 30_000);

  it("then the error-rate, fallback, open-circuit and interrupted-stream alerts become pending for the failing namespace (every answer a 200), and no alert concerns the healthy one", async () => {
    const expected = [["ErrorRateCritical", "pending"], ["ErrorRateHigh", "pending"], ["FallbackAnswersHigh", "pending"], ["ProviderCircuitOpen", "pending"], ["StreamsInterrupted", "pending"]];
    let mine: Alert[] = [];
    await until("the alerts to become pending", async () => {
      mine = (await alerts()).filter((a) => a.labels.namespace === FAILING);
      return mine.length === expected.length ? mine : undefined;
    }, 20_000).catch(() => undefined);
    expect(mine.map((a) => [a.labels.alertname, a.state]).sort()).toEqual(expected);
    expect(mine.find((a) => a.labels.alertname === "ProviderCircuitOpen")!.labels).toMatchObject({ provider: "openai", upstream: upstream.baseUrl });
    // Not one answer was a 5xx (there is no such series): by status alone, nothing failed.
    expect(await query(`${BACKEND_METRICS.requests.name}{namespace="${FAILING}", status=~"5.."}`)).toEqual([]);
    const errorRatio = await query(alertRules({ appNamespace: FAILING }).find((r) => r.alert === "ErrorRateHigh")!.expr);
    expect(errorRatio).toHaveLength(1);
    expect((await alerts()).filter((a) => a.labels.namespace === HEALTHY)).toEqual([]);
    expect(await query(alertRules({ appNamespace: HEALTHY }).find((r) => r.alert === "ErrorRateHigh")!.expr)).toEqual([]);
  }, 30_000);

  it("then the canary analysis, run for each backend's pod-template hash, fails the fallback and broken-stream canaries (both all 200s) and passes the healthy one", async () => {
    // `query > bool limit` for each metric: what the AnalysisTemplate's failureCondition decides, from the real series.
    const verdict = (namespace: string, hash: string, metric: string) => analysisVerdict(canaryAnalysis(namespace), hash, metric);
    const settled = async () => {
      const found = [await verdict(FAILING, HASHES.failing, "error-ratio"), await verdict(FAILING, HASHES.breaking, "error-ratio"), await verdict(HEALTHY, HASHES.healthy, "error-ratio"), await verdict(HEALTHY, HASHES.healthy, "p95-latency")];
      return found.every((v) => v !== undefined) ? found : undefined;
    };
    const found = await until("the canary queries to have data", settled, 20_000).catch(() => undefined);
    expect(found).toEqual(["1", "1", "0", "0"]);
  }, 30_000);

  it("then the model servers' canary analysis, run for each vLLM pod's hash, fails the canary on all three measures (5xx, engine errors after a 200, slow first tokens) and passes the stable pod", async () => {
    const spec = modelServerAnalysis();
    const metrics = ["http-error-ratio", "engine-error-ratio", "p95-time-to-first-token"];
    expect(spec.metrics.map((m) => m.name)).toEqual(metrics);
    const settled = async () => {
      const found = await Promise.all([VLLM_HASHES.canary, VLLM_HASHES.stable].flatMap((hash) => metrics.map((metric) => analysisVerdict(spec, hash, metric))));
      return found.every((v) => v !== undefined) ? found : undefined;
    };
    const found = await until("the model-server canary queries to have data", settled, 20_000).catch(() => undefined);
    expect(found).toEqual(["1", "1", "1", "0", "0", "0"]);
  }, 30_000);
});
