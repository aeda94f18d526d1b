/**
 * Probe timings. A startup probe covers the slow first start; once it passes, readiness and liveness run on
 * their steady-state rhythm (the field's baseline is a 30 s interval, 10 s timeout and 3 retries for liveness).
 */
import * as k8s from "@pulumi/kubernetes";

type Probe = k8s.types.input.core.v1.Probe;

/** How fast a workload becomes ready, and how long its first start may take. */
export interface ProbeTiming {
  /** Seconds between startup checks: short, so that a ready pod takes traffic soon. */
  startupPeriodSeconds: number;
  /** Total seconds the first start may take before the container is restarted. */
  startupAllowanceSeconds: number;
  /** Seconds between readiness checks in steady state. */
  readinessPeriodSeconds: number;
}

/** Readiness within ~10 s (mock) and ~15 s (hosted API), per the brief. */
export const PROBE_TIMINGS = {
  mock: { startupPeriodSeconds: 2, startupAllowanceSeconds: 30, readinessPeriodSeconds: 5 },
  "hosted-api": { startupPeriodSeconds: 3, startupAllowanceSeconds: 60, readinessPeriodSeconds: 10 },
  "local-model": { startupPeriodSeconds: 5, startupAllowanceSeconds: 120, readinessPeriodSeconds: 10 },
  frontend: { startupPeriodSeconds: 2, startupAllowanceSeconds: 30, readinessPeriodSeconds: 10 },
} satisfies Record<string, ProbeTiming>;

/** Paths a workload answers its probes on. */
export interface HealthPaths {
  /** Answers once the process can serve traffic (dependencies reachable). */
  ready: string;
  /** Answers while the process is alive; must not depend on other services, or an outage restarts everything. */
  live: string;
}

/** startup, readiness and liveness probes on `port` with the given timing. */
export function httpProbes(paths: HealthPaths, port: number | string, timing: ProbeTiming) {
  const get = (path: string) => ({ httpGet: { path, port } });
  const startupProbe: Probe = {
    ...get(paths.live),
    periodSeconds: timing.startupPeriodSeconds,
    timeoutSeconds: Math.min(timing.startupPeriodSeconds, 5),
    failureThreshold: Math.ceil(timing.startupAllowanceSeconds / timing.startupPeriodSeconds),
  };
  const readinessProbe: Probe = {
    ...get(paths.ready),
    periodSeconds: timing.readinessPeriodSeconds,
    timeoutSeconds: Math.min(timing.readinessPeriodSeconds, 5),
    failureThreshold: 3,
  };
  const livenessProbe: Probe = { ...get(paths.live), periodSeconds: 30, timeoutSeconds: 10, failureThreshold: 3 };
  return { startupProbe, readinessProbe, livenessProbe };
}
