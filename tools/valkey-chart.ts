/**
 * `npm run valkey-chart -- [--helm <path>] [--chart <dir>]`: renders the valkey-io chart with the values the prod
 * stack gives its release, with Helm itself, into test/fixtures/valkey-chart/prod.yaml, the file the chart's pods
 * are checked in (test/components/shared-state/valkey-chart.test.ts). The offline render runs no Helm, so this is
 * how the chart's own objects (Deployment, Services, ConfigMaps) are seen by the tests; the file records a digest of
 * the values, and the test fails when the values change until this is run again.
 *
 * `--chart` is a local copy of the chart (`valkey/` of valkey-io/valkey-helm at the pinned release tag); without it,
 * Helm fetches the pinned version from the chart repository.
 */
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import { parseArgs } from "util";
import { parse } from "yaml";
import { VALKEY_CHART } from "../config/shared-state";
import { render, RenderResult } from "./render";
import { readStackFile } from "./stack-file";

const PROJECT_DIR = resolve(__dirname, "..");
export const VALKEY_CHART_FIXTURE = join(PROJECT_DIR, "test", "fixtures", "valkey-chart", "prod.yaml");
const DIGEST_LINE = /^# values-sha256: ([0-9a-f]{64})$/m;

/** JSON with keys in order at every level, so that equal values always hash alike. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The Valkey release of a render: its name, namespace and values. */
export function valkeyRelease(result: RenderResult): { name: string; namespace: string; values: Record<string, unknown> } {
  const release = result.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.name === "valkey");
  if (!release) throw new Error("the render has no Valkey release");
  return { name: String(release.inputs.name), namespace: String(release.inputs.namespace), values: release.inputs.values as Record<string, unknown> };
}

export function valuesDigest(values: unknown): string {
  return createHash("sha256").update(canonical(values)).digest("hex");
}

/** The digest of the values a fixture was rendered from, from its header. */
export function fixtureDigest(text: string): string | undefined {
  return DIGEST_LINE.exec(text)?.[1];
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({ args: process.argv.slice(2), options: { helm: { type: "string" }, chart: { type: "string" } } });
  const helm = args.helm ?? "helm";
  const stack = "prod";
  const { config, secretKeys, placeholders } = readStackFile(join(PROJECT_DIR, `Pulumi.${stack}.yaml`), stack);
  const result = await render({ stack, config, secretKeys, placeholders, runProgram: () => require(join(PROJECT_DIR, "index")) });
  const release = valkeyRelease(result);
  if (args.chart) {
    const chart = parse(readFileSync(join(args.chart, "Chart.yaml"), "utf8")) as { name: string; version: string };
    if (chart.name !== VALKEY_CHART.chart || chart.version !== VALKEY_CHART.version) {
      throw new Error(`${args.chart} is ${chart.name} ${chart.version}, not the pinned ${VALKEY_CHART.chart} ${VALKEY_CHART.version}`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), "valkey-chart-"));
  try {
    const valuesFile = join(dir, "values.json");
    writeFileSync(valuesFile, JSON.stringify(release.values, null, 2));
    const source = args.chart ? [resolve(args.chart)] : [VALKEY_CHART.chart, "--repo", VALKEY_CHART.repo, "--version", VALKEY_CHART.version];
    const rendered = execFileSync(helm, ["template", release.name, ...source, "--namespace", release.namespace, "--values", valuesFile], { encoding: "utf8" });
    const header = [
      `# ${VALKEY_CHART.chart} ${VALKEY_CHART.version} rendered by \`helm template\` with the prod stack's release values, from ${args.chart ? "a local copy of the chart (valkey/ at the release tag)" : VALKEY_CHART.repo}.`,
      "# Made by `npm run valkey-chart`; do not edit. Checked by test/components/shared-state/valkey-chart.test.ts.",
      `# values-sha256: ${valuesDigest(release.values)}`,
    ].join("\n");
    writeFileSync(VALKEY_CHART_FIXTURE, `${header}\n${rendered}`);
    console.log(`wrote ${VALKEY_CHART_FIXTURE}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  });
}
