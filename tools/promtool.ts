/**
 * The promtool proofs. Writes, into one folder:
 *   - rules.yaml: the alert rules, generated from lib/alert-rules.ts (the same objects the PrometheusRule carries);
 *   - rules.test.yaml: promtool unit tests built from hand-written input series (test/support/alert-cases.ts), with
 *     evaluation times derived from each rule's `for`;
 *   - dashboards.yaml: every dashboard query as a recording rule, so that `promtool check rules` parses it;
 *   - canary.test.yaml: the canary analysis queries (components/monitoring/canary-analysis.ts), evaluated on series of
 *     failing, healthy and idle canaries (test/support/canary-cases.ts): `query > bool limit` is 1 exactly where the
 *     canary breaches, and absent without canary traffic;
 *   - model-server-canary.test.yaml: the same for a vLLM server's canary (test/support/model-server-canary-cases.ts).
 * and runs `promtool check rules` and `promtool test rules` on them. The jest suite calls the same functions;
 * by hand: `node -r ./tools/register.js tools/promtool.ts [--out <dir>]`.
 */
import { spawnSync } from "child_process";
import { accessSync, constants, mkdirSync, mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { delimiter, join } from "path";
import { parseArgs } from "util";
import { stringify } from "yaml";
import { AlertRule, alertRuleGroups, RuleGroup } from "../components/monitoring/alert-rules";
import { Dashboard, dashboardQueries, dashboards } from "../components/monitoring/dashboards";
import { canaryAnalysisSpec, canaryLimits, CanaryMetricName, modelServerCanaryAnalysisSpec, modelServerCanaryLimits, ModelServerCanaryMetricName } from "../components/monitoring/canary-analysis";
import { CANARY_HASH_ARG } from "../lib/rollout";
import { errorRatio } from "../components/monitoring/promql";
import { ARGO_ROLLOUTS_CHART_VERSION, CanaryAnalysisConfig, deliverySchema, ModelServerCanaryConfig } from "../config/delivery";
import type { AlertCase } from "../test/support/alert-cases";
import type { CanaryCase } from "../test/support/canary-cases";

const yaml = (value: unknown) => stringify(value, { lineWidth: 0 });

/** The promtool executable: $PROMTOOL, else the first `promtool` on PATH; undefined when there is none. */
export function findPromtool(): string | undefined {
  const candidates = [process.env.PROMTOOL, ...(process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, "promtool"))];
  return candidates.find((file) => {
    if (!file) return false;
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** A Prometheus rules file. */
export function rulesFile(groups: RuleGroup[]): string {
  return yaml({ groups });
}

/** Grafana's built-in variables replaced by what they expand to at a typical zoom, so that PromQL parsers accept them. */
export function grafanaToPromql(expr: string): string {
  return expr.replace(/\$__rate_interval/g, "5m").replace(/\$__interval/g, "1m").replace(/\$__range/g, "1d");
}

/** Every dashboard query as a recording rule: `promtool check rules` then parses each with Prometheus's own parser. */
export function dashboardRulesFile(boards: Dashboard[]): string {
  return rulesFile(
    boards.map((board) => ({
      name: `dashboard-${board.uid}`,
      rules: dashboardQueries(board).map((query, i) => ({ record: `dashboard:${board.uid.replace(/-/g, "_")}:query${i + 1}`, expr: grafanaToPromql(query.expr) })),
    })) as unknown as RuleGroup[],
  );
}

/**
 * Expands an annotation the way Prometheus will, for the two actions the rules use: `{{ $labels.x }}` and
 * `{{ $value | humanize… }}` (whose text the test case states). Anything else is refused, so templates stay predictable.
 */
export function expandTemplate(template: string, labels: Record<string, string>, value: string | undefined): string {
  return template.replace(/\{\{\s*(.*?)\s*\}\}/g, (_, action: string) => {
    const label = /^\$labels\.(\w+)$/.exec(action);
    if (label) return labels[label[1]] ?? "";
    if (/^\$value \| humanize\w*$/.test(action)) {
      if (value === undefined) throw new Error(`the test case must state the value printed by {{ ${action} }}`);
      return value;
    }
    throw new Error(`unsupported template action {{ ${action} }}`);
  });
}

/** Minutes in a rule duration such as "5m" or "1h". */
export function minutes(duration: string): number {
  const match = /^(\d+)(m|h)$/.exec(duration);
  if (!match) throw new Error(`expected a duration in minutes or hours, found "${duration}"`);
  return Number(match[1]) * (match[2] === "h" ? 60 : 1);
}

/**
 * The evaluation times a case is checked at, from the rule's `for`: before the breach, when it starts (pending),
 * the last evaluation before `for` has passed (still pending), when it has passed (firing), and five minutes later.
 */
export function checkpoints(breachAt: string, duration: string) {
  const start = minutes(breachAt);
  const fire = start + minutes(duration);
  const silent = [...new Set([0, start, fire - 1])].filter((t) => t < fire);
  return { silent, firing: [fire, fire + 5] };
}

/** The promtool unit-test file for `cases`, against the rules in `rulesFileName`. */
export function unitTestFile(cases: AlertCase[], rules: AlertRule[], rulesFileName: string): string {
  const tests = cases.flatMap((testCase) => {
    const rule = rules.find((r) => r.alert === testCase.alert);
    if (!rule) throw new Error(`no alert rule named ${testCase.alert}`);
    const { silent, firing } = checkpoints(testCase.over.breachAt, rule.for);
    const expected = testCase.over.firing.map((alert) => ({
      exp_labels: { ...alert.labels, ...rule.labels },
      exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([key, text]) => [key, expandTemplate(text, alert.labels, alert.value)])),
    }));
    const check = (t: number, exp_alerts: unknown[]) => ({ eval_time: `${t}m`, alertname: testCase.alert, exp_alerts });
    return [
      { interval: "1m", input_series: testCase.over.series, alert_rule_test: [...silent.map((t) => check(t, [])), ...firing.map((t) => check(t, expected))] },
      { interval: "1m", input_series: testCase.under.series, alert_rule_test: firing.map((t) => check(t, [])) },
    ];
  });
  return yaml({ rule_files: [rulesFileName], evaluation_interval: "1m", tests });
}

/** When the canary proofs are evaluated: minutes into series that start at 0. */
export const CANARY_EVAL_AT = "10m";

/** The canary analysis of a stack whose `delivery` section says nothing but `canary`: the defaults. */
export function defaultCanaryAnalysis(): CanaryAnalysisConfig {
  return deliverySchema.parse({ strategy: "canary", argoRollouts: { chartVersion: ARGO_ROLLOUTS_CHART_VERSION } }).canary.analysis;
}

/** The query Argo Rollouts sends Prometheus for the canary `hash`: the template's query with its argument filled in. */
export function deployedCanaryQuery(namespace: string, analysis: CanaryAnalysisConfig, name: CanaryMetricName, hash: string): string {
  const metric = canaryAnalysisSpec({ namespace, prometheusUrl: "http://prometheus:9090", analysis }).metrics.find((m) => m.name === name)!;
  return metric.provider.prometheus.query.split(`{{args.${CANARY_HASH_ARG}}}`).join(hash);
}

/** One case of an analysis proof: input series, and whether the canary breaches each metric's limit (undefined: no data). */
interface AnalysisCase<Name extends string> {
  series: { series: string; values: string }[];
  breaches?: Record<Name, boolean>;
}

type ExprTest = { expr: string; eval_time: string; exp_samples: { labels: string; value: number }[] };

/**
 * A promtool unit-test file of a canary analysis: for each case, `query > bool limit` is 1 when the canary breaches,
 * 0 when not, no sample without canary data; `extra` adds checks of a case beside them.
 */
function analysisUnitTestFile<Name extends string, Case extends AnalysisCase<Name>>(cases: Case[], namespace: string, limits: Record<Name, number>, query: (name: Name) => string, extra: (c: Case) => ExprTest[] = () => []): string {
  const sample = (breach: boolean) => [{ labels: `{namespace="${namespace}"}`, value: breach ? 1 : 0 }];
  const tests = cases.map((c) => ({
    interval: "1m",
    input_series: c.series,
    promql_expr_test: [
      ...(Object.keys(limits) as Name[]).map((name) => ({ expr: `(${query(name)}) > bool ${limits[name]}`, eval_time: CANARY_EVAL_AT, exp_samples: c.breaches === undefined ? [] : sample(c.breaches[name]) })),
      ...extra(c),
    ],
  }));
  return yaml({ rule_files: [], evaluation_interval: "1m", tests });
}

/**
 * The promtool unit-test file of the backend's canary analysis, with the namespace-wide error ratio (the alert's)
 * beside each case. `query` gives each metric's PromQL (the deployed one, or a variant a test wants to see fail).
 */
export function canaryUnitTestFile(cases: CanaryCase[], namespace: string, analysis: CanaryAnalysisConfig, query: (name: CanaryMetricName) => string): string {
  const limits = canaryLimits(analysis);
  const namespaceWide = (c: CanaryCase): ExprTest => ({
    expr: `(${errorRatio(namespace, analysis.window)}) > bool ${limits["error-ratio"]}`,
    eval_time: CANARY_EVAL_AT,
    exp_samples: [{ labels: `{namespace="${namespace}"}`, value: c.namespaceBreaches ? 1 : 0 }],
  });
  return analysisUnitTestFile(cases, namespace, limits, query, (c) => [namespaceWide(c)]);
}

/** The model-server canary analysis of a stack that turns it on and says nothing else: the defaults. */
export function defaultModelServerCanary(): { thresholds: ModelServerCanaryConfig; timing: CanaryAnalysisConfig } {
  const canary = deliverySchema.parse({ strategy: "canary", canary: { modelServers: { enabled: true } } }).canary;
  return { thresholds: canary.modelServers, timing: canary.analysis };
}

/** The query Argo Rollouts sends Prometheus for a model server's canary `hash`. */
export function deployedModelServerCanaryQuery(namespace: string, server: string, name: ModelServerCanaryMetricName, hash: string): string {
  const metric = modelServerCanaryAnalysisSpec({ namespace, server, prometheusUrl: "http://prometheus:9090", ...defaultModelServerCanary() }).metrics.find((m) => m.name === name)!;
  return metric.provider.prometheus.query.split(`{{args.${CANARY_HASH_ARG}}}`).join(hash);
}

/** The promtool unit-test file of a vLLM server's canary analysis (test/support/model-server-canary-cases.ts). */
export function modelServerCanaryUnitTestFile(cases: AnalysisCase<ModelServerCanaryMetricName>[], namespace: string, query: (name: ModelServerCanaryMetricName) => string): string {
  return analysisUnitTestFile(cases, namespace, modelServerCanaryLimits(defaultModelServerCanary().thresholds), query);
}

export interface ProofFiles {
  dir: string;
  rules: string;
  tests: string;
  dashboards: string;
}

/** Writes the three files for the rules and dashboards of `appNamespace`. */
export function writeProofFiles(dir: string, appNamespace: string, cases: AlertCase[]): ProofFiles {
  mkdirSync(dir, { recursive: true });
  const groups = alertRuleGroups({ appNamespace });
  const files = { dir, rules: join(dir, "rules.yaml"), tests: join(dir, "rules.test.yaml"), dashboards: join(dir, "dashboards.yaml") };
  writeFileSync(files.rules, rulesFile(groups));
  writeFileSync(files.tests, unitTestFile(cases, groups.flatMap((g) => g.rules), "rules.yaml"));
  writeFileSync(files.dashboards, dashboardRulesFile(dashboards({ appNamespace, gpuHourlyCostUsd: 1.01 })));
  return files;
}

export interface PromtoolResult {
  ok: boolean;
  output: string;
}

/** Runs promtool with `args` in `cwd`. */
export function runPromtool(promtool: string, args: string[], cwd: string): PromtoolResult {
  const result = spawnSync(promtool, args, { cwd, encoding: "utf8", timeout: 30_000 });
  return { ok: result.status === 0, output: `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? String(result.error) : ""}` };
}

function main(): number {
  const { values } = parseArgs({ options: { out: { type: "string" } } });
  const promtool = findPromtool();
  if (!promtool) {
    console.error("promtool not found: install it with `apt-get install prometheus` (Debian), or set PROMTOOL.");
    return 1;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ALERT_CASES, NS } = require("../test/support/alert-cases") as typeof import("../test/support/alert-cases");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CANARY_CASES, CANARY_HASH } = require("../test/support/canary-cases") as typeof import("../test/support/canary-cases");
  const files = writeProofFiles(values.out ?? mkdtempSync(join(tmpdir(), "promtool-")), NS, ALERT_CASES);
  const analysis = defaultCanaryAnalysis();
  writeFileSync(join(files.dir, "canary.test.yaml"), canaryUnitTestFile(CANARY_CASES, NS, analysis, (name) => deployedCanaryQuery(NS, analysis, name, CANARY_HASH)));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { MODEL_SERVER_CANARY_CASES, SERVER } = require("../test/support/model-server-canary-cases") as typeof import("../test/support/model-server-canary-cases");
  writeFileSync(join(files.dir, "model-server-canary.test.yaml"), modelServerCanaryUnitTestFile(MODEL_SERVER_CANARY_CASES, NS, (name) => deployedModelServerCanaryQuery(NS, SERVER, name, CANARY_HASH)));
  let ok = true;
  for (const args of [["check", "rules", "rules.yaml"], ["check", "rules", "dashboards.yaml"], ["test", "rules", "rules.test.yaml"], ["test", "rules", "canary.test.yaml"], ["test", "rules", "model-server-canary.test.yaml"]]) {
    const result = runPromtool(promtool, args, files.dir);
    console.log(`$ promtool ${args.join(" ")}   (in ${files.dir})\n${result.output}`);
    ok &&= result.ok;
  }
  return ok ? 0 : 1;
}

if (require.main === module) process.exit(main());
