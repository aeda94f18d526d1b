import { parseStackConfig } from "../../config/load";
import { retentionDays } from "../../config/primitives";
import { PINNED_IMAGES } from "../support/configs";

/** Parses a mock-phase stack whose `monitoring` section is `monitoring`, as the engine would hand it over. */
function parse(monitoring: unknown, extra: Record<string, unknown> = {}) {
  const values: Record<string, string> = { phase: "mock", grafanaAdminPassword: "pw-for-tests", monitoring: JSON.stringify(monitoring) };
  for (const [key, value] of Object.entries(extra)) values[key] = typeof value === "string" ? value : JSON.stringify(value);
  return parseStackConfig({ values, secretKeys: new Set(["grafanaAdminPassword"]) }, "test").monitoring;
}

describe("monitoring config", () => {
  it("given no monitoring settings, when parsed, then dev-friendly defaults apply", () => {
    const monitoring = parse({});
    expect(monitoring).toMatchObject({
      enabled: true,
      namespace: "monitoring",
      // Published: release tag kube-prometheus-stack-88.5.3 (prometheus-community/helm-charts, 2026-08-22); no 92.x exists.
      chartVersion: "88.5.3",
      retention: "7d",
      gpuMetrics: { enabled: false, chartVersion: "4.8.2" },
      gpuHourlyCostUsd: 1.01,
    });
    // Absent: the exporter follows the GPU pool's selector (localModel.gpu.nodeSelector).
    expect(monitoring.gpuMetrics.nodeSelector).toBeUndefined();
    expect(monitoring.storage).toBeUndefined();
    expect(monitoring.grafanaStorage).toBeUndefined();
  });

  it.each([
    ["namespace", { namespace: "observability" }, { namespace: "Monitoring!" }, "ai-assistant:monitoring.namespace: expected a Kubernetes namespace name"],
    ["chartVersion", { chartVersion: "88.5.3" }, { chartVersion: "^88" }, "ai-assistant:monitoring.chartVersion: expected an exact chart version such as 88.5.3"],
    [
      "gpuMetrics.chartVersion",
      { gpuMetrics: { enabled: true, chartVersion: "4.8.2" } },
      { gpuMetrics: { enabled: true, chartVersion: "latest" } },
      "ai-assistant:monitoring.gpuMetrics.chartVersion: expected an exact chart version such as 4.8.2",
    ],
    ["gpuMetrics.enabled", { gpuMetrics: { enabled: true } }, { gpuMetrics: { enabled: "yes" } }, "ai-assistant:monitoring.gpuMetrics.enabled: expected true or false"],
    ["grafanaStorage.size", { grafanaStorage: { size: "10Gi" } }, { grafanaStorage: { size: "10GB" } }, "ai-assistant:monitoring.grafanaStorage.size: expected a Kubernetes memory quantity"],
    ["gpuHourlyCostUsd", { gpuHourlyCostUsd: 3.06 }, { gpuHourlyCostUsd: 0 }, "ai-assistant:monitoring.gpuHourlyCostUsd: expected a price in USD greater than 0"],
    ["gpuHourlyCostUsd type", { gpuHourlyCostUsd: 0.5 }, { gpuHourlyCostUsd: "one dollar" }, "ai-assistant:monitoring.gpuHourlyCostUsd: expected a price in USD such as 1.01"],
  ])("%s: given a valid value it parses, given an invalid one the message says what was expected", (_key, valid, invalid, message) => {
    expect(() => parse(valid)).not.toThrow();
    expect(() => parse(invalid)).toThrow(message);
  });

  it("given an unknown key under gpuMetrics, when parsed, then it is refused at that key", () => {
    expect(() => parse({ gpuMetrics: { enable: true } })).toThrow("ai-assistant:monitoring.gpuMetrics.enable: expected a known key");
  });

  it("given a production stack, when its retention is under 30 days, then it is refused, and 45d passes", () => {
    const prod = { production: true, ...PINNED_IMAGES };
    expect(() => parse({ retention: "14d" }, prod)).toThrow("ai-assistant:monitoring.retention: expected at least 30d of retention in a production stack");
    expect(retentionDays(parse({ retention: "45d" }, prod).retention)).toBe(45);
  });

  it("given monitoring switched off, when parsed, then no Grafana password is required", () => {
    const values = { phase: "mock", monitoring: JSON.stringify({ enabled: false }) };
    expect(parseStackConfig({ values, secretKeys: new Set() }, "test").monitoring.enabled).toBe(false);
    expect(() => parseStackConfig({ values: { phase: "mock" }, secretKeys: new Set() }, "test")).toThrow(
      "pulumi config set --secret ai-assistant:grafanaAdminPassword <value> --stack test",
    );
  });
});
