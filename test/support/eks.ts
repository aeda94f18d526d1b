/** Reading an EKS render: plan entries by type, their children, and the IAM policies each role ends up with. */
import type { PlannedResource, RenderResult } from "../../tools/render";

/** Every planned resource of `type` (and `name`, when given). */
export function planned(result: RenderResult, type: string, name?: string): PlannedResource[] {
  return result.resources.filter((r) => r.type === type && (name === undefined || r.name === name));
}

/** The one planned resource of `type` named `name`. */
export function plannedOne(result: RenderResult, type: string, name: string): PlannedResource {
  const found = planned(result, type, name);
  if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
  return found[0];
}

/** Managed policy ARNs attached to each IAM role, keyed by the role's resource name. */
export function managedPoliciesByRole(result: RenderResult): Record<string, string[]> {
  const roles = planned(result, "aws:iam/role:Role");
  return Object.fromEntries(
    roles.map((role) => {
      const parent = result.resources.find((r) => r.urn === role.parent)!;
      const arns = planned(result, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        .filter((attachment) => attachment.parent === parent.urn)
        .map((attachment) => String(attachment.inputs.policyArn))
        .sort();
      return [role.name, arns];
    }),
  );
}
