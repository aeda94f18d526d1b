/**
 * The metrics contract of lib/metrics-contract.ts (the same module the alert rules and dashboards are built from),
 * served with prom-client beside its process defaults. Labels stay low-cardinality: routes are templates (unknown
 * paths are `other`), models are only the served ones (unknown models are refused before they reach a metric),
 * outcomes and kinds are fixed lists.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import {
  BACKEND_METRICS,
  CIRCUIT_STATE_VALUES,
  FLAG_EVALUATION_OUTCOMES,
  INFERENCE_BUCKETS,
  KNOWLEDGE_RETRIEVAL_OUTCOMES,
  LOCAL_MODEL_REQUEST_REASONS,
  RequestOutcome,
  RETRIEVAL_BUCKETS,
  UpstreamErrorKind,
} from "../../../lib/metrics-contract";
import { Usage } from "./providers/types";
import { CircuitView, RouterEvents } from "./resilience/router";

export class BackendMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"route" | "status" | "outcome">;
  private readonly inference: Histogram<"provider" | "model">;
  private readonly tokens: Counter<"provider" | "model" | "kind">;
  private readonly localModelRequests: Counter<"model" | "reason">;
  private readonly upstreamErrors: Counter<"provider" | "kind">;
  private readonly retries: Counter<"provider">;
  private readonly fallbacks: Counter<"from" | "to">;
  private readonly retrievals: Counter<"outcome">;
  private readonly retrievalDuration: Histogram;
  private readonly semanticCache: Counter<"result">;
  private readonly flagEvaluations: Counter<"flag" | "variant" | "outcome">;

  /**
   * `localModels`: the models an in-cluster server (vLLM, Ollama) serves; their request counter starts at 0.
   * `circuits`: read at every scrape, as a circuit turns half-open by the clock alone.
   * `knowledge`: retrieval is on, so its series start at 0 (a failure rate needs a first sample to rise from).
   */
  constructor(localModels: readonly string[] = [], circuits: () => CircuitView[] = () => [], knowledge = false) {
    const m = BACKEND_METRICS;
    const registers = [this.registry];
    this.requests = new Counter({ name: m.requests.name, help: m.requests.help, labelNames: m.requests.labels, registers });
    this.inference = new Histogram({
      name: m.inferenceDuration.name,
      help: m.inferenceDuration.help,
      labelNames: m.inferenceDuration.labels,
      buckets: [...INFERENCE_BUCKETS],
      registers,
    });
    this.tokens = new Counter({ name: m.tokens.name, help: m.tokens.help, labelNames: m.tokens.labels, registers });
    const local = m.localModelRequests;
    this.localModelRequests = new Counter({ name: local.name, help: local.help, labelNames: local.labels, registers });
    this.upstreamErrors = new Counter({ name: m.upstreamErrors.name, help: m.upstreamErrors.help, labelNames: m.upstreamErrors.labels, registers });
    this.retries = new Counter({ name: m.retries.name, help: m.retries.help, labelNames: m.retries.labels, registers });
    this.fallbacks = new Counter({ name: m.fallbacks.name, help: m.fallbacks.help, labelNames: m.fallbacks.labels, registers });
    new Gauge({
      name: m.circuitState.name,
      help: m.circuitState.help,
      labelNames: m.circuitState.labels,
      registers,
      collect() {
        for (const circuit of circuits()) this.labels(circuit.provider, circuit.upstream).set(CIRCUIT_STATE_VALUES[circuit.state]);
      },
    });
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
    const f = m.featureFlagEvaluations;
    this.flagEvaluations = new Counter({ name: f.name, help: f.help, labelNames: f.labels, registers: [this.registry] });
    collectDefaultMetrics({ register: this.registry });
  }

  /** One flag evaluated for a request: the variant it got, and whether that came from the flag file or from an error. */
  flagEvaluated(flag: string, variant: string, outcome: (typeof FLAG_EVALUATION_OUTCOMES)[number]): void {
    this.flagEvaluations.labels(flag, variant, outcome).inc();
  }

  /** The router's events, counted. */
  routerEvents(): RouterEvents {
    return {
      local: (model, reason) => this.localModelRequests.labels(model, reason).inc(),
      upstreamError: (provider, kind: UpstreamErrorKind) => this.upstreamErrors.labels(provider, kind).inc(),
      retry: (provider) => this.retries.labels(provider).inc(),
      fallback: (from, to) => this.fallbacks.labels(from, to).inc(),
    };
  }

  /** A request for an in-cluster model: who answered it (see LOCAL_MODEL_REQUEST_REASONS). */
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

  request(route: string, status: number, outcome: RequestOutcome): void {
    this.requests.labels(route, String(status), outcome).inc();
  }

  answered(provider: string, model: string, seconds: number, usage: Usage | undefined): void {
    this.inference.labels(provider, model).observe(seconds);
    if (usage) {
      if (usage.promptTokens > 0) this.tokens.labels(provider, model, "prompt").inc(usage.promptTokens);
      if (usage.completionTokens > 0) this.tokens.labels(provider, model, "completion").inc(usage.completionTokens);
    }
  }
}
