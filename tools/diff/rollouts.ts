/**
 * Argo Rollouts in the offline diff: a change to a canary's steps is summed up as the whole sequence before and
 * after (`10% -> analysis -> 50% -> …`), so a reviewer reads what the next rollout will do, not list indexes.
 */
import type { PlannedResource } from "../render";
import type { ChangeVerdict } from "./replacement";
import { FieldChange, isWithin } from "./fields";

type Step = { setWeight?: number; pause?: { duration?: string | number }; analysis?: { templates?: { templateName?: string }[] } };

/** One step as a reviewer says it. */
function stepText(step: Step): string {
  if (step.setWeight !== undefined) return `${step.setWeight}%`;
  if (step.analysis) return `analysis (${(step.analysis.templates ?? []).map((t) => t.templateName).join(", ")})`;
  if (step.pause) return step.pause.duration === undefined ? "pause until promoted" : `pause ${step.pause.duration}`;
  return Object.keys(step).join(", ");
}

export function canarySteps(resource: PlannedResource): string {
  const steps = ((resource.inputs.spec as { strategy?: { canary?: { steps?: Step[] } } } | undefined)?.strategy?.canary?.steps ?? []) as Step[];
  return steps.length ? steps.map(stepText).join(" -> ") : "no steps (straight to 100%)";
}

/** A note on any change inside a Rollout's canary steps: the sequence after, and before. */
export function rolloutVerdict(change: FieldChange, before: PlannedResource, after: PlannedResource): ChangeVerdict | undefined {
  if (after.type !== "kubernetes:argoproj.io/v1alpha1:Rollout" || !isWithin(change.path, ".spec.strategy.canary.steps")) return undefined;
  return { kind: "note", reason: `canary steps now ${canarySteps(after)} (were ${canarySteps(before)})` };
}
