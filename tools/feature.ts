/**
 * `npm run feature -- --stack <stack> --feature <flag> --percentage <0-100> [--model <name>] [--dry-run] [--verbose]`
 * `npm run feature -- --stack <stack> --feature <flag> --rollback [--dry-run] [--verbose]`
 *
 * Rolls a feature flag (docs/feature-flags.md) out to a share of callers by editing `features.<flag>` in
 * `Pulumi.<stack>.yaml` through the `yaml` document API (comments and layout kept, as `promote` does), after rendering
 * the stack offline before and after the edit: an edit that does not render (a model the stack does not serve) is
 * refused and nothing is written. It prints what changes and the diff of the stack. `--rollback` puts back the flag's
 * previous state: the value it had in the last committed version of the stack file where it differed from now (git
 * history is the record; there is no side file). `--dry-run` prints the same and writes nothing. Unknown flags, and
 * percentages that are not whole numbers from 0 to 100, are refused in one line.
 */
import { spawnSync } from "child_process";
import { existsSync, readFileSync, writeFileSync } from "fs";
import { join, resolve } from "path";
import { parseArgs } from "util";
import { isMap, isScalar, parse } from "yaml";
import { diffOfStackEdit } from "./diff/stack-edit";
import { AS_WRITTEN, editableStackFile, projectKey } from "./promote/stack-file-edit";
import { FEATURES, FeatureName, FeatureRollout, flagdDocument } from "../lib/feature-flags";

const USAGE =
  "usage: npm run feature -- --stack <stack> --feature <flag> (--percentage <0-100> [--model <name>] | --rollback) [--dry-run] [--verbose]\n" +
  `  flags: ${FEATURES.join(", ")}`;

/** A refusal or failure, printed as its one line (no stack trace). */
export class FeatureError extends Error {}

export interface FeatureOptions {
  stack: string;
  feature: FeatureName;
  /** Set the share; absent with `rollback`. */
  percentage?: number;
  /** The `model` flag's model (kept from the file when not given). */
  model?: string;
  rollback: boolean;
  dryRun: boolean;
  verbose: boolean;
}

/** The command line, checked: one line for each thing wrong with it. */
export function featureOptions(args: string[]): FeatureOptions | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        stack: { type: "string" },
        feature: { type: "string" },
        percentage: { type: "string" },
        model: { type: "string" },
        rollback: { type: "boolean", default: false },
        "dry-run": { type: "boolean", default: false },
        verbose: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    throw new FeatureError(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) return undefined;
  const problems: string[] = [];
  if (!values.stack) problems.push("--stack is required");
  if (!values.feature) problems.push("--feature is required");
  else if (!(FEATURES as readonly string[]).includes(values.feature)) problems.push(`unknown flag ${JSON.stringify(values.feature)}: expected one of ${FEATURES.join(", ")}`);
  let percentage: number | undefined;
  if (values.percentage !== undefined) {
    percentage = /^\d{1,3}$/.test(values.percentage) ? Number(values.percentage) : NaN;
    if (!(percentage >= 0 && percentage <= 100)) problems.push(`--percentage must be a whole number from 0 to 100, found ${JSON.stringify(values.percentage)}`);
  }
  if (values.rollback && (values.percentage !== undefined || values.model !== undefined)) problems.push("--rollback takes no --percentage or --model: it puts back the flag's previous state");
  if (!values.rollback && values.percentage === undefined) problems.push("--percentage (or --rollback) is required");
  if (values.model !== undefined && values.feature !== "model") problems.push("--model goes with --feature model only");
  if (problems.length > 0) throw new FeatureError(problems.join("\n"));
  return {
    stack: values.stack!,
    feature: values.feature as FeatureName,
    percentage,
    model: values.model,
    rollback: values.rollback,
    dryRun: values["dry-run"],
    verbose: values.verbose,
  };
}

/** A flag's value in a stack file's text (undefined: not rolled out, the stack's own setting for everyone). */
export function flagIn(text: string, feature: FeatureName): FeatureRollout | undefined {
  const config = (parse(text) as { config?: Record<string, unknown> } | null)?.config ?? {};
  const features = (config["ai-assistant:features"] ?? config.features) as Record<string, FeatureRollout> | undefined;
  return typeof features === "object" && features !== null ? features[feature] : undefined;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** How a flag's state reads in a message. */
export function describeRollout(feature: FeatureName, rollout: FeatureRollout | undefined): string {
  if (rollout === undefined) return feature === "model" ? "not rolled out (every request keeps its model)" : "not rolled out (on wherever the stack turns it on)";
  return feature === "model" ? `${rollout.percentage}% to ${rollout.model}` : `${rollout.percentage}%`;
}

/** git, run in the project; throws a one-line FeatureError when it fails. */
function git(projectDir: string, args: string[]): string {
  const run = spawnSync("git", args, { cwd: projectDir, encoding: "utf8" });
  if (run.error || run.status !== 0) throw new FeatureError(`git ${args.join(" ")} failed: ${(run.stderr || run.error?.message || "").trim().split("\n")[0]}`);
  return run.stdout;
}

/**
 * The flag's previous state: its value in the newest committed version of the file where it differs from `current`,
 * with that commit. Throws when every committed version has it as it is now.
 */
export function previousRollout(projectDir: string, fileName: string, feature: FeatureName, current: FeatureRollout | undefined): { rollout: FeatureRollout | undefined; commit: string; subject: string } {
  const commits = git(projectDir, ["log", "--format=%H %s", "--", fileName]).split("\n").filter(Boolean);
  for (const line of commits) {
    const [commit, ...subject] = line.split(" ");
    const shown = spawnSync("git", ["show", `${commit}:./${fileName}`], { cwd: projectDir, encoding: "utf8" });
    // A commit that deleted the file has no version of it to return to.
    if (shown.status !== 0) continue;
    let rollout: FeatureRollout | undefined;
    try {
      rollout = flagIn(shown.stdout, feature);
    } catch {
      continue;
    }
    if (!same(rollout, current)) return { rollout, commit, subject: subject.join(" ") };
  }
  throw new FeatureError(`features.${feature} is ${describeRollout(feature, current)} in every committed version of ${fileName}: there is no earlier state to roll back to`);
}

/** The file's text with `features.<feature>` set to `rollout` (removed when undefined), values edited in place. */
export function withRollout(text: string, fileName: string, feature: FeatureName, rollout: FeatureRollout | undefined): string {
  const fail = (message: string) => new FeatureError(message);
  const { document, config } = editableStackFile(text, fileName, fail);
  const key = projectKey(config, "features");
  const section = config.get(key, true);
  if (section !== undefined && !isMap(section)) throw fail(`${fileName}: ${key} is not a mapping of flags`);
  if (rollout === undefined) {
    if (isMap(section)) {
      section.delete(feature);
      // The section goes with its last flag: the file is as it was before anything was rolled out.
      if (section.items.length === 0) config.delete(key);
    }
  } else if (!isMap(section)) {
    config.set(key, document.createNode({ [feature]: rollout }));
  } else {
    const node = section.get(feature, true);
    if (isMap(node)) {
      // The same nodes keep their comments; only their values change.
      for (const [name, value] of Object.entries(rollout)) {
        const scalar = node.get(name, true);
        if (isScalar(scalar)) scalar.value = value;
        else node.set(name, value);
      }
      for (const name of node.items.map((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key))) if (!(name in rollout)) node.delete(name);
    } else section.set(feature, document.createNode(rollout));
  }
  return document.toString(AS_WRITTEN);
}

export interface FeatureRun extends FeatureOptions {
  projectDir: string;
  log: (line: string) => void;
}

/** Runs the command; returns the stack's diff it printed (empty when nothing changes). */
export async function feature(run: FeatureRun): Promise<string> {
  const { projectDir, stack, feature: name, log } = run;
  const verbose = (line: string) => run.verbose && log(line);
  const fileName = `Pulumi.${stack}.yaml`;
  const file = join(projectDir, fileName);
  if (!existsSync(file)) throw new FeatureError(`there is no ${fileName}`);
  const text = readFileSync(file, "utf8");
  const current = flagIn(text, name);
  verbose(`${fileName}: features.${name} is ${describeRollout(name, current)}`);

  let wanted: FeatureRollout | undefined;
  if (run.rollback) {
    const previous = previousRollout(projectDir, fileName, name, current);
    verbose(`last committed state that differs: ${previous.commit.slice(0, 12)} (${previous.subject}): ${describeRollout(name, previous.rollout)}`);
    wanted = previous.rollout;
  } else if (name === "model") {
    const model = run.model ?? current?.model;
    if (!model) throw new FeatureError(`--model is required: features.model names no model in ${fileName} yet`);
    wanted = { model, percentage: run.percentage! };
  } else {
    wanted = { percentage: run.percentage! };
  }
  if (same(wanted, current)) {
    log(`${fileName}: features.${name} is already ${describeRollout(name, current)}: nothing to change`);
    return "";
  }
  const edited = withRollout(text, fileName, name, wanted);
  if (wanted) verbose(`the backend's flag file will hold: ${JSON.stringify({ [name]: flagdDocument({ [name]: wanted }).flags[name] })}`);
  verbose(`rendering stack ${stack} offline with ${fileName} before and after the edit`);
  const diff = await diffOfStackEdit({
    projectDir,
    stack,
    fileName,
    edited,
    title: `## What ${run.rollback ? "rolling back" : "rolling out"} ${name} in ${stack} changes`,
    intro: `Stack \`${stack}\` rendered offline with ${fileName} before and after the edit; secrets are masked.`,
    fail: (message) => new FeatureError(message),
  });
  const change = `${fileName}: features.${name} ${describeRollout(name, current)} -> ${describeRollout(name, wanted)}`;
  if (run.dryRun) {
    log(`dry run, nothing written: ${change}`);
  } else {
    writeFileSync(file, edited);
    log(change);
  }
  log("");
  log(diff);
  return diff;
}

if (require.main === module) {
  const main = async () => {
    const options = featureOptions(process.argv.slice(2));
    if (!options) return console.log(USAGE);
    await feature({ ...options, projectDir: resolve(__dirname, ".."), log: (line) => console.log(line) });
  };
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error instanceof FeatureError ? `feature: ${error.message.split("\n").join("\nfeature: ")}` : error);
      process.exit(error instanceof FeatureError ? 1 : 2);
    },
  );
}
