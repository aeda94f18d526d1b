/**
 * ARNs in config must name a real account and a real resource: an example from AWS's documentation or a template
 * left as it was passes a format check, and then fails only at `pulumi up` in a way that names nothing (an ALB
 * that never gets a listener, an access entry for nobody), after the cluster has been made.
 */
import { z } from "zod";

/**
 * Account IDs AWS's documentation uses in examples (IAM, ACM and EKS user guides); none is anyone's account.
 * The all-zero ID is refused by {@link isPlaceholderId} below.
 */
export const EXAMPLE_ACCOUNT_IDS: readonly string[] = ["123456789012", "111122223333", "444455556666", "777788889999", "210987654321"];

/**
 * A hex ID (digits and dashes only: account IDs, certificate UUIDs) with no more than two non-zero digits: `0000…`,
 * or the nil UUID with only its version bits (`…-4000-8000-…`). Names (`role/admin`) are never placeholders here.
 */
export function isPlaceholderId(id: string): boolean {
  if (!/^[0-9a-f-]+$/i.test(id)) return false;
  const digits = id.replace(/-/g, "");
  return digits.length > 0 && digits.replace(/0/g, "").length <= 2;
}

/** Why `arn` is a placeholder rather than a real resource, or undefined when it looks real. */
export function placeholderArnProblem(arn: string): string | undefined {
  const parts = arn.split(":");
  if (parts.length < 6) return undefined;
  const account = parts[4];
  if (EXAMPLE_ACCOUNT_IDS.includes(account)) return `account ${account} is an example from AWS's documentation`;
  if (account !== "" && isPlaceholderId(account)) return `account ${account} is all zeros`;
  const resourceId = parts.slice(5).join(":").split("/").pop() ?? "";
  if (isPlaceholderId(resourceId)) return `the ID ${resourceId} is all zeros`;
  return undefined;
}

/** `format` (an ARN schema) that also refuses example accounts and all-zero IDs, with the reason in its message. */
export function realArn(format: z.ZodString, what: string) {
  return format.superRefine((arn, ctx) => {
    const problem = placeholderArnProblem(arn);
    if (problem) ctx.addIssue({ code: "custom", message: `expected the ARN of your own ${what}: ${problem}`, input: arn });
  });
}
