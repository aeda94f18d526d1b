/**
 * How a new frontend or backend version reaches users (docs/delivery.md): a plain rolling update, or an Argo Rollouts
 * canary that moves traffic in steps and aborts by itself when the canary's own error rate or p95 latency breaches.
 */
import { z } from "zod";
import { positiveInt } from "./primitives";

/**
 * argoproj/argo-helm chart `argo-rollouts`. verified: argoproj/argo-helm tag argo-rollouts-2.41.0 (commit
 * 8796aeaa82428f96c3a20293f75a1a805f99d32b, 2026-06-05): charts/argo-rollouts/Chart.yaml version 2.41.0, appVersion
 * v1.9.0; the gh-pages index.yaml lists 2.41.0.
 */
export const ARGO_ROLLOUTS_CHART_VERSION = "2.41.0";

/** A duration as Argo Rollouts reads it (Go's time.ParseDuration, whole units): 30s, 1m, 5m, 1h. */
const goDuration = z.string().regex(/^\d+(s|m|h)$/, { message: "expected a duration such as 30s, 1m or 5m" });
/** A PromQL range (rate window) of a few scrapes: 1m, 2m, 5m. */
const rateWindow = z.string().regex(/^\d+(s|m|h)$/, { message: "expected a PromQL range such as 2m or 5m" });

const analysis = z
  .strictObject({
    /**
     * Highest share of the canary's requests that may fail (fallback answers and broken streams count), as a fraction.
     * The default is the ErrorRateHigh alert's 5% (components/monitoring/alert-rules.ts THRESHOLDS.errorRatioHigh).
     */
    maxErrorRatio: z.number({ error: "expected a fraction such as 0.05" }).gt(0, { message: "expected a fraction above 0 and at most 1" }).max(1, { message: "expected a fraction above 0 and at most 1" }).default(0.05),
    /** Highest p95 chat answer time of the canary in seconds; the default is the InferenceLatencyHigh alert's 5 s. */
    maxP95LatencySeconds: z.number({ error: "expected a number of seconds such as 5" }).positive({ message: "expected a number of seconds above 0" }).default(5),
    /** Time between two measurements. */
    interval: goDuration.default("1m"),
    /** Measurements per analysis step; the step passes once all are taken without too many failures. */
    count: positiveInt.min(1, { message: "expected at least 1 measurement" }).default(5),
    /** Failed measurements a step tolerates; one more aborts the canary. */
    failureLimit: positiveInt.min(0, { message: "expected 0 or more" }).default(1),
    /** Rate window of the queries: a few scrapes (every 30 s), short enough to see a canary that runs for minutes. */
    window: rateWindow.default("2m"),
  })
  .prefault({})
  .superRefine((value, ctx) => {
    if (value.failureLimit >= value.count) {
      ctx.addIssue({ code: "custom", path: ["failureLimit"], message: `expected fewer failures than measurements (count ${value.count}): otherwise no canary could ever fail`, input: value.failureLimit });
    }
  });

/**
 * The in-cluster model servers' canary (opt-in): a new engine image, model or engine flags goes out as an Argo
 * Rollout beside the stable server, judged on vLLM's own series of the canary's pods; measurement timing (interval,
 * count, failureLimit, window) is the backend's (`analysis`). Needs a cache a second pod can mount and a GPU for it
 * (config/model-server-canary.ts; docs/delivery.md).
 */
const modelServerCanary = z
  .strictObject({
    enabled: z.boolean({ error: "expected true or false" }).default(false),
    /**
     * Highest share of the canary's requests that fail: answered with a 5xx, or finished by vLLM with an error
     * (a stream cut off after its 200). The default is the backend's ErrorRateHigh 5%.
     */
    maxErrorRatio: z.number({ error: "expected a fraction such as 0.05" }).gt(0, { message: "expected a fraction above 0 and at most 1" }).max(1, { message: "expected a fraction above 0 and at most 1" }).default(0.05),
    /**
     * Highest p95 time to first token of the canary, in seconds (vLLM's vllm:time_to_first_token_seconds). A
     * starting point: set it from the stack's own p95 (Grafana, AI Assistant / Model server) with some margin.
     */
    maxP95TimeToFirstTokenSeconds: z.number({ error: "expected a number of seconds such as 2" }).positive({ message: "expected a number of seconds above 0" }).default(2),
  })
  .prefault({});

const canary = z
  .strictObject({
    /** Traffic shares (percent) the canary steps through; analysis runs after every step below 100. */
    weights: z.array(positiveInt.min(1, { message: "expected a percentage from 1 to 100" }).max(100, { message: "expected a percentage from 1 to 100" })).default([10, 50, 100]),
    /** What decides whether the backend's canary goes on. */
    analysis,
    /** How long the frontend's canary (which has no metrics of its own) waits at each step before the next. */
    frontendStepPause: goDuration.default("5m"),
    /** The model servers' canary: off unless enabled (it costs a second GPU for its duration). */
    modelServers: modelServerCanary,
  })
  .prefault({})
  .superRefine((value, ctx) => {
    const { weights } = value;
    if (weights.length === 0 || weights[weights.length - 1] !== 100) {
      ctx.addIssue({ code: "custom", path: ["weights"], message: "expected steps ending at 100 (the canary takes all traffic before it becomes stable), such as [10, 50, 100]", input: weights });
    } else if (weights.length === 1) {
      ctx.addIssue({ code: "custom", path: ["weights"], message: "expected at least one step below 100 before it, such as [10, 50, 100]: [100] would promote every version unjudged", input: weights });
    } else if (weights.some((weight, i) => i > 0 && weight <= weights[i - 1])) {
      ctx.addIssue({ code: "custom", path: ["weights"], message: "expected each step larger than the one before, such as [10, 50, 100]", input: weights });
    }
  });

export const deliverySchema = z
  .strictObject({
    /** `rollingUpdate`: the Deployments roll as usual. `canary`: Argo Rollouts moves the frontend and backend in steps. */
    strategy: z.enum(["rollingUpdate", "canary"], { error: 'expected "rollingUpdate" or "canary"' }).default("rollingUpdate"),
    /** Argo Rollouts' controller and CRDs, cluster-wide; install false when the cluster runs them already. */
    argoRollouts: z
      .strictObject({
        install: z.boolean({ error: "expected true or false" }).default(true),
        chartVersion: z.string().regex(/^\d+\.\d+\.\d+$/, { message: `expected an exact chart version such as ${ARGO_ROLLOUTS_CHART_VERSION}` }).default(ARGO_ROLLOUTS_CHART_VERSION),
      })
      .prefault({}),
    canary,
  })
  .prefault({});

export type DeliveryConfig = z.output<typeof deliverySchema>;
export type CanaryConfig = DeliveryConfig["canary"];
export type CanaryAnalysisConfig = CanaryConfig["analysis"];
export type ModelServerCanaryConfig = CanaryConfig["modelServers"];
