/**
 * How an app pod stops without failing a request (docs/resilience.md, "Zero-downtime drains"). When Kubernetes
 * deletes a pod it removes it from the Service's endpoints and runs its preStop hook at the same time; the endpoint
 * change takes a moment to reach every kube-proxy, ingress and load balancer, and until then requests still arrive.
 * So: the preStop hook sleeps first; then SIGTERM, on which the server fails readiness and keeps serving for its drain
 * (SHUTDOWN_DRAIN_SECONDS); then it stops accepting and in-flight answers get the grace period
 * (SHUTDOWN_GRACE_SECONDS). terminationGracePeriodSeconds covers all three (it counts from the start of preStop).
 */
import * as k8s from "@pulumi/kubernetes";
import { DEFAULT_SHUTDOWN_DRAIN_SECONDS, DEFAULT_SHUTDOWN_GRACE_SECONDS } from "../../lib/backend-env";

/** Seconds the preStop hook waits before SIGTERM: long enough for endpoint removal to reach the proxies. */
export const PRESTOP_SLEEP_SECONDS = 5;
/** Headroom for the process to exit (log flush, exit) after the grace period. */
const EXIT_MARGIN_SECONDS = 5;

/**
 * The first Kubernetes minor version whose kubelet runs the native `sleep` lifecycle action by default: the
 * PodLifecycleSleepAction feature gate is alpha (off) in 1.29, beta and on by default from 1.30, GA from 1.34
 * (kubernetes/website, content/en/docs/reference/command-line-tools-reference/feature-gates/PodLifecycleSleepAction.md).
 * On an older API server the field is dropped and the hook has no handler, which the API refuses.
 */
export const NATIVE_SLEEP_SINCE = "1.30";

/** Whether a cluster of `version` ("1.35"; undefined when not known) runs the native sleep action. */
export function hasNativeSleep(version: string | undefined): boolean {
  if (!version) return false;
  const [major, minor] = version.split(".").map(Number);
  const [sinceMajor, sinceMinor] = NATIVE_SLEEP_SINCE.split(".").map(Number);
  return major > sinceMajor || (major === sinceMajor && minor >= sinceMinor);
}

/**
 * The preStop hook: the native sleep action where the cluster has it, else `sleep` run in the container (both app
 * images are Debian bookworm-slim, which has coreutils' sleep).
 */
export function preStopHook(nativeSleep: boolean): k8s.types.input.core.v1.LifecycleHandler {
  return nativeSleep ? { sleep: { seconds: PRESTOP_SLEEP_SECONDS } } : { exec: { command: ["sleep", String(PRESTOP_SLEEP_SECONDS)] } };
}

/** preStop, drain and grace, plus the exit: the pod is never killed while it still answers. */
export const TERMINATION_GRACE_SECONDS = PRESTOP_SLEEP_SECONDS + DEFAULT_SHUTDOWN_DRAIN_SECONDS + DEFAULT_SHUTDOWN_GRACE_SECONDS + EXIT_MARGIN_SECONDS;
