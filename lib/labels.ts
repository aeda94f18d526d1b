/** The recommended `app.kubernetes.io/*` labels, built in one place so that selectors and dashboards agree. */

export const PART_OF = "ai-assistant";

/** Labels of what a stack owns that is not a workload (namespaces, shared settings): which stack, and who manages it. */
export function stackLabels(stack: string): Record<string, string> {
  return {
    "app.kubernetes.io/part-of": PART_OF,
    "app.kubernetes.io/instance": `${PART_OF}-${stack}`,
    "app.kubernetes.io/managed-by": "pulumi",
  };
}

/** Identity of one workload of one stack. */
export interface WorkloadIdentity {
  /** What it is: frontend, backend, model-server. */
  component: string;
  /** Stack name; several stacks may share a cluster. */
  stack: string;
  /** Version shown in `app.kubernetes.io/version`, usually the image tag. */
  version?: string;
}

/** Labels that never change over a workload's life: safe for immutable Deployment selectors. */
export function selectorLabels(id: WorkloadIdentity): Record<string, string> {
  return {
    "app.kubernetes.io/name": id.component,
    "app.kubernetes.io/instance": `${PART_OF}-${id.stack}`,
  };
}

/**
 * The recommended label set for a workload's objects, without a version: a Service, ConfigMap or policy does not
 * run the image, and a version label on them would update every one of them (a diff full of noise) whenever the
 * image moves, as when prod goes from its own builds to promoted digests.
 */
export function recommendedLabels(id: WorkloadIdentity): Record<string, string> {
  return {
    ...selectorLabels(id),
    "app.kubernetes.io/component": id.component,
    "app.kubernetes.io/part-of": PART_OF,
    "app.kubernetes.io/managed-by": "pulumi",
  };
}

/**
 * Labels of what runs the image (a Deployment and its pod template): the recommended set plus
 * `app.kubernetes.io/version`, which changes only together with the image it names.
 */
export function runningLabels(id: WorkloadIdentity): Record<string, string> {
  return { ...recommendedLabels(id), ...(id.version && { "app.kubernetes.io/version": labelValue(id.version) }) };
}

/** Label values are at most 63 characters of [A-Za-z0-9._-]; a digest or long tag is cut to fit. */
function labelValue(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 63).replace(/[^A-Za-z0-9]+$/, "");
}
