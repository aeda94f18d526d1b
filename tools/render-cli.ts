/**
 * `npm run render -- --stack <name> [--out <dir>] [--stack-file <path>]`: what a stack would deploy, without a
 * Pulumi CLI, credentials, a cluster or a network. `--stack-file` renders a config file that is not (yet) a
 * committed stack, and then needs `--stack`. Invalid config or arguments exit 1 with a message, no stack trace.
 */
import * as pulumi from "@pulumi/pulumi";
import { join, relative, resolve } from "path";
import { parseArgs } from "util";
import { costSummary } from "./cost/format";
import { stackCost } from "./cost/stack-cost";
import { render } from "./render";
import { readStackFile, StackFileError, UnsetSecret, UnsetSetting } from "./stack-file";
import { OutputFolderError, writeRender } from "./write-render";

const PROJECT_DIR = resolve(__dirname, "..");

const USAGE = [
  "usage: npm run render -- [--stack <name>] [--out <dir>] [--stack-file <path> --stack <name>]",
  "  defaults: --stack dev, --out rendered/<name>, --stack-file Pulumi.<name>.yaml",
].join("\n");

/** A mistake in the command line: printed with the usage, no stack trace. */
class UsageError extends Error {}

function options(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        stack: { type: "string" },
        out: { type: "string" },
        "stack-file": { type: "string" },
        help: { type: "boolean" },
      },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The closing lines for secrets the stack needs and the file does not set. */
export function unsetSecretsNote(unset: readonly (UnsetSecret | UnsetSetting)[]): string {
  if (unset.length === 0) return "";
  const lines = unset.map(({ key, why, command }) => `  ai-assistant:${key} (${why}): ${command}`);
  return `Rendered with placeholders; to set before \`pulumi up\`:\n${lines.join("\n")}`;
}

async function main(): Promise<number> {
  const values = options(process.argv.slice(2));
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values["stack-file"] !== undefined && values.stack === undefined) {
    throw new UsageError("--stack-file needs --stack <name>: the name picks the output folder and names the stack's resources");
  }
  const stack = values.stack ?? "dev";
  const out = resolve(values.out ?? join(PROJECT_DIR, "rendered", stack));
  const started = process.hrtime.bigint();
  const stackFile = values["stack-file"];
  const { config, secretKeys, unsetSecrets, unsetSettings, placeholders } = readStackFile(stackFile ?? join(PROJECT_DIR, `Pulumi.${stack}.yaml`), stack);
  const result = await render({ stack, config, secretKeys, stackFile, placeholders, runProgram: () => require(join(PROJECT_DIR, "index")) });
  for (const warning of result.warnings) console.error(`warning: ${warning}`);
  for (const urn of result.unmarkedSecrets) console.error(`warning: ${urn} holds a secret setting's value outside a Pulumi secret: masked here, but pulumi up would keep it in plain text in the state`);
  const cost = stackCost(result, config);
  const files = writeRender(result, out, cost);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(
    `Rendered stack ${stack}: ${result.resources.length} resources, ${result.kubernetesObjects.length} Kubernetes objects ` +
      `-> ${relative(process.cwd(), out) || "."}/ (${files.join(", ")}) in ${Math.round(ms)} ms`,
  );
  console.log(costSummary(cost));
  const note = unsetSecretsNote([...unsetSettings, ...unsetSecrets]);
  if (note) console.log(note);
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof UsageError) {
        console.error(`${error.message}\n${USAGE}`);
        process.exit(2);
      }
      // Config, file and folder errors are for people: print the message alone. Anything else is a bug: keep the trace.
      const expected =
        error instanceof pulumi.RunError || error instanceof pulumi.ResourceError || error instanceof StackFileError || error instanceof OutputFolderError;
      console.error(expected ? (error as Error).message : error);
      process.exit(1);
    },
  );
}
