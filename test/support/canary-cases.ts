/**
 * Hand-written series of a canary next to its stable pods, for the promtool proof of the canary analysis
 * (test/components/monitoring/canary-analysis.test.ts): each pod's series carry `rollouts_pod_template_hash`, as
 * the backend's ServiceMonitor relabels them. Sampled every minute; counters grow at a constant rate.
 */
import { NS } from "./alert-cases";

export const STABLE_HASH = "6d8f7b9c5";
export const CANARY_HASH = "7c9d4f8b6";

export interface InputSeries {
  series: string;
  values: string;
}

const CHAT = "/v1/chat/completions";
/** A counter growing by `perMinute` every minute for 30 minutes. */
export const counter = (perMinute: number) => `0+${perMinute}x30`;
/** Labels as a series selector's body: `a="1", b="2"`. */
export const labelsText = (labels: Record<string, string>) => Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(", ");
const pod = (hash: string) => ({ namespace: NS, pod: `backend-${hash}-x1`, job: "backend", rollouts_pod_template_hash: hash });

/** Requests per minute of one pod-template hash, by outcome (status follows the outcome). */
function requests(hash: string, perMinute: Partial<Record<"ok" | "fallback" | "interrupted" | "upstream_error" | "client_error", number>>): InputSeries[] {
  const status = { ok: "200", fallback: "200", interrupted: "200", upstream_error: "502", client_error: "400" };
  return Object.entries(perMinute).map(([outcome, n]) => ({
    series: `ai_assistant_requests_total{${labelsText({ ...pod(hash), route: CHAT, status: status[outcome as keyof typeof status], outcome })}}`,
    values: counter(n!),
  }));
}

/** Cumulative answers per minute under each bucket bound of the inference-time histogram. */
function latency(hash: string, cumulative: Record<string, number>): InputSeries[] {
  return Object.entries(cumulative).map(([le, n]) => ({
    series: `ai_assistant_inference_duration_seconds_bucket{${labelsText({ ...pod(hash), provider: "vllm", model: "qwen", le })}}`,
    values: counter(n),
  }));
}

// p95 = 2.5 + (95 - 90) / (96 - 90) * 2.5 = 4.58 s: under the 5 s limit.
const FAST = { "1": 50, "2.5": 90, "5": 96, "7.5": 100, "10": 100, "+Inf": 100 };
// p95 = 5 + (95 - 90) / (100 - 90) * 2.5 = 6.25 s: over it.
const SLOW = { "1": 50, "2.5": 80, "5": 90, "7.5": 100, "10": 100, "+Inf": 100 };
// p95 in the 10 s..+Inf bucket: the stable pods of the healthy case are far worse than its canary.
const VERY_SLOW = { "1": 10, "2.5": 20, "5": 40, "7.5": 60, "10": 80, "+Inf": 100 };

export interface CanaryCase {
  name: string;
  series: InputSeries[];
  /** Whether the canary breaches each limit; undefined: no canary series yet (the measurement is inconclusive). */
  breaches?: { "error-ratio": boolean; "p95-latency": boolean };
  /** Whether the namespace-wide alert expression (all pods) breaches the error limit on the same series. */
  namespaceBreaches: boolean;
}

export const CANARY_CASES: CanaryCase[] = [
  {
    // 8% of the canary's answers come from the fallback: each a 200 the user reads as an answer, and a failure.
    name: "a failing canary (fallback answers, slow) beside healthy stable pods",
    series: [...requests(CANARY_HASH, { ok: 92, fallback: 8 }), ...latency(CANARY_HASH, SLOW), ...requests(STABLE_HASH, { ok: 990, upstream_error: 5, client_error: 5 }), ...latency(STABLE_HASH, FAST)],
    breaches: { "error-ratio": true, "p95-latency": true },
    // 8 failures in 1100 requests of the namespace: the alert would stay quiet while the canary's users suffer.
    namespaceBreaches: false,
  },
  {
    name: "a canary whose streams break off (6%), fast",
    series: [...requests(CANARY_HASH, { ok: 94, interrupted: 6 }), ...latency(CANARY_HASH, FAST), ...requests(STABLE_HASH, { ok: 100 }), ...latency(STABLE_HASH, FAST)],
    breaches: { "error-ratio": true, "p95-latency": false },
    namespaceBreaches: false,
  },
  {
    // 2% broken streams and client errors (never a failure of ours) on the canary; the stable pods fail badly.
    name: "a healthy canary beside failing stable pods",
    series: [...requests(CANARY_HASH, { ok: 95, interrupted: 2, client_error: 3 }), ...latency(CANARY_HASH, FAST), ...requests(STABLE_HASH, { ok: 60, upstream_error: 40 }), ...latency(STABLE_HASH, VERY_SLOW)],
    breaches: { "error-ratio": false, "p95-latency": false },
    namespaceBreaches: true,
  },
  {
    // No failed series at all: the ratio is 0 (a pass), not an empty result (which would be inconclusive).
    name: "a flawless canary",
    series: [...requests(CANARY_HASH, { ok: 100 }), ...latency(CANARY_HASH, FAST), ...requests(STABLE_HASH, { ok: 100 }), ...latency(STABLE_HASH, FAST)],
    breaches: { "error-ratio": false, "p95-latency": false },
    namespaceBreaches: false,
  },
  {
    name: "a canary with no traffic yet",
    series: [...requests(STABLE_HASH, { ok: 100 }), ...latency(STABLE_HASH, FAST)],
    breaches: undefined,
    namespaceBreaches: false,
  },
];
