/**
 * The canary's analysis: the same PromQL as the alerts, narrowed to the canary's pods, and proven by Prometheus's own
 * engine (`promtool test rules`, promql_expr_test) on series of a failing and a healthy canary beside their stable
 * pods: the failing one breaches, the healthy one does not, a canary without traffic gives no value (inconclusive).
 */
import { stringify } from "yaml";
import { alertRules, RULE_RATE_WINDOW, THRESHOLDS } from "../../../components/monitoring/alert-rules";
import { canaryAnalysisSpec, canaryLimits, CanaryMetricName, canaryQueries } from "../../../components/monitoring/canary-analysis";
import { CANARY_HASH_ARG } from "../../../lib/rollout";
import { scrapeTargets } from "../../../components/monitoring/scrape-targets";
import { canaryUnitTestFile, defaultCanaryAnalysis, deployedCanaryQuery as deployedQueryOf } from "../../../tools/promtool";
import { NS } from "../../support/alert-cases";
import { CANARY_CASES, CANARY_HASH } from "../../support/canary-cases";
import { parse, VALID } from "../../support/config";
import { promtoolScratch, promtoolSuite } from "../../support/promtool";

const analysis = parse({ ...VALID, delivery: { strategy: "canary" } }).delivery.canary.analysis;
const spec = canaryAnalysisSpec({ namespace: NS, prometheusUrl: "http://prometheus:9090", analysis });
/** What the controller sends Prometheus for the canary `hash`: the template's query with its argument filled in. */
const deployedQuery = (name: CanaryMetricName, hash: string) => deployedQueryOf(NS, analysis, name, hash);
const proofFile = (query: (name: CanaryMetricName) => string) => canaryUnitTestFile(CANARY_CASES, NS, analysis, query);
const METRICS: CanaryMetricName[] = ["error-ratio", "p95-latency"];

describe("the canary queries", () => {
  it("are the alerts' expressions (ErrorRateHigh, InferenceLatencyHigh) plus the canary's hash, over the configured window", () => {
    const rules = Object.fromEntries(alertRules({ appNamespace: NS }).map((rule) => [rule.alert, rule.expr]));
    const unfiltered = (query: string) => query.split(`, rollouts_pod_template_hash="${CANARY_HASH}"`).join("");
    const atRuleWindow = canaryQueries(NS, CANARY_HASH, RULE_RATE_WINDOW);
    expect(`${unfiltered(atRuleWindow["error-ratio"])} > ${THRESHOLDS.errorRatioHigh}`).toBe(rules.ErrorRateHigh);
    expect(`${unfiltered(atRuleWindow["p95-latency"])} > ${THRESHOLDS.p95LatencySeconds}`).toBe(rules.InferenceLatencyHigh);
    for (const name of METRICS) expect(deployedQuery(name, CANARY_HASH)).toBe(canaryQueries(NS, CANARY_HASH, analysis.window)[name]);
    expect(deployedQuery("error-ratio", CANARY_HASH)).toContain('outcome=~"fallback|upstream_error|interrupted|internal_error"');
  });

  it("are what the promtool CLI proves: the stack's defaults, and the template's query with the hash filled in", () => {
    expect(defaultCanaryAnalysis()).toEqual(analysis);
    for (const name of METRICS) {
      expect(deployedQuery(name, CANARY_HASH)).toBe(spec.metrics.find((m) => m.name === name)!.provider.prometheus.query.split(`{{args.${CANARY_HASH_ARG}}}`).join(CANARY_HASH));
    }
  });

  it("fail a measurement over the limit and call one without data inconclusive, as Argo Rollouts reads the conditions", () => {
    for (const metric of spec.metrics) {
      const limit = canaryLimits(analysis)[metric.name];
      expect(metric.failureCondition).toBe(`len(result) > 0 && result[0] > ${limit}`);
      expect(metric.successCondition).toBe(`len(result) > 0 && !isNaN(result[0]) && result[0] <= ${limit}`);
      // All of a step's measurements without data pause the rollout; one real one decides.
      expect(metric.inconclusiveLimit).toBe(metric.count - 1);
    }
  });

  it("select series by a label the backend's ServiceMonitor copies from the pod", () => {
    const backend = scrapeTargets({ appNamespace: NS, stack: "test" }).find((t) => t.name === "backend")!;
    const [endpoint] = (backend.spec as { endpoints: { relabelings?: unknown[] }[] }).endpoints;
    expect(endpoint.relabelings).toEqual([{ sourceLabels: ["__meta_kubernetes_pod_label_rollouts_pod_template_hash"], targetLabel: "rollouts_pod_template_hash", action: "replace" }]);
  });
});

const { promtool, withPromtool } = promtoolSuite("the canary analysis' queries");

withPromtool("the canary analysis, evaluated by promtool (Prometheus's engine)", () => {
  const promtoolFiles = promtoolScratch(promtool, "canary-promtool-");

  it("parses the deployed queries", () => {
    const groups = [{ name: "canary", rules: METRICS.map((name, i) => ({ record: `canary:query${i}`, expr: deployedQuery(name, CANARY_HASH) })) }];
    const result = promtoolFiles.check("canary-rules.yaml", stringify({ groups }));
    expect(result.output).toContain("SUCCESS: 2 rules found");
    expect(result.ok).toBe(true);
  });

  it("breaches on the failing canaries, not on the healthy one, and gives no value without canary traffic", () => {
    const result = promtoolFiles.test("canary.test.yaml", proofFile((name) => deployedQuery(name, CANARY_HASH)));
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
  });

  it("would not tell the canaries apart without the hash filter (the same proof fails on the unfiltered queries)", () => {
    const result = promtoolFiles.test("unfiltered.test.yaml", proofFile((name) => canaryQueries(NS, CANARY_HASH, analysis.window)[name].split(`, rollouts_pod_template_hash="${CANARY_HASH}"`).join("")));
    expect(result.ok).toBe(false);
    expect(result.output).toContain("FAILED");
  });
});
