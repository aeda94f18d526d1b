/**
 * The metrics contract of lib/metrics-contract.ts (the same module the alert rules and dashboards are built from),
 * served with prom-client beside its process defaults. Labels stay low-cardinality: routes are templates (unknown
 * paths are `other`), models are only the served ones (unknown models are refused before they reach a metric).
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";
import { BACKEND_METRICS, INFERENCE_BUCKETS } from "../../../lib/metrics-contract";
import { Usage } from "./providers/types";

export class BackendMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"route" | "status">;
  private readonly inference: Histogram<"provider" | "model">;
  private readonly tokens: Counter<"provider" | "model" | "kind">;

  constructor() {
    const m = BACKEND_METRICS;
    this.requests = new Counter({ name: m.requests.name, help: m.requests.help, labelNames: m.requests.labels, registers: [this.registry] });
    this.inference = new Histogram({
      name: m.inferenceDuration.name,
      help: m.inferenceDuration.help,
      labelNames: m.inferenceDuration.labels,
      buckets: [...INFERENCE_BUCKETS],
      registers: [this.registry],
    });
    this.tokens = new Counter({ name: m.tokens.name, help: m.tokens.help, labelNames: m.tokens.labels, registers: [this.registry] });
    collectDefaultMetrics({ register: this.registry });
  }

  request(route: string, status: number): void {
    this.requests.labels(route, String(status)).inc();
  }

  answered(provider: string, model: string, seconds: number, usage: Usage | undefined): void {
    this.inference.labels(provider, model).observe(seconds);
    if (usage) {
      if (usage.promptTokens > 0) this.tokens.labels(provider, model, "prompt").inc(usage.promptTokens);
      if (usage.completionTokens > 0) this.tokens.labels(provider, model, "completion").inc(usage.completionTokens);
    }
  }
}
