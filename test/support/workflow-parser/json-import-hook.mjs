// A Node module hook (module.register) for @actions/workflow-parser 0.3.61 under Node 20: its ESM build imports its
// schema as `import WorkflowSchema from "../workflow-v1.0.min.json"`, without the `with { type: "json" }`
// attribute Node requires (ERR_IMPORT_ATTRIBUTE_MISSING). This adds the attribute to JSON imports that lack one.
export async function load(url, context, nextLoad) {
  if (url.endsWith(".json") && context.importAttributes?.type === undefined) {
    return nextLoad(url, { ...context, importAttributes: { ...context.importAttributes, type: "json" } });
  }
  return nextLoad(url, context);
}
