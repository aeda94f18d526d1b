/**
 * A vLLM server's canary analysis (docs/delivery.md): vLLM's own series of the canary's pod-template hash, proven by
 * Prometheus's engine (`promtool test rules`) on series of failing, healthy and idle canaries beside a stable pod:
 * the failing ones breach, the healthy ones do not, no canary traffic gives no value (inconclusive).
 */
import { stringify } from "yaml";
import { modelServerCanaryAnalysisSpec, ModelServerCanaryMetricName, modelServerCanaryQueries } from "../../../components/monitoring/canary-analysis";
import { dashboardQueries, dashboards } from "../../../components/monitoring/dashboards";
import { vllmTimeToFirstTokenQuantile } from "../../../components/monitoring/promql";
import { defaultModelServerCanary, deployedModelServerCanaryQuery, modelServerCanaryUnitTestFile } from "../../../tools/promtool";
import { NS } from "../../support/alert-cases";
import { CANARY_HASH } from "../../support/canary-cases";
import { MODEL_SERVER_CANARY_CASES, SERVER } from "../../support/model-server-canary-cases";
import { KNOWN_METRICS, metricNames } from "../../support/promql";
import { promtoolScratch, promtoolSuite } from "../../support/promtool";

const METRICS: ModelServerCanaryMetricName[] = ["http-error-ratio", "engine-error-ratio", "p95-time-to-first-token"];
const deployed = (name: ModelServerCanaryMetricName) => deployedModelServerCanaryQuery(NS, SERVER, name, CANARY_HASH);
const unfiltered = (query: string) => query.split(`, rollouts_pod_template_hash="${CANARY_HASH}"`).join("");

describe("a model server's canary queries", () => {
  it("are the template's queries with the hash filled in, over the backend's window, on known vLLM series", () => {
    const { thresholds, timing } = defaultModelServerCanary();
    const spec = modelServerCanaryAnalysisSpec({ namespace: NS, server: SERVER, prometheusUrl: "http://prometheus:9090", thresholds, timing });
    expect(spec.metrics.map((m) => m.name)).toEqual(METRICS);
    for (const name of METRICS) expect(deployed(name)).toBe(modelServerCanaryQueries(NS, SERVER, CANARY_HASH, timing.window)[name]);
    const names = METRICS.flatMap((name) => metricNames(deployed(name)));
    expect(names.sort()).toEqual(["http_requests_total", "vllm:request_success_total", "vllm:time_to_first_token_seconds"]);
    for (const name of names) expect(KNOWN_METRICS.has(name)).toBe(true);
  });

  it("share the time-to-first-token PromQL with the model-server dashboard (one source)", () => {
    const board = dashboards({ appNamespace: NS, gpuHourlyCostUsd: 1 }).find((d) => d.uid === "ai-assistant-model-server")!;
    const exprs = dashboardQueries(board).map((q) => q.expr);
    expect(exprs).toContain(vllmTimeToFirstTokenQuantile(0.95, NS, "$__rate_interval", { by: ["model_name"] }));
    expect(unfiltered(deployed("p95-time-to-first-token"))).toBe(vllmTimeToFirstTokenQuantile(0.95, NS, defaultModelServerCanary().timing.window, { server: SERVER }));
  });
});

const { promtool, withPromtool } = promtoolSuite("the model-server canary analysis' queries");

withPromtool("a model server's canary analysis, evaluated by promtool (Prometheus's engine)", () => {
  const promtoolFiles = promtoolScratch(promtool, "model-canary-promtool-");

  it("parses the deployed queries", () => {
    const result = promtoolFiles.check("rules.yaml", stringify({ groups: [{ name: "canary", rules: METRICS.map((name, i) => ({ record: `canary:query${i}`, expr: deployed(name) })) }] }));
    expect(result.output).toContain("SUCCESS: 3 rules found");
    expect(result.ok).toBe(true);
  });

  it("breaches on the failing canaries (5xx and slow; streams ending in errors), not on the healthy ones, and gives no value without canary traffic", () => {
    const result = promtoolFiles.test("model-server-canary.test.yaml", modelServerCanaryUnitTestFile(MODEL_SERVER_CANARY_CASES, NS, deployed));
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
  });

  it("would not tell the canary from the stable pod without the hash filter (the same proof fails)", () => {
    const result = promtoolFiles.test("unfiltered.test.yaml", modelServerCanaryUnitTestFile(MODEL_SERVER_CANARY_CASES, NS, (name) => unfiltered(deployed(name))));
    expect(result.ok).toBe(false);
    expect(result.output).toContain("FAILED");
  });
});
