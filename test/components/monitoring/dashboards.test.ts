import { Dashboard, dashboardQueries, dashboards } from "../../../components/monitoring/dashboards";
import { BACKEND_METRICS, TRITON_METRICS, VLLM_METRICS } from "../../../lib/metrics-contract";
import { KNOWN_METRICS, metricNames } from "../../support/promql";
import { objectsOf, renderConfig } from "../../support/render";

type Panel = { id: number; title: string; type: string; gridPos: { x: number; y: number; w: number; h: number } };
const panels = (board: Dashboard) => board.panels as Panel[];
const titles = (board: Dashboard) => panels(board).map((p) => p.title);

/** What users expect to find (the brief), by dashboard and panel title. */
const EXPECTED: Record<string, { title: string; panels: string[] }> = {
  "ai-assistant-overview": { title: "AI Assistant / Overview", panels: ["Request rate", "Error rate", "p95 inference latency", "p99 inference latency", "Inference latency", "Feature-flag variants", "Feature-flag errors", "Error rate by rollout revision"] },
  "ai-assistant-model-server": { title: "AI Assistant / Model server", panels: ["Tokens per second", "Time to first token", "Queue", "vLLM errors by rollout revision"] },
  "ai-assistant-triton": {
    title: "AI Assistant / Triton detail",
    panels: ["Pending requests", "Failed inference ratio", "Queue", "Time in queue per request", "Inferences, succeeded and failed", "GPU memory used"],
  },
  "ai-assistant-gpu": { title: "AI Assistant / GPU", panels: ["Utilisation", "Memory used"] },
  "ai-assistant-cost": {
    title: "AI Assistant / Cost",
    panels: ["GPU-hours in range", "Estimated GPU spend in range", "Projected monthly GPU spend", "Cache hit rate in range", "Semantic cache hit rate in range"],
  },
  "ai-assistant-infrastructure": { title: "AI Assistant / Infrastructure health", panels: ["Targets up", "Node memory used", "Filesystems used", "Volumes used", "Firing alerts"] },
  "ai-assistant-knowledge": { title: "AI Assistant / Knowledge", panels: ["Questions grounded in documents", "Retrieval failures", "p95 retrieval latency", "Semantic cache hit rate", "Database instances up", "Database size", "Replication lag", "Connections"] },
};

describe("dashboards", () => {
  const boards = dashboards({ appNamespace: "chat", gpuHourlyCostUsd: 2.5 });

  it.each(Object.entries(EXPECTED))("given the dashboards, then %s has its title and the panels users expect", (uid, expected) => {
    const board = boards.find((b) => b.uid === uid);
    expect(board?.title).toBe(expected.title);
    expect(titles(board!)).toEqual(expect.arrayContaining(expected.panels));
  });

  it("given every dashboard, then panels have unique ids, fit the 24-column grid and do not overlap", () => {
    for (const board of boards) {
      const list = panels(board);
      expect(new Set(list.map((p) => p.id)).size).toBe(list.length);
      const cells = new Set<string>();
      const clashes: string[] = [];
      for (const { title, gridPos: g } of list) {
        if (g.x + g.w > 24) clashes.push(`${title} is wider than the grid`);
        for (let x = g.x; x < g.x + g.w; x++) {
          for (let y = g.y; y < g.y + g.h; y++) {
            if (cells.has(`${x},${y}`)) clashes.push(`${title} overlaps at ${x},${y}`);
            cells.add(`${x},${y}`);
          }
        }
      }
      expect(clashes).toEqual([]);
    }
  });

  it("given the app namespace, then every query on the backend's, vLLM's or Triton's metrics is scoped to it", () => {
    const appMetrics = new Set<string>([...Object.values(BACKEND_METRICS).map((m) => m.name), ...Object.values(VLLM_METRICS), ...Object.values(TRITON_METRICS)]);
    const scoped = boards.flatMap(dashboardQueries).filter((q) => metricNames(q.expr).some((name) => appMetrics.has(name)));
    expect(scoped.length).toBeGreaterThan(10);
    for (const query of scoped) expect(query.expr).toContain('namespace="chat"');
  });

  it("given the metric contract, then every metric a panel reads is a named metric of lib/metrics-contract.ts", () => {
    const unknown = boards.flatMap(dashboardQueries).flatMap((q) => metricNames(q.expr)).filter((name) => !KNOWN_METRICS.has(name));
    expect(unknown).toEqual([]);
  });

  it("given the Triton detail dashboard, then it reads Triton's queue, queue time, failures and GPU memory by their published names", () => {
    const triton = boards.find((b) => b.uid === "ai-assistant-triton")!;
    const used = new Set(dashboardQueries(triton).flatMap((q) => metricNames(q.expr)));
    for (const name of ["nv_inference_pending_request_count", "nv_inference_queue_duration_us", "nv_inference_request_failure", "nv_gpu_memory_used_bytes", "nv_gpu_memory_total_bytes"]) {
      expect(used.has(name)).toBe(true);
    }
  });

  it("given the cost dashboard, then its semantic cache hit rate divides the semantic cache's hits by its lookups", () => {
    const cost = boards.find((b) => b.uid === "ai-assistant-cost")!;
    const hitRate = dashboardQueries(cost).find((q) => q.panel === "Semantic cache hit rate in range")!;
    expect(hitRate.expr).toBe(
      'sum(rate(ai_assistant_semantic_cache_requests_total{namespace="chat", result="hit"}[$__range])) / sum(rate(ai_assistant_semantic_cache_requests_total{namespace="chat"}[$__range]))',
    );
  });

  it("given a GPU-hour price, then the cost dashboard multiplies GPU-hours by it", () => {
    const cost = boards.find((b) => b.uid === "ai-assistant-cost")!;
    const spend = dashboardQueries(cost).find((q) => q.panel === "Estimated GPU spend in range")!;
    expect(spend.expr).toBe('sum_over_time(sum(kube_node_status_capacity{resource="nvidia_com_gpu"})[$__range:1h]) * 2.5');
  });

  it("given a stack, when rendered, then each dashboard is a ConfigMap in the monitoring namespace holding exactly the built JSON", async () => {
    const result = await renderConfig({ phase: "mock", namespace: "chat", grafanaAdminPassword: "pw-for-tests", monitoring: { gpuHourlyCostUsd: 2.5, namespace: "observability" } });
    const configMaps = objectsOf(result, "ConfigMap").filter((cm) => cm.metadata.name.startsWith("dashboard-"));
    expect(configMaps.map((cm) => cm.metadata.namespace)).toEqual(Array(boards.length).fill("observability"));
    const rendered = configMaps.map((cm) => JSON.parse(Object.values(cm.data as Record<string, string>)[0]));
    expect(rendered.sort((a, b) => a.uid.localeCompare(b.uid))).toEqual([...boards].sort((a, b) => a.uid.localeCompare(b.uid)));
  });
});
