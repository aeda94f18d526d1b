/** A render's `plan.json`, as the diff reads it, and how its resources are named for a reviewer. */
import { existsSync, readFileSync } from "fs";
import { join } from "path";
import type { PlannedResource } from "../render";

export interface Plan {
  stack: string;
  outputs: Record<string, unknown>;
  resources: PlannedResource[];
}

export function readPlan(dir: string): Plan {
  return JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as Plan;
}

/** Another file a render wrote next to plan.json (`cost.json`), parsed; undefined when that render has none. */
export function readRenderFile<T>(dir: string, name: string): T | undefined {
  const file = join(dir, name);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as T) : undefined;
}

const STACK_TYPE = "pulumi:pulumi:Stack";

/**
 * A resource's identity across two renders of one stack: its URN without the stack and project, i.e. the chain
 * of parent types, its own type and its name. Pulumi matches old and new state the same way (by URN), so a
 * different identity is a delete and a create, whatever the inputs.
 */
export function identity(urn: string): string {
  return urn.split("::").slice(2).join("::");
}

/** `Deployment ai-assistant/backend` for a Kubernetes object; `aws:eks/cluster:Cluster cluster` otherwise. */
export function displayName(resource: PlannedResource): string {
  const inputs = resource.inputs as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  if (resource.type.startsWith("kubernetes:") && typeof inputs.kind === "string" && inputs.metadata) {
    const name = typeof inputs.metadata.name === "string" ? inputs.metadata.name : resource.name;
    const namespace = typeof inputs.metadata.namespace === "string" ? `${inputs.metadata.namespace}/` : "";
    return `${inputs.kind} ${namespace}${name}`;
  }
  return `${resource.type} ${resource.name}`;
}

/** Resources of a plan by identity, and the top-level component each belongs to. */
export class PlanIndex {
  readonly byIdentity = new Map<string, PlannedResource>();
  readonly byUrn = new Map<string, PlannedResource>();

  constructor(readonly plan: Plan) {
    for (const resource of plan.resources) {
      this.byIdentity.set(identity(resource.urn), resource);
      this.byUrn.set(resource.urn, resource);
    }
  }

  /** Name of the top-level component (`backend`, `cluster`, …) a resource belongs to. */
  component(resource: PlannedResource): string {
    let current = resource;
    for (let parent = this.byUrn.get(current.parent ?? ""); parent && parent.type !== STACK_TYPE; parent = this.byUrn.get(current.parent ?? "")) {
      current = parent;
    }
    return current.name;
  }

  /** The provider resource a resource's `provider` reference (`urn::id`) names. */
  provider(resource: PlannedResource): PlannedResource | undefined {
    if (!resource.provider) return undefined;
    return this.byUrn.get(resource.provider.split("::").slice(0, -1).join("::"));
  }

  /** Rendered Kubernetes objects of one kind, by `metadata.name`. */
  kubernetesObject(kind: string, name: string): Record<string, unknown> | undefined {
    for (const resource of this.plan.resources) {
      const inputs = resource.inputs as { kind?: unknown; metadata?: { name?: unknown } };
      if (inputs.kind === kind && inputs.metadata?.name === name) return resource.inputs;
    }
    return undefined;
  }
}
