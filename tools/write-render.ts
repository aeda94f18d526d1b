/**
 * Writes a render to disk: one YAML file of Kubernetes objects per top-level component, `plan.json`, and with an
 * estimate `cost.json` (tools/cost/).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import { stringify } from "yaml";
import type { CostEstimate } from "./cost/estimate";
import { RenderResult } from "./render";

/** Kinds in the order `kubectl apply` would want them, so each file reads top-down. */
const KIND_ORDER = ["Namespace", "StorageClass", "PersistentVolumeClaim", "ServiceAccount", "Secret", "ConfigMap", "Job", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress"];

function kindRank(kind: unknown): number {
  const index = KIND_ORDER.indexOf(String(kind));
  return index === -1 ? KIND_ORDER.length : index;
}

/** `{file name: YAML text}` of a render: deterministic, so that two renders diff cleanly. */
export function renderFiles(result: RenderResult, cost?: CostEstimate): Record<string, string> {
  const groups = new Map<string, Record<string, unknown>[]>();
  for (const { object, group } of result.kubernetesObjects) {
    groups.set(group, [...(groups.get(group) ?? []), object]);
  }
  const files: Record<string, string> = {};
  for (const [group, objects] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...objects].sort((a, b) => kindRank(a.kind) - kindRank(b.kind) || JSON.stringify(a.metadata).localeCompare(JSON.stringify(b.metadata)));
    files[`${group}.yaml`] = sorted.map((object) => stringify(object, { lineWidth: 0 })).join("---\n");
  }
  const plan = { project: "ai-assistant", stack: result.stack, outputs: result.outputs, resources: result.resources };
  files["plan.json"] = `${JSON.stringify(plan, null, 2)}\n`;
  if (cost) files["cost.json"] = `${JSON.stringify(cost, null, 2)}\n`;
  return files;
}

/** Replaces the render in `dir` (earlier YAML files, plan.json and cost.json go; anything else stays). */
export function writeRender(result: RenderResult, dir: string, cost?: CostEstimate): string[] {
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) {
    if (name.endsWith(".yaml") || name === "plan.json" || name === "cost.json") rmSync(join(dir, name));
  }
  const files = renderFiles(result, cost);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return Object.keys(files);
}
