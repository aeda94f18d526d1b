/**
 * The diff as a reviewer reads it in a pull-request comment: per stack, its risks first, then per component each
 * resource added, removed or changed with its field paths before -> after. Values are as the render wrote them, so
 * secrets read `[secret]`.
 */
import { formatPath } from "./fields";
import { ResourceDiff, StackDiff } from "./compare";

/** Long values (dashboards, policies) are cut: the full diff is in the JSON format and the renders. */
const MAX_VALUE = 160;

export function formatValue(value: unknown): string {
  if (value === undefined) return "(unset)";
  // JSON, on one line: strings quoted, so "" and (unset) read apart; backticks would end the code span.
  const single = JSON.stringify(value).replace(/`/g, "'");
  return single.length > MAX_VALUE ? `${single.slice(0, MAX_VALUE - 1)}… (${single.length} chars)` : single;
}

const CHANGE_LABEL: Record<ResourceDiff["change"], string> = { add: "+ create", remove: "- delete", update: "~ update", replace: "+- replace" };

function resourceLines(resource: ResourceDiff): string[] {
  const chart = resource.chart;
  const version = chart ? ` (chart ${chart.name} ${chart.before && chart.after && chart.before !== chart.after ? `${chart.before} -> ${chart.after}` : (chart.after ?? chart.before ?? "")})` : "";
  const lines = [`- **${CHANGE_LABEL[resource.change]}** \`${resource.name}\`${version}`];
  for (const field of resource.fields) {
    const verdict = field.verdict ? ` — ${field.verdict.kind === "note" ? "" : `**${field.verdict.kind}**: `}${field.verdict.reason}` : "";
    lines.push(`  - \`${formatPath(field.path)}\`: \`${formatValue(field.before)}\` -> \`${formatValue(field.after)}\`${verdict}`);
  }
  return lines;
}

const RISK_ICON = { replace: "⚠️ replace", refused: "⛔ refused", "stateful-delete": "⚠️ data", "protection-dropped": "⚠️ protection" };

/** One stack's section. */
export function stackMarkdown(diff: StackDiff): string {
  const title = `### Stack \`${diff.stack}\``;
  if (diff.status === "unchanged") {
    return [`${title}: no changes`, ...diff.notes.map((note) => `- ${note}`)].join("\n");
  }
  const counts = (["add", "update", "replace", "remove"] as const)
    .map((change) => [change, diff.resources.filter((r) => r.change === change).length] as const)
    .filter(([, n]) => n > 0)
    .map(([change, n]) => `${n} to ${change === "add" ? "create" : change === "remove" ? "delete" : change}`);
  const status = diff.status === "added" ? " (new stack)" : diff.status === "removed" ? " (stack file removed)" : "";
  const lines = [`${title}${status}: ${counts.join(", ") || "outputs only"}`, ""];
  for (const note of diff.notes) lines.push(`- ${note}`);
  const risks = diff.resources.flatMap((r) => r.risks);
  if (risks.length > 0) lines.push("", "**Needs attention:**", ...risks.map((risk) => `- ${RISK_ICON[risk.kind]}: ${risk.message}`));
  const components = [...new Set(diff.resources.map((r) => r.component))];
  for (const component of components) {
    lines.push("", `#### ${component}`, ...diff.resources.filter((r) => r.component === component).flatMap(resourceLines));
  }
  if (diff.outputs.length > 0) {
    lines.push("", "#### stack outputs", ...diff.outputs.map((o) => `- \`${formatPath(o.path)}\`: \`${formatValue(o.before)}\` -> \`${formatValue(o.after)}\``));
  }
  const touched = diff.resources.filter((r) => r.chart);
  if (touched.length > 0 || diff.charts.length > 0) {
    const charts = diff.charts.map((c) => `${c.name} ${c.version ?? ""}`.trim()).join(", ");
    lines.push("", `Helm charts are not expanded offline: the objects of ${charts || "the charts above"} are not shown (a real \`pulumi preview\` shows them); their version and values are.`);
  }
  return lines.join("\n").replace(/\n{3,}/g, "\n\n");
}

export const HEADER = "## Offline diff of every stack";

/** The whole diff of a set of stacks; `title` and `intro` say what was compared with what. */
export function diffMarkdown(diffs: StackDiff[], base: string, text: { title?: string; intro?: string } = {}): string {
  if (diffs.every((d) => d.status === "unchanged" && d.notes.length === 0)) return `no changes (against ${base})`;
  const intro = text.intro ?? `Rendered offline at \`${base}\` and at this change (no cloud, no cluster); secrets are masked and cannot be compared.`;
  return [text.title ?? HEADER, "", intro, "", ...diffs.map(stackMarkdown).flatMap((s) => [s, ""])].join("\n").trimEnd();
}
