/**
 * The canary's analysis (docs/delivery.md): Argo Rollouts AnalysisTemplate metrics built from the very PromQL the
 * alerts use (./promql.ts errorRatio and inferenceQuantile, as ErrorRateHigh and InferenceLatencyHigh), narrowed to
 * the canary's pods by their `rollouts-pod-template-hash`, which the backend's ServiceMonitor copies onto every
 * series (./scrape-targets.ts). Semantics verified in argoproj/argo-rollouts v1.9.0 (838d4e79):
 * metricproviders/prometheus/prometheus.go (a vector becomes `result`, a list of floats), utils/evaluate/evaluate.go
 * (a failureCondition that holds fails the measurement; neither condition holding is inconclusive) and
 * analysis/analysis.go assessMetricStatus (more failures than failureLimit fail the run, more inconclusive
 * measurements than inconclusiveLimit leave it inconclusive, which pauses the rollout for a person). The conditions
 * are antonmedv/expr (go.mod v1.15.5), whose `&&` short-circuits (OpJumpIfFalse): `result[0]` is never read from an
 * empty result.
 */
import type { CanaryAnalysisConfig } from "../../config/delivery";
import { CANARY_HASH_ARG, ROLLOUT_HASH_SERIES_LABEL } from "../../lib/rollout";
import { errorRatio, inferenceQuantile } from "./promql";

export { CANARY_HASH_ARG, ROLLOUT_HASH_POD_LABEL, ROLLOUT_HASH_SERIES_LABEL } from "../../lib/rollout";

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

/**
 * The AnalysisTemplate spec. A measurement over the limit fails; one with no canary traffic yet (an empty result, or
 * NaN from 0/0) is inconclusive rather than a pass: all of a step's measurements inconclusive pauses the rollout
 * instead of promoting a canary nobody used. A query Prometheus cannot answer is an error, and Argo's
 * consecutiveErrorLimit (4) then aborts.
 */
export function canaryAnalysisSpec({ namespace, prometheusUrl, analysis }: CanaryAnalysisArgs) {
  const queries = canaryQueries(namespace, `{{args.${CANARY_HASH_ARG}}}`, analysis.window);
  const limits = canaryLimits(analysis);
  return {
    args: [{ name: CANARY_HASH_ARG }],
    metrics: (Object.keys(queries) as CanaryMetricName[]).map((name) => ({
      name,
      interval: analysis.interval,
      count: analysis.count,
      failureLimit: analysis.failureLimit,
      inconclusiveLimit: analysis.count - 1,
      successCondition: `len(result) > 0 && !isNaN(result[0]) && result[0] <= ${limits[name]}`,
      failureCondition: `len(result) > 0 && result[0] > ${limits[name]}`,
      provider: { prometheus: { address: prometheusUrl, query: queries[name], timeout: 30 } },
    })),
  };
}
