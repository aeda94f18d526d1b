/**
 * The canary's analysis (docs/delivery.md): Argo Rollouts AnalysisTemplate metrics built from the very PromQL the
 * alerts use (./promql.ts errorRatio and inferenceQuantile, as ErrorRateHigh and InferenceLatencyHigh), narrowed to
 * the canary's pods by their `rollouts-pod-template-hash`, which the backend's ServiceMonitor copies onto every
 * series (./scrape-targets.ts). A vLLM model server's canary (delivery.canary.modelServers) is judged the same way on
 * vLLM's own series (./promql.ts vllm*), which its ServiceMonitor labels with the hash too. Semantics verified in argoproj/argo-rollouts v1.9.0 (838d4e79):
 * metricproviders/prometheus/prometheus.go (a vector becomes `result`, a list of floats), utils/evaluate/evaluate.go
 * (a failureCondition that holds fails the measurement; neither condition holding is inconclusive) and
 * analysis/analysis.go assessMetricStatus (more failures than failureLimit fail the run, more inconclusive
 * measurements than inconclusiveLimit leave it inconclusive, which pauses the rollout for a person). The conditions
 * are antonmedv/expr (go.mod v1.15.5), whose `&&` short-circuits (OpJumpIfFalse): `result[0]` is never read from an
 * empty result.
 */
import type { CanaryAnalysisConfig, ModelServerCanaryConfig } from "../../config/delivery";
import { CANARY_HASH_ARG, ROLLOUT_HASH_SERIES_LABEL } from "../../lib/rollout";
import { errorRatio, inferenceQuantile, vllmEngineErrorRatio, vllmHttpErrorRatio, vllmTimeToFirstTokenQuantile } from "./promql";


export type CanaryMetricName = "error-ratio" | "p95-latency";

/** The two queries for the pods of one pod-template hash (`{{args.canary-hash}}` in the template). */
export function canaryQueries(namespace: string, hash: string, window: string): Record<CanaryMetricName, string> {
  const filter = `${ROLLOUT_HASH_SERIES_LABEL}="${hash}"`;
  return { "error-ratio": errorRatio(namespace, window, filter), "p95-latency": inferenceQuantile(0.95, namespace, window, filter) };
}

/** The highest value each metric may take, from the stack's config. */
export function canaryLimits(analysis: CanaryAnalysisConfig): Record<CanaryMetricName, number> {
  return { "error-ratio": analysis.maxErrorRatio, "p95-latency": analysis.maxP95LatencySeconds };
}

export interface CanaryAnalysisArgs {
  /** The app namespace: the backend's series carry it. */
  namespace: string;
  /** The stack's Prometheus (monitoring-values.ts prometheusUrl). */
  prometheusUrl: string;
  analysis: CanaryAnalysisConfig;
}

/** How often and how many times a metric is measured, and how many failures a step tolerates. */
type AnalysisTiming = Pick<CanaryAnalysisConfig, "interval" | "count" | "failureLimit">;

/**
 * One metric of an AnalysisTemplate. A measurement over the limit fails; one with no canary traffic yet (an empty
 * result, or NaN from 0/0) is inconclusive rather than a pass: all of a step's measurements inconclusive pauses the
 * rollout instead of promoting a canary nobody used. A query Prometheus cannot answer is an error, and Argo's
 * consecutiveErrorLimit (4) then aborts.
 */
function analysisMetric<Name extends string>(name: Name, query: string, limit: number, timing: AnalysisTiming, prometheusUrl: string) {
  return {
    name,
    interval: timing.interval,
    count: timing.count,
    failureLimit: timing.failureLimit,
    inconclusiveLimit: timing.count - 1,
    successCondition: `len(result) > 0 && !isNaN(result[0]) && result[0] <= ${limit}`,
    failureCondition: `len(result) > 0 && result[0] > ${limit}`,
    provider: { prometheus: { address: prometheusUrl, query, timeout: 30 } },
  };
}

/** The backend's AnalysisTemplate spec: error ratio and p95 answer time of the canary's pods. */
export function canaryAnalysisSpec({ namespace, prometheusUrl, analysis }: CanaryAnalysisArgs) {
  const queries = canaryQueries(namespace, `{{args.${CANARY_HASH_ARG}}}`, analysis.window);
  const limits = canaryLimits(analysis);
  return {
    args: [{ name: CANARY_HASH_ARG }],
    metrics: (Object.keys(queries) as CanaryMetricName[]).map((name) => analysisMetric(name, queries[name], limits[name], analysis, prometheusUrl)),
  };
}

export type ModelServerCanaryMetricName = "http-error-ratio" | "engine-error-ratio" | "p95-time-to-first-token";

/**
 * A vLLM server's canary queries for the pods of one hash: the share of 5xx answers, the share of requests its engine
 * ended with an error (a stream that broke after its 200 shows only there), and the p95 time to first token. The
 * vLLM ServiceMonitor copies the hash onto the series as it does the backend's (./scrape-targets.ts).
 */
export function modelServerCanaryQueries(namespace: string, server: string, hash: string, window: string): Record<ModelServerCanaryMetricName, string> {
  const filter = `${ROLLOUT_HASH_SERIES_LABEL}="${hash}"`;
  return {
    "http-error-ratio": vllmHttpErrorRatio(namespace, window, { server, filter }),
    "engine-error-ratio": vllmEngineErrorRatio(namespace, window, { server, filter }),
    "p95-time-to-first-token": vllmTimeToFirstTokenQuantile(0.95, namespace, window, { server, filter }),
  };
}

export function modelServerCanaryLimits(thresholds: Pick<ModelServerCanaryConfig, "maxErrorRatio" | "maxP95TimeToFirstTokenSeconds">): Record<ModelServerCanaryMetricName, number> {
  return { "http-error-ratio": thresholds.maxErrorRatio, "engine-error-ratio": thresholds.maxErrorRatio, "p95-time-to-first-token": thresholds.maxP95TimeToFirstTokenSeconds };
}

export interface ModelServerCanaryAnalysisArgs {
  namespace: string;
  /** The server's Service name (`model-server`, `model-server-<model>`), which its series carry as `service`. */
  server: string;
  prometheusUrl: string;
  /** Its thresholds (`delivery.canary.modelServers`). */
  thresholds: Pick<ModelServerCanaryConfig, "maxErrorRatio" | "maxP95TimeToFirstTokenSeconds">;
  /** Interval, count, failure limit and rate window: the backend's (`delivery.canary.analysis`). */
  timing: CanaryAnalysisConfig;
}

/** A vLLM server's AnalysisTemplate spec, with the same measurement rules as the backend's. */
export function modelServerCanaryAnalysisSpec({ namespace, server, prometheusUrl, thresholds, timing }: ModelServerCanaryAnalysisArgs) {
  const queries = modelServerCanaryQueries(namespace, server, `{{args.${CANARY_HASH_ARG}}}`, timing.window);
  const limits = modelServerCanaryLimits(thresholds);
  return {
    args: [{ name: CANARY_HASH_ARG }],
    metrics: (Object.keys(queries) as ModelServerCanaryMetricName[]).map((name) => analysisMetric(name, queries[name], limits[name], timing, prometheusUrl)),
  };
}
