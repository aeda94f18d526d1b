/**
 * The KEDA ScaledObject of one model server: which Prometheus queries say it needs more (or any) replicas. vLLM
 * publishes its queue (`vllm:num_requests_waiting`) and its batch (`vllm:num_requests_running`); a sleeping server
 * publishes nothing, so the wake-up signal is the backend's counter of requests meant for the local model.
 */
import { ModelEngine } from "../../config/phases";
import { BACKEND_METRICS, TRITON_METRICS, VLLM_METRICS } from "../../lib/metrics-contract";
import { scaleTarget } from "../../lib/rollout";

export const SCALED_OBJECT_API = "keda.sh/v1alpha1";

/** How often KEDA asks Prometheus (seconds). With the 30 s scrape interval, a request wakes a server within ~45 s. */
export const POLLING_SECONDS = 15;
/** Window of the wake-up rate: wide enough to hold two scrapes of the backend's counter. */
export const WAKE_WINDOW = "2m";

export interface ScalingSettings {
  /** Replica bounds (`min` 0 with scale-to-zero). */
  min: number;
  max: number;
  /** Waiting requests per replica before another is asked for. */
  waitingRequestsPerReplica: number;
  /** Running requests per replica before another is asked for. */
  runningRequestsPerReplica: number;
  /** Whether the server may sleep: adds the wake-up trigger and the idle period. */
  scaleToZero: boolean;
  /** Minutes without any trigger active before the last replica goes. */
  idleMinutes: number;
  /** Minutes after the ScaledObject is created before KEDA may first scale to zero: the first start's allowance. */
  initialMinutes: number;
  /** Base URL of the stack's Prometheus, e.g. http://kps-prod-prometheus.monitoring.svc.cluster.local:9090. */
  prometheusUrl: string;
}

export interface ScaledServer {
  /** Name of the server's Deployment and Service. */
  serverName: string;
  engine: ModelEngine;
  /** Models it serves, as the backend names them in its metrics. */
  models: string[];
  /** Namespace the server and the backend run in. */
  namespace: string;
  /** Its pods are run by an Argo Rollout of the same name (a canary, docs/delivery.md), which KEDA then scales. */
  rollout?: boolean;
}

/** A PromQL string literal's content: backslashes and double quotes escaped. */
const promString = (text: string) => text.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
/** A literal inside a PromQL regex matcher (RE2): metacharacters escaped, then the string escaping. */
const promRegexLiteral = (text: string) => promString(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));

/** The queries KEDA runs for a server; `wake` only matters for a server that may sleep. */
export function scalingQueries(server: ScaledServer): { waiting: string; running: string; tritonPending: string; wake: string } {
  // The ServiceMonitor (components/monitoring/scrape-targets.ts) labels vLLM's series with its Service's name.
  const vllm = `namespace="${promString(server.namespace)}", service="${promString(server.serverName)}"`;
  const models =
    server.models.length === 1
      ? `model="${promString(server.models[0])}"`
      : `model=~"${server.models.map(promRegexLiteral).join("|")}"`;
  return {
    waiting: `sum(${VLLM_METRICS.waiting}{${vllm}})`,
    running: `sum(${VLLM_METRICS.running}{${vllm}})`,
    // Triton's queue: requests enqueued and not yet handed to its vLLM backend (same ServiceMonitor labels).
    tritonPending: `sum(${TRITON_METRICS.pending}{${vllm}})`,
    // Any request for one of its models in the window (served, or answered by the fallback while it slept) asks for
    // one replica, never more: clamp_max keeps it from acting as a second request-rate scaler.
    wake: `clamp_max(sum(rate(${BACKEND_METRICS.localModelRequests.name}{namespace="${promString(server.namespace)}", ${models}}[${WAKE_WINDOW}])), 1)`,
  };
}

interface Trigger {
  type: "prometheus";
  name: string;
  metadata: Record<string, string>;
}

/** The ScaledObject's spec for a server whose Deployment is `serverName`. */
export function scaledObjectSpec(server: ScaledServer, settings: ScalingSettings) {
  const queries = scalingQueries(server);
  const trigger = (name: string, query: string, threshold: number, activationThreshold?: number): Trigger => ({
    type: "prometheus",
    name,
    metadata: {
      serverAddress: settings.prometheusUrl,
      query,
      // KEDA asks for ceil(value / threshold) replicas (an AverageValue metric of the HPA it creates).
      threshold: String(threshold),
      ...(activationThreshold !== undefined && { activationThreshold: String(activationThreshold) }),
    },
  });
  const triggers: Trigger[] = [];
  if (server.engine === "vllm") {
    triggers.push(trigger("queue-waiting", queries.waiting, settings.waitingRequestsPerReplica));
    triggers.push(trigger("requests-running", queries.running, settings.runningRequestsPerReplica));
  }
  if (server.engine === "triton") triggers.push(trigger("queue-pending", queries.tritonPending, settings.waitingRequestsPerReplica));
  // Active as soon as the rate is above 0: KEDA then scales 0 -> 1 itself (the HPA takes over from 1).
  if (settings.scaleToZero) triggers.push(trigger("wake-up", queries.wake, 1, 0));
  return {
    // KEDA scales any resource with the /scale subresource (keda.sh docs, concepts/scaling-deployments, "Scaling of
    // Custom Resources"); a Rollout has it. A Rollout by workloadRef has no pod template of its own, which KEDA
    // v2.20.2 tolerates (pkg/scaling/resolver/scale_resolvers.go ResolveScaleTargetPodSpec: no containers, no env to
    // resolve); these triggers read nothing from the pods' env.
    scaleTargetRef: scaleTarget(server.serverName, server.rollout === true),
    minReplicaCount: settings.min,
    maxReplicaCount: settings.max,
    pollingInterval: POLLING_SECONDS,
    // Only used on the way to zero: how long every trigger must be inactive before the last replica goes.
    cooldownPeriod: settings.idleMinutes * 60,
    // A fresh server's first start (GPU node, image, weights) must not count as idle time.
    initialCooldownPeriod: settings.initialMinutes * 60,
    advanced: {
      horizontalPodAutoscalerConfig: {
        // Reloading a model takes minutes: drop a replica only after ten quiet minutes, one at a time.
        behavior: { scaleDown: { stabilizationWindowSeconds: 600, policies: [{ type: "Pods", value: 1, periodSeconds: 300 }] } },
      },
    },
    triggers,
  };
}
