/**
 * Edits a stack file through the `yaml` library's document API: only the values set change; comments, key order,
 * quoting and layout stay byte for byte. A file the library would reformat anyway is refused rather than rewritten.
 * `promote` writes image references with it; `feature` (tools/feature.ts) writes flag rollouts.
 */
import { Document, isMap, isScalar, parseDocument, YAMLMap } from "yaml";
import { PromoteError, Workload } from "./digests";

/** Options under which the library prints a file as it was written (no padding in `[a, b]`, no line folding). */
export const AS_WRITTEN = { flowCollectionPadding: false, lineWidth: 0 } as const;

/**
 * A stack file's document and its `config:` map, ready to edit; `fail` makes the error to throw (each tool has its
 * own, printed as one line). Print the result with `document.toString(AS_WRITTEN)`.
 */
export function editableStackFile(text: string, file: string, fail: (message: string) => Error = (m) => new PromoteError(m)): { document: Document; config: YAMLMap } {
  const document = parseDocument(text);
  if (document.errors.length > 0) throw fail(`${file} is not valid YAML: ${document.errors[0].message}`);
  if (document.toString(AS_WRITTEN) !== text) {
    throw fail(`${file} has formatting the yaml library would rewrite; only values are changed here, so format the file as the library prints it first`);
  }
  const config = document.get("config");
  if (!isMap(config)) throw fail(`${file} has no config: block`);
  return { document, config };
}

/** The key a project setting has in this file: `ai-assistant:<name>`, or `<name>` where the file spells it so. */
export function projectKey(config: YAMLMap, name: string): string {
  return config.has(`ai-assistant:${name}`) || !config.has(name) ? `ai-assistant:${name}` : name;
}

export interface StackFileEdit {
  text: string;
  /** Per workload, the image it named before (as YAML would print it) and now. */
  changes: { workload: Workload; before: string; after: string }[];
}

/** True when `production: true` is set in the stack file's config. */
export function isProductionStackFile(text: string): boolean {
  const config = parseDocument(text).toJS()?.config ?? {};
  return config["ai-assistant:production"] === true || config.production === true;
}

export function withImages(text: string, file: string, references: Partial<Record<Workload, string>>): StackFileEdit {
  const { document, config } = editableStackFile(text, file);
  const changes: StackFileEdit["changes"] = [];
  for (const [workload, reference] of Object.entries(references) as [Workload, string][]) {
    const key = projectKey(config, workload);
    const section = config.get(key);
    const previous = isMap(section) ? section.get("image", true) : undefined;
    const before = previous === undefined ? "(the default)" : isScalar(previous) ? String(previous.value) : JSON.stringify((previous as { toJSON(): unknown }).toJSON());
    if (isMap(section) && isScalar(previous)) {
      // The same node keeps its comments; only its value changes.
      previous.value = reference;
    } else if (isMap(section)) {
      section.set("image", reference);
    } else if (section === undefined) {
      config.set(key, document.createNode({ image: reference }));
    } else {
      throw new PromoteError(`${file}: ${key} is not a mapping, so it has no image to set`);
    }
    changes.push({ workload, before, after: reference });
  }
  return { text: document.toString(AS_WRITTEN), changes };
}
