/**
 * What the app's canaries (components/app/canary.ts) and the model servers' (components/model-servers/model-server.ts)
 * share: Argo Rollouts' names, the steps, and a Rollout that runs a Deployment's pod template (workloadRef). Field
 * names and meanings from argoproj/argo-rollouts v1.9.0 (838d4e79): pkg/apis/rollouts/v1alpha1/types.go
 * (RolloutSpec.WorkloadRef, CanaryStep, RolloutAnalysis); checked against the CRD the pinned chart installs
 * (test/support/crd-shapes.ts).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export const ROLLOUT_API_VERSION = "argoproj.io/v1alpha1";
/** The pod label Argo Rollouts puts on every pod of a ReplicaSet it makes (v1alpha1 DefaultRolloutUniqueLabelKey). */
export const ROLLOUT_HASH_POD_LABEL = "rollouts-pod-template-hash";
/** The same, as a series label (Prometheus label names take no '-'): set by the ServiceMonitors' relabeling. */
export const ROLLOUT_HASH_SERIES_LABEL = "rollouts_pod_template_hash";
/** The AnalysisTemplate's argument the Rollout fills with the canary's hash (podTemplateHashValue: Latest). */
export const CANARY_HASH_ARG = "canary-hash";

/** The steps: each weight, then analysis (or a pause) before the next; the last weight (100) promotes. */
export function canarySteps(canary: { weights: number[]; pause?: string }, analysisTemplate?: pulumi.Input<string>): Record<string, unknown>[] {
  const between = analysisTemplate
    ? {
        analysis: {
          templates: [{ templateName: analysisTemplate }],
          // The canary's ReplicaSet hash: its pods' rollouts-pod-template-hash, which their series carry.
          args: [{ name: CANARY_HASH_ARG, valueFrom: { podTemplateHashValue: "Latest" } }],
        },
      }
    : { pause: canary.pause ? { duration: canary.pause } : {} };
  return canary.weights.flatMap((weight) => (weight < 100 ? [{ setWeight: weight }, between] : [{ setWeight: weight }]));
}

export interface WorkloadRolloutArgs {
  /** Name, namespace and labels (without the version label: a new image changes the Deployment's template only). */
  metadata: Record<string, unknown>;
  /** The Rollout's replicas; undefined when an autoscaler (HPA, KEDA) sets them through the scale subresource. */
  replicas?: number;
  selector: Record<string, string>;
  /** The Deployment whose pod template the Rollout runs. */
  deployment: k8s.apps.v1.Deployment;
  /** `spec.strategy.canary`. */
  canary: Record<string, unknown>;
  /** How long a new version's pods may take to become ready before the canary aborts. */
  progressDeadlineSeconds: number;
}

/**
 * A Rollout that runs a Deployment's pod template in canary steps. The template stays in the Deployment (probes,
 * security context, policies and the offline diff read it there); a change to it starts a new canary. Argo Rollouts
 * scales the Deployment to zero once the Rollout's pods are healthy (scaleDown onsuccess).
 */
export function workloadRollout(name: string, args: WorkloadRolloutArgs, opts: pulumi.CustomResourceOptions): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(
    name,
    {
      apiVersion: ROLLOUT_API_VERSION,
      kind: "Rollout",
      metadata: args.metadata,
      spec: {
        replicas: args.replicas,
        selector: { matchLabels: args.selector },
        workloadRef: { apiVersion: "apps/v1", kind: "Deployment", name: args.deployment.metadata.name, scaleDown: "onsuccess" },
        strategy: { canary: args.canary },
        progressDeadlineSeconds: args.progressDeadlineSeconds,
        // A canary whose pods never become ready aborts, returning to stable, instead of waiting for a person.
        progressDeadlineAbort: true,
      },
    },
    opts,
  );
}

/**
 * An autoscaler's target (an HPA's or KEDA's scaleTargetRef): the Rollout when there is one, which has the scale
 * subresource a Deployment has (the v1.9.0 CRD: specReplicasPath .spec.replicas, labelSelectorPath .status.selector),
 * else the Deployment. Both carry the workload's name.
 */
export function scaleTarget<Name>(name: Name, byRollout: boolean): { apiVersion: string; kind: "Rollout" | "Deployment"; name: Name } {
  return byRollout ? { apiVersion: ROLLOUT_API_VERSION, kind: "Rollout", name } : { apiVersion: "apps/v1", kind: "Deployment", name };
}

/** An AnalysisTemplate (its spec from components/monitoring/canary-analysis.ts) that a Rollout's analysis steps name. */
export function analysisTemplate(name: string, metadata: Record<string, unknown>, spec: pulumi.Input<Record<string, unknown>>, opts: pulumi.CustomResourceOptions): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(name, { apiVersion: ROLLOUT_API_VERSION, kind: "AnalysisTemplate", metadata, spec }, opts);
}
