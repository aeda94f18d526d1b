// Parses every file given with GitHub's own workflow parser and prints, as JSON, per file: the parser's errors, the
// events and the steps' `uses` of the converted template, and the whole document as plain values (the template
// drops `permissions`, which the tests check). Run in a child process by test/workflows.test.ts, because jest
// loads CommonJS and the parser is ESM only:
//   node --import ./test/support/workflow-parser/register.mjs test/support/workflow-parser/parse-workflows.mjs <files>
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import {
  convertWorkflowTemplate,
  isBasicExpression,
  isLiteral,
  isMapping,
  isSequence,
  NoOperationTraceWriter,
  parseWorkflow,
} from "@actions/workflow-parser";

function plain(token) {
  if (!token) return undefined;
  if (isMapping(token)) {
    const object = {};
    for (let i = 0; i < token.count; i++) {
      const { key, value } = token.get(i);
      object[String(plain(key))] = plain(value);
    }
    return object;
  }
  if (isSequence(token)) return Array.from({ length: token.count }, (_, i) => plain(token.get(i)));
  if (isBasicExpression(token)) return `\${{ ${token.expression} }}`;
  if (isLiteral(token)) return token.value ?? null;
  return token.toString();
}

const results = [];
for (const file of process.argv.slice(2)) {
  const parsed = parseWorkflow({ name: basename(file), content: readFileSync(file, "utf8") }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((error) => error.message);
  let events = [];
  let uses = [];
  if (errors.length === 0 && parsed.value) {
    const template = await convertWorkflowTemplate(parsed.context, parsed.value);
    errors.push(...(template.errors ?? []).map((error) => error.Message ?? String(error)));
    events = Object.keys(template.events ?? {});
    uses = (template.jobs ?? []).flatMap((job) => (job.steps ?? []).filter((step) => step.uses).map((step) => ({ job: job.id, uses: step.uses })));
  }
  results.push({ file: basename(file), errors, events, uses, document: plain(parsed.value) });
}
process.stdout.write(JSON.stringify(results));
