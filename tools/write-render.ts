/**
 * Writes a render to disk: one YAML file of Kubernetes objects per top-level component, `plan.json`, and with an
 * estimate `cost.json` (tools/cost/).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
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

/** The list of files a render wrote into its folder: the only files a later render may remove. */
export const MANIFEST = ".render-manifest.json";

/** A folder the render will not write into, with the reason; printed without a stack trace. */
export class OutputFolderError extends Error {}

function writtenBefore(dir: string): string[] | undefined {
  const file = join(dir, MANIFEST);
  if (!existsSync(file)) return undefined;
  const manifest = JSON.parse(readFileSync(file, "utf8")) as { files?: unknown };
  if (!Array.isArray(manifest.files) || !manifest.files.every((f) => typeof f === "string" && !f.includes("/") && !f.includes("\\"))) {
    throw new OutputFolderError(`${file} is not a render manifest; remove it, or choose another --out folder.`);
  }
  return manifest.files as string[];
}

/**
 * Replaces the render in `dir`. It never deletes a file it did not write: a folder it wrote before holds a
 * manifest of those files, and only they are removed; any other non-empty folder is refused (`--out .` would
 * otherwise replace the stack files), and so is a render file name already taken by a file it did not write.
 */
export function writeRender(result: RenderResult, dir: string, cost?: CostEstimate): string[] {
  const files = renderFiles(result, cost);
  const existing = existsSync(dir) ? readdirSync(dir) : [];
  const previous = existing.length > 0 ? writtenBefore(dir) : [];
  if (previous === undefined) {
    throw new OutputFolderError(`Not rendering into ${dir}: it holds files the render did not write (there is no ${MANIFEST}). Choose an empty or new --out folder.`);
  }
  const foreign = Object.keys(files).filter((name) => existing.includes(name) && !previous.includes(name));
  if (foreign.length > 0) {
    throw new OutputFolderError(`Not rendering into ${dir}: ${foreign.join(", ")} would replace files the render did not write.`);
  }
  mkdirSync(dir, { recursive: true });
  for (const name of previous) rmSync(join(dir, name), { force: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, MANIFEST), `${JSON.stringify({ files: Object.keys(files) }, null, 2)}\n`);
  return Object.keys(files);
}
