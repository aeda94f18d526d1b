/**
 * The digests a promotion carries: dev's `imageDigests` stack output (`repository@sha256:…` per workload), as
 * `pulumi stack output --json` prints it, or as the release workflow publishes it (the same JSON shape).
 */
import { isRepository } from "../../config/image";

/** A refusal: one line that says what is wrong with the input; printed without a stack trace. */
export class PromoteError extends Error {}

/** Workloads whose image a stack file sets (`ai-assistant:<workload>.image`). */
export const WORKLOADS = ["frontend", "backend"] as const;
export type Workload = (typeof WORKLOADS)[number];

const DIGEST_REFERENCE = /^(.+)@(sha256:[0-9a-f]{64})$/;

/** Registries only the machine that pushed can reach: a production cluster cannot pull from them. */
const LOCAL_REGISTRY = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\]|kind-registry|registry\.localhost)(:\d+)?\//;

export interface Digests {
  references: Partial<Record<Workload, string>>;
  /** Workloads whose image lives in a registry only dev's machine reaches (a kind cluster's local registry). */
  local: Workload[];
}

/** Validates the stack outputs of `from`; every refusal is one line naming the output and what was found. */
export function digestsFrom(outputs: unknown, from: string): Digests {
  const digests = (outputs as { imageDigests?: unknown } | null)?.imageDigests;
  if (typeof digests !== "object" || digests === null || Array.isArray(digests) || Object.keys(digests).length === 0) {
    throw new PromoteError(
      `${from}'s stack outputs have no image digests (imageDigests is ${JSON.stringify(digests ?? null)}): ${from} must run pushed builds or digest-pinned images to promote them`,
    );
  }
  const references: Partial<Record<Workload, string>> = {};
  const local: Workload[] = [];
  for (const [workload, reference] of Object.entries(digests)) {
    if (!(WORKLOADS as readonly string[]).includes(workload)) {
      throw new PromoteError(`${from}'s imageDigests.${workload} names no workload of this program (expected ${WORKLOADS.join(" or ")})`);
    }
    const match = typeof reference === "string" ? DIGEST_REFERENCE.exec(reference) : null;
    if (!match || !isRepository(match[1])) {
      throw new PromoteError(`${from}'s imageDigests.${workload} is not repository@sha256:<64 hex digits>: found ${JSON.stringify(reference)}`);
    }
    references[workload as Workload] = reference as string;
    if (LOCAL_REGISTRY.test(reference as string)) local.push(workload as Workload);
  }
  return { references, local };
}
