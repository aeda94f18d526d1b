/**
 * `npm run cost -- --stack <name> [--write <file.md>]`: renders a stack offline and prints its monthly estimate as
 * a Markdown table, or writes that table into a document between its cost-table markers (tools/cost/doc-table.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { readFileSync, writeFileSync } from "fs";
import { join, resolve } from "path";
import { parseArgs } from "util";
import { render } from "../render";
import { readStackFile, StackFileError } from "../stack-file";
import { embedCostTable } from "./doc-table";
import { costTable } from "./format";
import { stackCost } from "./stack-cost";

const PROJECT_DIR = resolve(__dirname, "..", "..");

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { stack: { type: "string", default: "prod" }, write: { type: "string" }, help: { type: "boolean" } } });
  if (values.help) {
    console.log("usage: npm run cost -- [--stack <name>] [--write <file.md>]   (default --stack prod)");
    return 0;
  }
  const stack = values.stack!;
  const { config, secretKeys, placeholders } = readStackFile(join(PROJECT_DIR, `Pulumi.${stack}.yaml`));
  const result = await render({ stack, config, secretKeys, placeholders, runProgram: () => require(join(PROJECT_DIR, "index")) });
  for (const warning of result.warnings) console.error(`warning: ${warning}`);
  const table = costTable(stackCost(result, config));
  if (!values.write) {
    console.log(table);
    return 0;
  }
  const file = resolve(values.write);
  writeFileSync(file, embedCostTable(readFileSync(file, "utf8"), stack, table));
  console.log(`Wrote the ${stack} cost table into ${values.write}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const expected = error instanceof pulumi.RunError || error instanceof pulumi.ResourceError || error instanceof StackFileError;
    console.error(expected ? (error as Error).message : error);
    process.exit(1);
  },
);
