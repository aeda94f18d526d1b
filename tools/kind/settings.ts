import { readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";
import { KindError } from "./shell";

/** What the kind script needs to know, all of it read from `Pulumi.dev.yaml` so that the stack and the script agree. */
export interface KindSettings {
  stack: string;
  /** kind's cluster name: the stack's `cluster.context` without kind's `kind-` prefix. */
  clusterName: string;
  context: string;
  /** The port of `cluster.registry.server` (`localhost:<port>`). */
  registryPort: number;
  /** The app namespace (`ai-assistant:namespace`), where the Deployments roll out. */
  namespace: string;
}

export const REGISTRY_CONTAINER = "kind-registry";
/** The registry image kind's guide runs (site/static/examples/kind-with-registry.sh). */
export const REGISTRY_IMAGE = "registry:3";

export function readKindSettings(projectDir: string, stack: string): KindSettings {
  const file = `Pulumi.${stack}.yaml`;
  let config: Record<string, unknown>;
  try {
    config = (parse(readFileSync(join(projectDir, file), "utf8"))?.config ?? {}) as Record<string, unknown>;
  } catch (error) {
    throw new KindError(`cannot read ${file} in ${projectDir}: ${(error as Error).message}`);
  }
  const cluster = (config["ai-assistant:cluster"] ?? {}) as { type?: string; context?: string; registry?: { server?: string } };
  const context = cluster.context ?? "";
  if (cluster.type !== "kubeconfig" || !context.startsWith("kind-")) {
    throw new KindError(`${file}: expected ai-assistant:cluster.type kubeconfig with a kind context (kind-<name>), found ${cluster.type ?? "no type"} with context ${context || "(none)"}`);
  }
  const server = cluster.registry?.server ?? "";
  const port = /^localhost:(\d+)$/.exec(server)?.[1];
  if (!port) throw new KindError(`${file}: expected ai-assistant:cluster.registry.server localhost:<port> (kind's local registry), found ${server || "none"}`);
  const namespace = typeof config["ai-assistant:namespace"] === "string" ? (config["ai-assistant:namespace"] as string) : "ai-assistant";
  return { stack, clusterName: context.slice("kind-".length), context, registryPort: Number(port), namespace };
}
