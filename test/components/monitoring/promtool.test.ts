/**
 * The promtool proofs, run by `npm test`: the generated rules are valid, every alert fires over its threshold once
 * its `for` has passed and stays silent under it and before, and every dashboard query parses. promtool comes from
 * Debian's `prometheus` package (.ci/run installs it); without it the proofs fail in CI and are skipped elsewhere.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parse } from "yaml";
import { alertRuleGroups } from "../../../components/monitoring/alert-rules";
import { minutes, ProofFiles, rulesFile, runPromtool, unitTestFile, writeProofFiles } from "../../../tools/promtool";
import { ALERT_CASES, NS } from "../../support/alert-cases";
import { promtoolSuite } from "../../support/promtool";

const { promtool, withPromtool } = promtoolSuite("the alert rules and dashboards");

type Check = { eval_time: string; alertname: string; exp_alerts: unknown[] };

describe("the generated unit tests", () => {
  it("given each alert's for, then its case is silent at the breach and a minute before for passes, firing once it has, and never under the threshold", () => {
    const rules = alertRuleGroups({ appNamespace: NS }).flatMap((g) => g.rules);
    const { tests } = parse(unitTestFile(ALERT_CASES, rules, "rules.yaml")) as { tests: { alert_rule_test: Check[] }[] };
    for (const rule of rules) {
      const breach = minutes(ALERT_CASES.find((c) => c.alert === rule.alert)!.over.breachAt);
      const fire = breach + minutes(rule.for);
      const [over, under, ...rest] = tests.filter((t) => t.alert_rule_test.every((check) => check.alertname === rule.alert));
      expect(rest).toEqual([]);
      const at = (t: number) => over.alert_rule_test.find((check) => check.eval_time === `${t}m`)!.exp_alerts;
      expect([at(breach), at(fire - 1)]).toEqual([[], []]);
      expect(at(fire).length).toBeGreaterThan(0);
      expect(under.alert_rule_test.map((check) => check.eval_time)).toContain(`${fire}m`);
      expect(under.alert_rule_test.flatMap((check) => check.exp_alerts)).toEqual([]);
    }
  });
});

withPromtool("promtool proofs", () => {
  let files: ProofFiles;
  beforeAll(() => {
    files = writeProofFiles(mkdtempSync(join(tmpdir(), "promtool-")), NS, ALERT_CASES);
  });
  const run = (...args: string[]) => runPromtool(promtool!, args, files.dir);

  it("given the rules generated from lib/alert-rules.ts, when promtool checks them, then they are valid", () => {
    const result = run("check", "rules", "rules.yaml");
    expect(result.output).toContain(`SUCCESS: ${alertRuleGroups({ appNamespace: NS }).flatMap((g) => g.rules).length} rules found`);
    expect(result.ok).toBe(true);
  });

  it("given the unit tests, when promtool runs them, then every alert fires over its threshold after its for and stays silent otherwise", () => {
    const result = run("test", "rules", "rules.test.yaml");
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
  });

  it("given an alert whose threshold has moved, when promtool runs the same unit tests, then they fail", () => {
    const moved = alertRuleGroups({ appNamespace: NS }).map((group) => ({
      ...group,
      rules: group.rules.map((rule) => (rule.alert === "ErrorRateHigh" ? { ...rule, expr: rule.expr.replace(/> 0\.05$/, "> 0.07") } : rule)),
    }));
    writeFileSync(join(files.dir, "rules.yaml"), rulesFile(moved));
    try {
      const result = run("test", "rules", "rules.test.yaml");
      expect(result.ok).toBe(false);
      expect(result.output).toContain("alertname: ErrorRateHigh");
    } finally {
      writeFileSync(join(files.dir, "rules.yaml"), rulesFile(alertRuleGroups({ appNamespace: NS })));
    }
  });

  it("given every dashboard query as a recording rule, when promtool checks them, then each one parses", () => {
    const queries = (parse(readFileSync(files.dashboards, "utf8")) as { groups: { rules: unknown[] }[] }).groups.flatMap((g) => g.rules);
    const result = run("check", "rules", "dashboards.yaml");
    expect(result.output).toContain(`SUCCESS: ${queries.length} rules found`);
    expect(result.ok).toBe(true);
  });

  it("given a query that does not parse, when promtool checks it, then it fails (so the check above is not vacuous)", () => {
    writeFileSync(join(files.dir, "broken.yaml"), rulesFile([{ name: "broken", rules: [{ record: "dashboard:broken", expr: "sum by (le (rate(x[5m]))" }] }] as never));
    const result = run("check", "rules", "broken.yaml");
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/parse error/);
  });
});
