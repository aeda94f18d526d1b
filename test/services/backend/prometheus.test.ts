/**
 * A real Prometheus (Debian's `prometheus`) scrapes running backends every second and evaluates the alert rules
 * generated from components/monitoring/alert-rules.ts, unchanged (the same rules file tools/promtool.ts writes).
 * Every metric the rules and dashboards query that the backend owns is in what it scraped; with a hosted stand-in
 * failing and no fallback the error-rate alerts become pending (pending needs no `for` to pass, only the
 * expression to hold, so the real 5m/1m durations stay as they are); with healthy traffic they do not.
 * Skipped with a message when the binary is missing on a workstation; in CI (`CI` set) its absence fails.
 */
import { ChildProcess, spawn } from "child_process";
import { accessSync, constants, mkdtempSync, writeFileSync } from "fs";
import { createServer } from "net";
import { tmpdir } from "os";
import { delimiter, join } from "path";
import { stringify } from "yaml";
import { alertRuleGroups, alertRules } from "../../../components/monitoring/alert-rules";
import { dashboardQueries, dashboards } from "../../../components/monitoring/dashboards";
import { BACKEND_METRICS, CLUSTER_METRICS, DCGM_METRICS, VLLM_METRICS } from "../../../lib/metrics-contract";
import { rulesFile } from "../../../tools/promtool";
import { metricNames } from "../../support/promql";
import { StandIn, startStandIn } from "./support/stand-ins";
import { postChat, RunningBackend, startBackend, USER_HELLO } from "./support/backend";

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
 * kube-state-metrics / node-exporter / the kubelet (cluster-only). `ALERTS` is Prometheus's own.
 */
const NOT_THE_BACKENDS = new Set<string>([...Object.values(VLLM_METRICS), ...Object.values(DCGM_METRICS), ...Object.values(CLUSTER_METRICS), "ALERTS"]);

const FAILING = "ns-failing";
const HEALTHY = "ns-healthy";

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
  let failing: RunningBackend;
  let healthy: RunningBackend;
  let server: ChildProcess;
  let api: string;
  let traffic: NodeJS.Timeout;
  let log = "";

  beforeAll(async () => {
    upstream = await startStandIn("openai");
    upstream.always({ status: 500 });
    failing = await startBackend({ LLM_PROVIDER: "openai", LLM_BASE_URL: upstream.baseUrl, LLM_MODEL: "gpt-4o-mini", LLM_API_KEY: "k", LLM_MAX_RETRIES: "0" });
    healthy = await startBackend({ LLM_PROVIDER: "mock" });
    const ask = () => {
      void postChat(failing.url, USER_HELLO).then((r) => r.text(), () => undefined);
      void postChat(healthy.url, USER_HELLO).then((r) => r.text(), () => undefined);
      void postChat(healthy.url, { ...USER_HELLO, stream: true }).then((r) => r.text(), () => undefined);
    };
    ask();
    traffic = setInterval(ask, 200);

    const dir = mkdtempSync(join(tmpdir(), "prometheus-"));
    writeFileSync(join(dir, "rules-failing.yaml"), rulesFile(alertRuleGroups({ appNamespace: FAILING })));
    writeFileSync(join(dir, "rules-healthy.yaml"), rulesFile(alertRuleGroups({ appNamespace: HEALTHY })));
    const target = (url: string, namespace: string, job: string) => ({ job_name: job, static_configs: [{ targets: [url.replace("http://", "")], labels: { namespace } }] });
    writeFileSync(
      join(dir, "prometheus.yml"),
      stringify({
        global: { scrape_interval: "1s", evaluation_interval: "1s" },
        rule_files: ["rules-failing.yaml", "rules-healthy.yaml"],
        scrape_configs: [target(failing.url, FAILING, "backend-failing"), target(healthy.url, HEALTHY, "backend-healthy")],
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
    server?.kill("SIGTERM");
    await Promise.all([failing?.close(), healthy?.close(), upstream?.close()]);
  });

  const query = async (promql: string) => {
    const body = (await (await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`)).json()) as { data: { result: unknown[] } };
    return body.data.result;
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
    // The failing backend answers nothing, so it has no answer times or tokens to report; requests and `up` it has.
    // Neither serves an in-cluster model, so neither counts requests for one (test/services/backend/scale-to-zero.test.ts does).
    const local = BACKEND_METRICS.localModelRequests.name;
    // Neither has knowledge on, so neither counts retrievals or cache lookups (test/services/backend/knowledge/ does);
    // the retrieval histogram has no labels, so prom-client serves its empty buckets anyway.
    const knowledge = [BACKEND_METRICS.knowledgeRetrievals.name, BACKEND_METRICS.semanticCache.name];
    const expectedMissing: Record<string, string[]> = {
      [FAILING]: [BACKEND_METRICS.inferenceDuration.name, ...knowledge, local, BACKEND_METRICS.tokens.name].sort(),
      [HEALTHY]: [...knowledge, local].sort(),
    };
    for (const namespace of [FAILING, HEALTHY]) {
      let missing: string[] = [];
      await until(`the backend metrics in ${namespace}`, async () => {
        missing = [];
        for (const name of fromBackend) if ((await query(`${series(name)}{namespace="${namespace}"}`)).length === 0) missing.push(name);
        return JSON.stringify(missing) === JSON.stringify(expectedMissing[namespace]) ? true : undefined;
      }, 15_000).catch(() => expect(missing).toEqual(expectedMissing[namespace]));
    }
    const buckets = await query(`count by (le) (${BACKEND_METRICS.inferenceDuration.name}_bucket{namespace="${HEALTHY}"})`);
    expect((buckets as { metric: { le: string } }[]).map((b) => (b.metric.le === "+Inf" ? Infinity : Number(b.metric.le))).sort((a, b) => a - b)).toEqual([0.25, 0.5, 1, 2.5, 5, 7.5, 10, 15, 30, 60, Infinity]);
  }, 30_000);

  it("then the error-rate alerts become pending for the failing backend, and no alert concerns the healthy one", async () => {
    const pending = await until("the error-rate alerts to become pending", async () => {
      const mine = (await alerts()).filter((a) => a.labels.namespace === FAILING && a.labels.alertname.startsWith("ErrorRate"));
      return mine.length === 2 ? mine : undefined;
    }, 20_000);
    expect(pending.map((a) => [a.labels.alertname, a.state]).sort()).toEqual([["ErrorRateCritical", "pending"], ["ErrorRateHigh", "pending"]]);
    const errorRatio = await query(alertRules({ appNamespace: FAILING }).find((r) => r.alert === "ErrorRateHigh")!.expr);
    expect(errorRatio).toHaveLength(1);
    expect((await alerts()).filter((a) => a.labels.namespace === HEALTHY)).toEqual([]);
    expect(await query(alertRules({ appNamespace: HEALTHY }).find((r) => r.alert === "ErrorRateHigh")!.expr)).toEqual([]);
  }, 30_000);
});
