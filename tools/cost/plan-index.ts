/** Look-ups over a rendered plan that pricers share: resources by type, Kubernetes objects by kind, storage classes. */
import type { PlannedResource } from "../render";

export type Inputs = Record<string, unknown>;

/** A Kubernetes object as the plan records it (its inputs). */
export interface KubernetesObject {
  kind: string;
  metadata: { name?: string; namespace?: string; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export class PlanIndex {
  constructor(public readonly resources: PlannedResource[]) {}

  ofType(type: string): PlannedResource[] {
    return this.resources.filter((resource) => resource.type === type);
  }

  objectsOfKind(kind: string): KubernetesObject[] {
    return this.resources
      .filter((resource) => resource.type.startsWith("kubernetes:") && (resource.inputs as Inputs).kind === kind)
      .map((resource) => resource.inputs as KubernetesObject);
  }

  /** The StorageClass named `name`, or the one marked default when `name` is absent. */
  storageClass(name: string | undefined): KubernetesObject | undefined {
    const classes = this.objectsOfKind("StorageClass");
    if (name !== undefined) return classes.find((object) => object.metadata.name === name);
    return classes.find((object) => object.metadata.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true");
  }

  /** The resource an input refers to by the ID the offline render gives it (`<name>-id`) or by its physical name. */
  referenced(type: string, reference: { id?: unknown; name?: unknown }): PlannedResource | undefined {
    return this.ofType(type).find((resource) => reference.id === `${resource.name}-id` || (reference.name !== undefined && reference.name === resource.inputs.name));
  }
}

/** `Kind namespace/name`, how a Kubernetes object is named in cost items. */
export function objectName(object: KubernetesObject): string {
  const { namespace, name } = object.metadata;
  return `${object.kind} ${namespace ? `${namespace}/` : ""}${name ?? "?"}`;
}
