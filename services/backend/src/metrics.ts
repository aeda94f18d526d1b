/**
 * The metrics contract of lib/metrics-contract.ts (the same module the alert rules and dashboards are built from),
 * served with prom-client beside its process defaults. Labels stay low-cardinality: routes are templates (unknown
 * paths are `other`), models are only the served ones (unknown models are refused before they reach a metric).
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";
import { BACKEND_METRICS, INFERENCE_BUCKETS, KNOWLEDGE_RETRIEVAL_OUTCOMES, LOCAL_MODEL_REQUEST_REASONS, RETRIEVAL_BUCKETS } from "../../../lib/metrics-contract";
import { Usage } from "./providers/types";

export class BackendMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"route" | "status">;
  private readonly inference: Histogram<"provider" | "model">;
  private readonly tokens: Counter<"provider" | "model" | "kind">;
  private readonly localModelRequests: Counter<"model" | "reason">;
  private readonly retrievals: Counter<"outcome">;
  private readonly retrievalDuration: Histogram;
  private readonly semanticCache: Counter<"result">;

  /** `localModels`: the models an in-cluster server (vLLM, Ollama) serves; their request counter starts at 0. */
  /** `knowledge`: retrieval is on, so its series start at 0 (a failure rate needs a first sample to rise from). */
  constructor(localModels: readonly string[] = [], knowledge = false) {
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
    const local = m.localModelRequests;
    this.localModelRequests = new Counter({ name: local.name, help: local.help, labelNames: local.labels, registers: [this.registry] });
    // Every series exists from the start, so that rate() sees the first request for a sleeping model: KEDA wakes the
    // server on this counter, and a series born at 1 has no earlier sample to rise from.
    for (const model of localModels) for (const reason of LOCAL_MODEL_REQUEST_REASONS) this.localModelRequests.labels(model, reason).inc(0);
    const r = m.knowledgeRetrievals;
    this.retrievals = new Counter({ name: r.name, help: r.help, labelNames: r.labels, registers: [this.registry] });
    const d = m.knowledgeRetrievalDuration;
    this.retrievalDuration = new Histogram({ name: d.name, help: d.help, buckets: [...RETRIEVAL_BUCKETS], registers: [this.registry] });
    const c = m.semanticCache;
    this.semanticCache = new Counter({ name: c.name, help: c.help, labelNames: c.labels, registers: [this.registry] });
    if (knowledge) {
      for (const outcome of KNOWLEDGE_RETRIEVAL_OUTCOMES) this.retrievals.labels(outcome).inc(0);
      for (const result of ["hit", "miss"]) this.semanticCache.labels(result).inc(0);
    }
    collectDefaultMetrics({ register: this.registry });
  }

  /** A request meant for an in-cluster model: who answered it (see LOCAL_MODEL_REQUEST_REASONS). */
  localModelRequest(model: string, reason: (typeof LOCAL_MODEL_REQUEST_REASONS)[number]): void {
    this.localModelRequests.labels(model, reason).inc();
  }

  retrieval(outcome: (typeof KNOWLEDGE_RETRIEVAL_OUTCOMES)[number], seconds: number): void {
    this.retrievals.labels(outcome).inc();
    this.retrievalDuration.observe(seconds);
  }

  semanticCacheLookup(result: "hit" | "miss"): void {
    this.semanticCache.labels(result).inc();
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
