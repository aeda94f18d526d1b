/** Infrastructure health: scrape targets, nodes, volumes, the app's pods and the alerts firing now. */
import { THRESHOLDS } from "../alert-rules";
import { CLUSTER_METRICS } from "../../../lib/metrics-contract";
import { filesystemUsedRatio, nodeMemoryUsedRatio, volumeUsedRatio } from "../promql";
import { dashboard, Dashboard } from "./grafana";
import { DashboardParams, RATE } from "./params";

export function infrastructureDashboard({ appNamespace: ns }: DashboardParams): Dashboard {
  const m = CLUSTER_METRICS;
  const app = `namespace="${ns}", container!=""`;
  return dashboard("ai-assistant-infrastructure", "AI Assistant / Infrastructure health", "Targets, nodes, volumes and the app's pods.", [
    { title: "Targets up", type: "stat", unit: "short", queries: [{ expr: `sum(up{namespace="${ns}"})` }] },
    { title: "Targets down", type: "stat", unit: "short", threshold: 1, queries: [{ expr: `count(up{namespace="${ns}"} == 0) or vector(0)` }] },
    { title: "Firing alerts", type: "stat", unit: "short", threshold: 1, queries: [{ expr: `count(ALERTS{alertstate="firing"}) or vector(0)` }] },
    { title: "Restarts (1h)", type: "stat", unit: "short", queries: [{ expr: `sum(increase(${m.restarts}{namespace="${ns}"}[1h]))` }] },
    { title: "Node memory used", type: "timeseries", unit: "percentunit", threshold: THRESHOLDS.memoryUsedRatio, queries: [{ expr: nodeMemoryUsedRatio(), legend: "{{instance}}" }] },
    {
      title: "Node CPU used",
      type: "timeseries",
      unit: "percentunit",
      queries: [{ expr: `1 - avg by (instance) (rate(${m.nodeCpu}{mode="idle"}[${RATE}]))`, legend: "{{instance}}" }],
    },
    { title: "Filesystems used", type: "timeseries", unit: "percentunit", threshold: THRESHOLDS.diskUsedRatio, queries: [{ expr: filesystemUsedRatio(), legend: "{{instance}} {{mountpoint}}" }] },
    { title: "Volumes used", type: "timeseries", unit: "percentunit", threshold: THRESHOLDS.diskUsedRatio, queries: [{ expr: volumeUsedRatio(), legend: "{{namespace}}/{{persistentvolumeclaim}}" }] },
    { title: "App CPU by pod", type: "timeseries", unit: "short", queries: [{ expr: `sum by (pod) (rate(${m.containerCpu}{${app}}[${RATE}]))`, legend: "{{pod}}" }] },
    { title: "App memory by pod", type: "timeseries", unit: "bytes", queries: [{ expr: `sum by (pod) (${m.containerMemory}{${app}})`, legend: "{{pod}}" }] },
    { title: "Firing alerts by name", type: "timeseries", unit: "short", width: 24, queries: [{ expr: `sum by (alertname, severity) (ALERTS{alertstate="firing"})`, legend: "{{alertname}} ({{severity}})" }] },
  ]);
}
