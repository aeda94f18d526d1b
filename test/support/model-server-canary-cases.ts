/**
 * Hand-written vLLM series of a model-server canary next to its stable pod, for the promtool proof of its analysis
 * (test/components/monitoring/model-server-canary-analysis.test.ts). Labels as the vLLM ServiceMonitor leaves them
 * (namespace, service, pod, job) plus the hash it copies from the pod; names and labels as vLLM v0.30.0 registers
 * them (lib/metrics-contract.ts VLLM_METRICS). Sampled every minute; counters grow at a constant rate.
 */
import { NS } from "./alert-cases";
import { CANARY_HASH, counter, InputSeries, labelsText, STABLE_HASH } from "./canary-cases";

export const SERVER = "model-server";

type MetricName = "http-error-ratio" | "engine-error-ratio" | "p95-time-to-first-token";

const pod = (hash: string) => ({ namespace: NS, service: SERVER, job: SERVER, pod: `${SERVER}-${hash}-x1`, rollouts_pod_template_hash: hash });
const engine = (hash: string) => ({ ...pod(hash), model_name: "Qwen/Qwen2.5-7B-Instruct", engine: "0" });

/** HTTP requests per minute by grouped status, as prometheus-fastapi-instrumentator counts them. */
function http(hash: string, perMinute: Partial<Record<"2xx" | "4xx" | "5xx", number>>): InputSeries[] {
  return Object.entries(perMinute).map(([status, n]) => ({
    series: `http_requests_total{${labelsText({ ...pod(hash), handler: "/v1/chat/completions", method: "POST", status })}}`,
    values: counter(n!),
  }));
}

/** Requests the engine finished per minute, by finished_reason. */
function finished(hash: string, perMinute: Partial<Record<"stop" | "length" | "abort" | "error", number>>): InputSeries[] {
  return Object.entries(perMinute).map(([reason, n]) => ({ series: `vllm:request_success_total{${labelsText({ ...engine(hash), finished_reason: reason })}}`, values: counter(n!) }));
}

/** Cumulative requests per minute under each of some of vLLM's time-to-first-token bucket bounds. */
function ttft(hash: string, cumulative: Record<string, number>): InputSeries[] {
  return Object.entries(cumulative).map(([le, n]) => ({ series: `vllm:time_to_first_token_seconds_bucket{${labelsText({ ...engine(hash), le })}}`, values: counter(n) }));
}

// p95 = 1.0 + (95 - 90) / (100 - 90) * 1.5 = 1.75 s: under the 2 s default.
const FAST = { "0.5": 60, "1.0": 90, "2.5": 100, "5.0": 100, "+Inf": 100 };
// p95 = 2.5 + (95 - 80) / (100 - 80) * 2.5 = 4.375 s: over it.
const SLOW = { "0.5": 20, "1.0": 50, "2.5": 80, "5.0": 100, "+Inf": 100 };

export interface ModelServerCanaryCase {
  name: string;
  series: InputSeries[];
  /** Whether the canary breaches each limit; undefined: no canary series yet (the measurement is inconclusive). */
  breaches?: Record<MetricName, boolean>;
}

export const MODEL_SERVER_CANARY_CASES: ModelServerCanaryCase[] = [
  {
    // A new image that answers 8% of requests with a 500, and slowly.
    name: "a failing canary (5xx, slow first tokens) beside a healthy stable pod",
    series: [...http(CANARY_HASH, { "2xx": 92, "5xx": 8 }), ...finished(CANARY_HASH, { stop: 92 }), ...ttft(CANARY_HASH, SLOW), ...http(STABLE_HASH, { "2xx": 100 }), ...finished(STABLE_HASH, { stop: 100 }), ...ttft(STABLE_HASH, FAST)],
    breaches: { "http-error-ratio": true, "engine-error-ratio": false, "p95-time-to-first-token": true },
  },
  {
    // Streams that break after their 200 (a new engine flag that fails mid-generation): only the engine's count shows it.
    name: "a canary whose streams end in an engine error (6%), all 200s, fast",
    series: [...http(CANARY_HASH, { "2xx": 100 }), ...finished(CANARY_HASH, { stop: 90, length: 4, error: 6 }), ...ttft(CANARY_HASH, FAST), ...http(STABLE_HASH, { "2xx": 100 }), ...finished(STABLE_HASH, { stop: 100 }), ...ttft(STABLE_HASH, FAST)],
    breaches: { "http-error-ratio": false, "engine-error-ratio": true, "p95-time-to-first-token": false },
  },
  {
    // Client errors and clients that hang up (abort) are no failure of the server; the stable pod fails badly.
    name: "a healthy canary beside a failing stable pod",
    series: [...http(CANARY_HASH, { "2xx": 95, "4xx": 3, "5xx": 2 }), ...finished(CANARY_HASH, { stop: 90, abort: 5, error: 1 }), ...ttft(CANARY_HASH, FAST), ...http(STABLE_HASH, { "2xx": 60, "5xx": 40 }), ...finished(STABLE_HASH, { stop: 60, error: 40 }), ...ttft(STABLE_HASH, SLOW)],
    breaches: { "http-error-ratio": false, "engine-error-ratio": false, "p95-time-to-first-token": false },
  },
  {
    // No 5xx and no error series at all: the ratios are 0 (a pass), not empty (inconclusive).
    name: "a flawless canary",
    series: [...http(CANARY_HASH, { "2xx": 100 }), ...finished(CANARY_HASH, { stop: 100 }), ...ttft(CANARY_HASH, FAST), ...http(STABLE_HASH, { "2xx": 100 }), ...finished(STABLE_HASH, { stop: 100 }), ...ttft(STABLE_HASH, FAST)],
    breaches: { "http-error-ratio": false, "engine-error-ratio": false, "p95-time-to-first-token": false },
  },
  {
    name: "a canary with no traffic yet (or asleep: scaled to zero)",
    series: [...http(STABLE_HASH, { "2xx": 100 }), ...finished(STABLE_HASH, { stop: 100 }), ...ttft(STABLE_HASH, FAST)],
    breaches: undefined,
  },
];
