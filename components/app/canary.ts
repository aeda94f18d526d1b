/**
 * The canary of an app workload (docs/delivery.md): Argo Rollouts' canary strategy, as AppWorkload puts it in its
 * Rollout. Field names and meanings from argoproj/argo-rollouts v1.9.0 (838d4e79): pkg/apis/rollouts/v1alpha1/
 * types.go (CanaryStrategy, CanaryStep, RolloutAnalysis, ALBTrafficRouting) and docs/features/traffic-management/
 * alb.md; checked against the CRD the pinned chart installs (test/support/crd-shapes.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import type { CanaryConfig } from "../../config/delivery";
import { canaryAnalysisSpec } from "../monitoring/canary-analysis";
import { canarySteps, ROLLOUT_HASH_POD_LABEL } from "../../lib/rollout";

/** The pod label a topology spread keys on to count a Rollout's new pods among themselves. */
export const rolloutHashSpreadKey = ROLLOUT_HASH_POD_LABEL;

/** What AppWorkload needs to run its pods as a canary. */
export interface CanaryDelivery {
  /** Traffic shares (percent) in order, ending at 100. */
  weights: number[];
  /** AnalysisTemplate spec run after each step below 100 (components/monitoring/canary-analysis.ts); absent: `pause`. */
  analysis?: Record<string, unknown>;
  /** How long to wait after each step below 100 when there is no analysis. */
  pause: string;
  /** Behind the stack's ALB Ingress: the controller moves the ALB's weighted target groups instead of pod counts. */
  alb?: { ingress: string };
  /** Argo Rollouts' chart (CRDs and controller), when the stack installs it. */
  dependsOn: pulumi.Resource[];
}

interface StrategyRefs {
  port: number;
  /** The AnalysisTemplate's name, when there is one. */
  analysisTemplate?: pulumi.Input<string>;
  /** The canary and stable Services, and the root Service the Ingress sends to (with `alb`). */
  services?: { canary: pulumi.Input<string>; stable: pulumi.Input<string>; root: pulumi.Input<string> };
}

/**
 * `spec.strategy.canary`. Without traffic routing the weight is a share of the pods (the Service sends to all);
 * with the ALB, `canaryService`/`stableService` get the hash selectors and the controller writes the
 * `alb.ingress.kubernetes.io/actions.<root>` annotation the Ingress's `use-annotation` backend reads.
 */
export function canaryStrategy(canary: CanaryDelivery, refs: StrategyRefs): Record<string, unknown> {
  return {
    // As the Deployment's rolling update: never below the wanted pod count while the canary starts.
    maxSurge: "25%",
    maxUnavailable: 0,
    steps: canarySteps(canary, refs.analysisTemplate),
    ...(canary.alb &&
      refs.services && {
        canaryService: refs.services.canary,
        stableService: refs.services.stable,
        trafficRouting: { alb: { ingress: canary.alb.ingress, rootService: refs.services.root, servicePort: refs.port } },
      }),
  };
}

export interface AppCanariesArgs {
  /** Weights, analysis settings and the frontend's pause, from the stack's `delivery.canary`. */
  settings: CanaryConfig;
  /** The app namespace, whose backend series the analysis reads. */
  namespace: string;
  /** The stack's Prometheus. */
  prometheusUrl: string;
  /** The frontend's Ingress, when the stack's ALB serves it (EKS): traffic then moves on the ALB. */
  albIngress?: string;
  dependsOn: pulumi.Resource[];
}

/**
 * The backend's and the frontend's canaries. Only the backend has metrics to judge (the frontend forwards to it and
 * serves a page), so its steps wait for analysis; the frontend's wait a fixed time, and abort only when its pods
 * fail to become ready (progressDeadlineAbort) or by hand.
 */
export function appCanaries(args: AppCanariesArgs): { backend: CanaryDelivery; frontend: CanaryDelivery } {
  const { settings, dependsOn } = args;
  return {
    backend: {
      weights: settings.weights,
      pause: settings.frontendStepPause,
      analysis: canaryAnalysisSpec({ namespace: args.namespace, prometheusUrl: args.prometheusUrl, analysis: settings.analysis }),
      dependsOn,
    },
    frontend: { weights: settings.weights, pause: settings.frontendStepPause, alb: args.albIngress ? { ingress: args.albIngress } : undefined, dependsOn },
  };
}
