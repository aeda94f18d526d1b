/**
 * `npm run render -- --stack <name> [--out <dir>] [--stack-file <path>]`: what a stack would deploy, without a
 * Pulumi CLI, credentials, a cluster or a network. `--stack-file` renders a config file that is not (yet) a
 * committed stack. Invalid config exits 1 with the config message and no stack trace.
 */
import * as pulumi from "@pulumi/pulumi";
import { join, relative, resolve } from "path";
import { parseArgs } from "util";
import { costSummary } from "./cost/format";
import { stackCost } from "./cost/stack-cost";
import { render } from "./render";
import { readStackFile, StackFileError } from "./stack-file";
import { writeRender } from "./write-render";

const PROJECT_DIR = resolve(__dirname, "..");

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      stack: { type: "string", default: "dev" },
      out: { type: "string" },
      "stack-file": { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log("usage: npm run render -- [--stack <name>] [--out <dir>] [--stack-file <path>]");
    console.log("  defaults: --stack dev, --out rendered/<name>, --stack-file Pulumi.<name>.yaml");
    return 0;
  }
  const stack = values.stack!;
  const out = resolve(values.out ?? join(PROJECT_DIR, "rendered", stack));
  const started = process.hrtime.bigint();
  const { config, secretKeys } = readStackFile(values["stack-file"] ?? join(PROJECT_DIR, `Pulumi.${stack}.yaml`));
  const result = await render({ stack, config, secretKeys, runProgram: () => require(join(PROJECT_DIR, "index")) });
  const cost = stackCost(result, config);
  const files = writeRender(result, out, cost);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(
    `Rendered stack ${stack}: ${result.resources.length} resources, ${result.kubernetesObjects.length} Kubernetes objects ` +
      `-> ${relative(process.cwd(), out) || "."}/ (${files.join(", ")}) in ${Math.round(ms)} ms`,
  );
  console.log(costSummary(cost));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Config and argument errors are for people: print the message alone. Anything else is a bug: keep the trace.
    const expected = error instanceof pulumi.RunError || error instanceof pulumi.ResourceError || error instanceof StackFileError;
    console.error(expected ? (error as Error).message : error);
    process.exit(1);
  },
);
