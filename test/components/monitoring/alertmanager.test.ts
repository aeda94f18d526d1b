import { NO_RECEIVER_WARNING } from "../../../components/monitoring/alertmanager";
import type { PlannedResource, RenderResult } from "../../../tools/render";
import { objectOf, renderConfig, renderStack } from "../../support/render";

const SLACK_URL = "https://hooks.slack.com/services/T000/B000/never-in-the-render";
const PAGERDUTY_KEY = "pagerduty-routing-key-never-in-the-render";
const stackChart = (result: RenderResult): PlannedResource => result.resources.find((r) => r.inputs.chart === "kube-prometheus-stack")!;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const alertmanagerValues = (result: RenderResult) => (stackChart(result).inputs.values as any).alertmanager;

async function renderWarnings(config: Record<string, unknown>): Promise<{ result: RenderResult; warnings: string[] }> {
  const result = await renderConfig(config);
  return { result, warnings: result.warnings };
}

const base = { phase: "mock", grafanaAdminPassword: "grafana-pw-0123" };

describe("Alertmanager receivers", () => {
  it("given Slack and PagerDuty, critical alerts page and warnings go to Slack, read from files of a mounted Secret", async () => {
    const { result, warnings } = await renderWarnings({
      ...base,
      monitoring: { alertReceivers: ["slack", "pagerduty"] },
      alertSlackWebhookUrl: SLACK_URL,
      alertPagerDutyRoutingKey: PAGERDUTY_KEY,
    });
    const values = alertmanagerValues(result);
    expect(values.alertmanagerSpec.secrets).toEqual(["alertmanager-receivers"]);
    expect(values.config.route).toEqual({
      receiver: "slack",
      routes: [
        { receiver: "null", matchers: ['alertname = "Watchdog"'] },
        { receiver: "pagerduty", matchers: ['severity = "critical"'] },
      ],
    });
    expect(values.config.receivers).toEqual([
      { name: "null" },
      { name: "slack", slack_configs: [{ api_url_file: "/etc/alertmanager/secrets/alertmanager-receivers/slack-webhook-url", send_resolved: true }] },
      { name: "pagerduty", pagerduty_configs: [{ routing_key_file: "/etc/alertmanager/secrets/alertmanager-receivers/pagerduty-routing-key", send_resolved: true }] },
    ]);
    const secret = objectOf(result, "Secret", "alertmanager-receivers");
    expect(secret.metadata.namespace).toBe("monitoring");
    expect(Object.keys(secret.stringData).sort()).toEqual(["pagerduty-routing-key", "slack-webhook-url"]);
    const text = JSON.stringify(result);
    expect(text).not.toContain(SLACK_URL);
    expect(text).not.toContain(PAGERDUTY_KEY);
    expect(warnings.filter((w) => w.includes("Alertmanager"))).toEqual([]);
  });

  it("given PagerDuty alone, everything pages", async () => {
    const { result } = await renderWarnings({ ...base, monitoring: { alertReceivers: ["pagerduty"] }, alertPagerDutyRoutingKey: PAGERDUTY_KEY });
    const { route, receivers } = alertmanagerValues(result).config;
    expect(route.receiver).toBe("pagerduty");
    expect(receivers.map((r: { name: string }) => r.name)).toEqual(["null", "pagerduty"]);
  });

  it("given none, the chart's null receiver stays, and the render says in one warning line that alerts reach no one", async () => {
    const { result, warnings } = await renderWarnings(base);
    expect(alertmanagerValues(result).config).toBeUndefined();
    expect(warnings.filter((warning) => warning.includes("Alertmanager"))).toEqual([NO_RECEIVER_WARNING]);
    // The Secret still exists, empty, because the Alertmanager pods mount it.
    expect(objectOf(result, "Secret", "alertmanager-receivers").stringData).toEqual({});
  });

  it("given the prod stack, alerts go to Slack", async () => {
    const prod = await renderStack("prod");
    expect(alertmanagerValues(prod).config.route.receiver).toBe("slack");
  });

  it("reads monitors, rules and AlertmanagerConfigs from the stack's own monitoring namespaces only", async () => {
    const { result } = await renderWarnings(base);
    const own = { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["monitoring", "monitoring-exporters"] }] };
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const spec = (stackChart(result).inputs.values as any).prometheus.prometheusSpec;
    for (const key of ["serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig"]) {
      expect(spec[`${key}NamespaceSelector`]).toEqual(own);
      expect(spec[`${key}Selector`]).toEqual({ matchLabels: { release: "kps-test" } });
    }
    expect(alertmanagerValues(result).alertmanagerSpec.alertmanagerConfigNamespaceSelector).toEqual(own);
  });
});
