/**
 * Knowledge: how often chat questions find passages in the team's documents, how long the lookup takes, how often
 * retrieval fails (the answer then goes out without sources), and how much the semantic cache saves; then the
 * database itself, from CloudNativePG's metrics: instances up, size, replication lag, connections.
 */
import { BACKEND_METRICS, CNPG_METRICS } from "../../../lib/metrics-contract";
import { THRESHOLDS } from "../alert-rules";
import { dashboard, Dashboard } from "./grafana";
import { DashboardParams, RATE } from "./params";

export function knowledgeDashboard({ appNamespace: ns }: DashboardParams): Dashboard {
  const retrievals = BACKEND_METRICS.knowledgeRetrievals.name;
  const duration = BACKEND_METRICS.knowledgeRetrievalDuration.name;
  const cache = BACKEND_METRICS.semanticCache.name;
  const C = CNPG_METRICS;
  const share = (metric: string, label: string, value: string) =>
    `sum(rate(${metric}{namespace="${ns}", ${label}="${value}"}[${RATE}])) / sum(rate(${metric}{namespace="${ns}"}[${RATE}]))`;
  return dashboard("ai-assistant-knowledge", "AI Assistant / Knowledge", "Retrieval from the knowledge base (pgvector) and the semantic cache; empty while knowledge is off.", [
    { title: "Questions grounded in documents", type: "stat", unit: "percentunit", queries: [{ expr: share(retrievals, "outcome", "hit") }] },
    { title: "Retrieval failures", type: "stat", unit: "percentunit", description: "Answered without sources because the database or the embedder failed.", queries: [{ expr: share(retrievals, "outcome", "failed") }] },
    { title: "p95 retrieval latency", type: "stat", unit: "s", queries: [{ expr: `histogram_quantile(0.95, sum by (le) (rate(${duration}_bucket{namespace="${ns}"}[${RATE}])))` }] },
    { title: "Semantic cache hit rate", type: "stat", unit: "percentunit", description: "Answers sent again without a model call.", queries: [{ expr: share(cache, "result", "hit") }] },
    {
      title: "Retrievals by outcome",
      type: "timeseries",
      unit: "reqps",
      queries: [{ expr: `sum by (outcome) (rate(${retrievals}{namespace="${ns}"}[${RATE}]))`, legend: "{{outcome}}" }],
    },
    {
      title: "Semantic cache",
      type: "timeseries",
      unit: "reqps",
      queries: [{ expr: `sum by (result) (rate(${cache}{namespace="${ns}"}[${RATE}]))`, legend: "{{result}}" }],
    },
    // The database (CloudNativePG's instance manager, scraped by the knowledge-db PodMonitor).
    { title: "Database instances up", type: "stat", unit: "none", description: "Postgres instances whose instance manager reaches Postgres.", queries: [{ expr: `sum(${C.up}{namespace="${ns}"})` }] },
    { title: "Database size", type: "stat", unit: "bytes", queries: [{ expr: `max(${C.databaseSize}{namespace="${ns}", datname="knowledge"})` }] },
    {
      title: "Replication lag",
      type: "stat",
      unit: "s",
      threshold: THRESHOLDS.knowledgeReplicationLagSeconds,
      description: "The replica furthest behind the primary.",
      queries: [{ expr: `max(${C.replicationLag}{namespace="${ns}"})` }],
    },
    { title: "Connections", type: "stat", unit: "none", queries: [{ expr: `sum(${C.backends}{namespace="${ns}", datname="knowledge"})` }] },
  ]);
}
