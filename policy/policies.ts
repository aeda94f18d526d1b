/** The rules as Pulumi stack policies: what `index.ts` puts in the pack, kept apart so that tests can call them. */
import { StackValidationPolicy } from "@pulumi/policy";
import { detectProduction, ProjectRule, StackResource } from "./resources";
import { RULES } from "./rules";

export function stackPolicy(rule: ProjectRule): StackValidationPolicy {
  return {
    name: rule.name,
    description: rule.description,
    enforcementLevel: "mandatory",
    configSchema: { properties: { production: { type: "boolean", description: "Apply the production rules whatever the stack says about itself." } } },
    validateStack: (args, reportViolation) => {
      const resources: StackResource[] = args.resources.map(({ type, name, urn, props }) => ({ type, name, urn, props }));
      const production = args.getConfig<{ production?: boolean }>().production ?? detectProduction(resources);
      for (const { message, urn } of rule.validate(resources, { production })) reportViolation(message, urn);
    },
  };
}

export const POLICIES: StackValidationPolicy[] = RULES.map(stackPolicy);
