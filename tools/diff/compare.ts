/** The semantic diff of one stack: two plans in, resources added, removed and changed (with their risks) out. */
import type { PlannedResource } from "../render";
import { diffValues, FieldChange } from "./fields";
import { displayName, Plan, PlanIndex } from "./plan";
import { statefulReason, verdictFor } from "./replacement";

export type RiskKind = "replace" | "refused" | "stateful-delete" | "protection-dropped";

/** Something a reviewer must not miss. */
export interface Risk {
  kind: RiskKind;
  message: string;
}

export interface FieldDiff extends FieldChange {
  /** Set when this field makes the provider replace the object, the API refuse it, or needs a word. */
  verdict?: { kind: "replace" | "refused" | "note"; reason: string };
}

export interface ResourceDiff {
  change: "add" | "remove" | "update" | "replace";
  /** How a reviewer knows it: `Deployment ai-assistant/backend`, `aws:eks/cluster:Cluster cluster`. */
  name: string;
  type: string;
  /** The top-level component (`backend`, `cluster`); the file the render writes its Kubernetes objects to. */
  component: string;
  fields: FieldDiff[];
  risks: Risk[];
  /** A Helm chart: its name and version on each side (its own objects are not rendered offline). */
  chart?: { name: string; before?: string; after?: string };
}

export interface StackDiff {
  stack: string;
  /** `added` / `removed`: the stack file exists on one side only. */
  status: "unchanged" | "changed" | "added" | "removed";
  resources: ResourceDiff[];
  outputs: FieldChange[];
  /** Helm charts in the head render (or base, for a removed stack), whose objects the diff cannot show. */
  charts: { name: string; version?: string }[];
  /** Extra lines from other render files (the monthly cost delta); see `sections.ts`. */
  notes: string[];
}

const OPTION_KEYS = ["retainOnDelete", "protect"] as const;
/** What the URN already says, and the inputs (compared on their own). */
const IDENTITY_FIELDS = ["type", "name", "urn", "parent", "custom", "inputs"];
const HELM_TYPES = ["kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Chart", "kubernetes:helm.sh/v3:Release"];

function chartOf(resource: PlannedResource | undefined): { name: string; version?: string } | undefined {
  if (!resource || !HELM_TYPES.includes(resource.type)) return undefined;
  const inputs = resource.inputs as { chart?: string; version?: string; name?: string };
  return { name: inputs.chart ?? inputs.name ?? resource.name, version: inputs.version };
}

function deletionRisks(resource: PlannedResource, why: string): Risk[] {
  const reason = statefulReason(resource);
  if (!reason) return [];
  if (resource.retainOnDelete) return [];
  return [{ kind: "stateful-delete", message: `${why} ${displayName(resource)}: ${reason}` }];
}

function optionRisks(before: PlannedResource, after: PlannedResource): Risk[] {
  return OPTION_KEYS.filter((key) => before[key] && !after[key]).map((key) => ({
    kind: "protection-dropped" as const,
    message:
      key === "protect"
        ? `protect dropped from ${displayName(after)}: Pulumi would now delete it when asked to`
        : `retainOnDelete dropped from ${displayName(after)}: a delete or destroy now removes it from the ${after.type.startsWith("aws:") ? "account" : "cluster"}`,
  }));
}

/** pulumi-kubernetes deletes a named object before creating its replacement (provider.go, `deleteBeforeReplace`). */
function deletedFirst(resource: PlannedResource): boolean {
  const metadata = (resource.inputs as { metadata?: { name?: unknown } }).metadata;
  return resource.type.startsWith("kubernetes:") && typeof metadata?.name === "string";
}

/**
 * The dependencies of `resource` on resources both plans hold: a dependency on something created or deleted in the
 * same diff is that resource's own line (a promoted image drops the Deployment's dependency on the image build).
 */
function sharedDependencies(resource: PlannedResource, base: PlanIndex, head: PlanIndex): string[] | undefined {
  const shared = resource.dependencies?.filter((urn) => base.byUrn.has(urn) && head.byUrn.has(urn));
  return shared && shared.length > 0 ? shared : undefined;
}

function compareResource(before: PlannedResource, after: PlannedResource, head: PlanIndex, base: PlanIndex): ResourceDiff | undefined {
  const fields: FieldDiff[] = diffValues(before.inputs, after.inputs).map((change) => {
    const verdict = verdictFor(change, before, after, head);
    return verdict ? { ...change, verdict } : change;
  });
  // Resource options the plan records (retainOnDelete, protect, provider, and whatever a render adds later, such as
  // customTimeouts), as `(options).<name>`; identity fields are the URN's and never differ here.
  const optionKeys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((key) => !IDENTITY_FIELDS.includes(key)).sort();
  for (const key of optionKeys) {
    const [a, b] =
      key === "dependencies"
        ? [sharedDependencies(before, base, head), sharedDependencies(after, base, head)]
        : [(before as unknown as Record<string, unknown>)[key], (after as unknown as Record<string, unknown>)[key]];
    const flag = (OPTION_KEYS as readonly string[]).includes(key);
    if (flag ? Boolean(a) !== Boolean(b) : JSON.stringify(a) !== JSON.stringify(b)) {
      fields.push(...diffValues(flag ? (a ?? false) : a, flag ? (b ?? false) : b, ["(options)", key]));
    }
  }
  if (fields.length === 0) return undefined;
  const replaced = fields.some((field) => field.verdict?.kind === "replace");
  const risks: Risk[] = [
    ...fields
      .filter((f) => f.verdict?.kind === "replace")
      .map((f) => ({ kind: "replace" as const, message: `${displayName(after)} is replaced: ${f.verdict!.reason}${deletedFirst(after) ? "; being named, it is deleted before its replacement is created" : ""}` })),
    ...fields.filter((f) => f.verdict?.kind === "refused").map((f) => ({ kind: "refused" as const, message: `${displayName(after)}: ${f.verdict!.reason}` })),
    ...(replaced ? deletionRisks(before, "replacing") : []),
    ...optionRisks(before, after),
  ];
  const [chartBefore, chartAfter] = [chartOf(before), chartOf(after)];
  return {
    change: replaced ? "replace" : "update",
    name: displayName(after),
    type: after.type,
    component: head.component(after),
    fields,
    risks,
    ...(chartAfter && { chart: { name: chartAfter.name, before: chartBefore?.version, after: chartAfter.version } }),
  };
}

/** Compares two renders of one stack; either may be missing (a stack added or removed by the change). */
export function compareStack(stack: string, basePlan: Plan | undefined, headPlan: Plan | undefined): StackDiff {
  const empty: Plan = { stack, outputs: {}, resources: [] };
  const base = new PlanIndex(basePlan ?? empty);
  const head = new PlanIndex(headPlan ?? empty);
  const resources: ResourceDiff[] = [];
  for (const [id, after] of head.byIdentity) {
    const before = base.byIdentity.get(id);
    if (!before) {
      const chart = chartOf(after);
      resources.push({ change: "add", name: displayName(after), type: after.type, component: head.component(after), fields: [], risks: [], ...(chart && { chart: { name: chart.name, after: chart.version } }) });
      continue;
    }
    const diff = compareResource(before, after, head, base);
    if (diff) resources.push(diff);
  }
  for (const [id, before] of base.byIdentity) {
    if (head.byIdentity.has(id)) continue;
    const chart = chartOf(before);
    resources.push({
      change: "remove",
      name: displayName(before),
      type: before.type,
      component: base.component(before),
      fields: [],
      risks: deletionRisks(before, "deleting"),
      ...(chart && { chart: { name: chart.name, before: chart.version } }),
    });
  }
  const order = { remove: 0, replace: 1, update: 2, add: 3 };
  resources.sort((a, b) => a.component.localeCompare(b.component) || order[a.change] - order[b.change] || a.name.localeCompare(b.name));
  const outputs = diffValues(base.plan.outputs, head.plan.outputs);
  const status = !basePlan ? "added" : !headPlan ? "removed" : resources.length || outputs.length ? "changed" : "unchanged";
  const chartSource = headPlan ? head : base;
  const charts = chartSource.plan.resources.map(chartOf).filter((c): c is { name: string; version?: string } => c !== undefined);
  return { stack, status, resources, outputs, charts, notes: [] };
}
