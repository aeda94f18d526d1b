/** GPU: utilisation and memory of every GPU the DCGM exporter sees. */
import { THRESHOLDS } from "../alert-rules";
import { DCGM_METRICS } from "../../../lib/metrics-contract";
import { gpuMemoryUsedRatio } from "../promql";
import { dashboard, Dashboard } from "./grafana";

export function gpuDashboard(): Dashboard {
  const d = DCGM_METRICS;
  const perGpu = "{{Hostname}} GPU {{gpu}}";
  return dashboard("ai-assistant-gpu", "AI Assistant / GPU", "Per-GPU utilisation, memory, temperature and power from NVIDIA's DCGM exporter.", [
    { title: "GPUs reporting", type: "stat", unit: "short", queries: [{ expr: `count(${d.gpuUtil})` }] },
    { title: "Average utilisation", type: "stat", unit: "percent", queries: [{ expr: `avg(${d.gpuUtil})` }] },
    { title: "Highest memory use", type: "stat", unit: "percentunit", threshold: THRESHOLDS.gpuMemoryUsedRatio, queries: [{ expr: `max(${gpuMemoryUsedRatio()})` }] },
    { title: "Framebuffer used", type: "stat", unit: "mbytes", queries: [{ expr: `sum(${d.fbUsed})` }] },
    { title: "Utilisation", type: "timeseries", unit: "percent", queries: [{ expr: `avg by (Hostname, gpu) (${d.gpuUtil})`, legend: perGpu }] },
    {
      title: "Memory used",
      type: "timeseries",
      unit: "percentunit",
      threshold: THRESHOLDS.gpuMemoryUsedRatio,
      description: "vLLM reserves about 90% by design. Alert: above 95% for 10 minutes.",
      queries: [{ expr: gpuMemoryUsedRatio(), legend: perGpu }],
    },
    { title: "Framebuffer used (MiB)", type: "timeseries", unit: "mbytes", queries: [{ expr: `sum by (Hostname, gpu) (${d.fbUsed})`, legend: perGpu }] },
    { title: "Temperature", type: "timeseries", unit: "celsius", queries: [{ expr: `max by (Hostname, gpu) (${d.gpuTemp})`, legend: perGpu }] },
    { title: "Power", type: "timeseries", unit: "watt", width: 24, queries: [{ expr: `sum by (Hostname, gpu) (${d.power})`, legend: perGpu }] },
  ]);
}
