/**
 * `npm run promote -- --from dev --to prod [--outputs <file.json>]`: pins the images `from` verified into the
 * production stack file. It reads `from`'s `imageDigests` stack output (from `pulumi stack output --json --stack
 * <from>`, or from a file holding that JSON, as CI passes it), writes each one into `Pulumi.<to>.yaml` as
 * `repository@sha256:…` (comments and layout kept), then prints the diff of the `to` stack. It refuses, in one line,
 * outputs without digests, a malformed digest, and a target that is not a production stack; and it writes nothing
 * when the promoted stack would not render.
 */
import { spawnSync } from "child_process";
import { existsSync, readFileSync, writeFileSync } from "fs";
import { join, resolve } from "path";
import { parseArgs } from "util";
import { diffOfStackEdit } from "./diff/stack-edit";
import { digestsFrom, PromoteError } from "./promote/digests";
import { isProductionStackFile, withImages } from "./promote/stack-file-edit";

const USAGE = "usage: npm run promote -- --from <stack> --to <production stack> [--outputs <file.json>]";

function options(args: string[]) {
  try {
    const { values } = parseArgs({ args, options: { from: { type: "string" }, to: { type: "string" }, outputs: { type: "string" }, help: { type: "boolean" } } });
    if (values.help) return undefined;
    if (!values.from || !values.to) throw new Error("--from and --to are required");
    if (values.from === values.to) throw new Error(`--from and --to name the same stack (${values.from})`);
    return values as { from: string; to: string; outputs?: string };
  } catch (error) {
    throw new PromoteError(`${(error as Error).message}\n${USAGE}`);
  }
}

/** `from`'s stack outputs: the file given, or what the Pulumi CLI prints. */
function stackOutputs(from: string, file: string | undefined, projectDir: string): unknown {
  if (file) {
    try {
      return JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new PromoteError(`cannot read ${from}'s outputs from ${file}: ${(error as Error).message}`);
    }
  }
  const run = spawnSync("pulumi", ["stack", "output", "--json", "--stack", from], { cwd: projectDir, encoding: "utf8" });
  if (run.error) throw new PromoteError(`there is no pulumi CLI here to read ${from}'s outputs: pass --outputs <file> with the JSON of \`pulumi stack output --json --stack ${from}\``);
  if (run.status !== 0) throw new PromoteError(`pulumi stack output --json --stack ${from} failed: ${run.stderr.trim().split("\n")[0]}`);
  return JSON.parse(run.stdout);
}

export interface PromoteOptions {
  from: string;
  to: string;
  outputs?: string;
  projectDir: string;
  log: (line: string) => void;
}

/** Runs a promotion; returns the diff of the target stack that it printed. */
export async function promote({ from, to, outputs, projectDir, log }: PromoteOptions): Promise<string> {
  const fileName = `Pulumi.${to}.yaml`;
  const file = join(projectDir, fileName);
  if (!existsSync(file)) throw new PromoteError(`there is no ${fileName} to promote into`);
  const text = readFileSync(file, "utf8");
  if (!isProductionStackFile(text)) {
    throw new PromoteError(`${fileName} is not a production stack (ai-assistant:production is not true): promote pins digests only into production stacks`);
  }
  const digests = digestsFrom(stackOutputs(from, outputs, projectDir), from);
  for (const workload of digests.local) {
    log(`warning: ${from}'s ${workload} image is in a registry only ${from}'s machine reaches (${digests.references[workload]}); ${to} cannot pull it until it is copied to a registry ${to} reaches (a copy keeps the digest)`);
  }
  const edit = withImages(text, fileName, digests.references);
  if (edit.text === text) {
    log(`${fileName} already runs ${from}'s digests: nothing to change`);
    return "";
  }

  // Render the stack as it is and as promoted before writing anything: a promotion that does not render is refused.
  const diff = await diffOfStackEdit({
    projectDir,
    stack: to,
    fileName,
    edited: edit.text,
    title: `## What promoting ${from} into ${to} changes`,
    intro: `Stack \`${to}\` rendered offline with ${fileName} before and after pinning ${from}'s digests; secrets are masked.`,
    fail: (message) => new PromoteError(message),
  });
  writeFileSync(file, edit.text);
  for (const change of edit.changes) log(`${fileName}: ${change.workload}.image ${change.before} -> ${change.after}`);
  log("");
  log(diff);
  return diff;
}

if (require.main === module) {
  const run = async () => {
    const values = options(process.argv.slice(2));
    if (!values) return console.log(USAGE);
    await promote({ ...values, projectDir: resolve(__dirname, ".."), log: (line) => console.log(line) });
  };
  run().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error instanceof PromoteError ? error.message : error);
      process.exit(1);
    },
  );
}
