/**
 * Writes image references into a stack file through the `yaml` library's document API: only the `image` values
 * change; comments, key order, quoting and layout stay byte for byte. A file the library would reformat anyway is
 * refused rather than rewritten.
 */
import { isMap, isScalar, parseDocument } from "yaml";
import { PromoteError, Workload } from "./digests";

/** Options under which the library prints a file as it was written (no padding in `[a, b]`, no line folding). */
const AS_WRITTEN = { flowCollectionPadding: false, lineWidth: 0 } as const;

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
  const document = parseDocument(text);
  if (document.errors.length > 0) throw new PromoteError(`${file} is not valid YAML: ${document.errors[0].message}`);
  if (document.toString(AS_WRITTEN) !== text) {
    throw new PromoteError(`${file} has formatting the yaml library would rewrite; promote changes only the image values, so format the file as the library prints it first`);
  }
  const config = document.get("config");
  if (!isMap(config)) throw new PromoteError(`${file} has no config: block`);
  const changes: StackFileEdit["changes"] = [];
  for (const [workload, reference] of Object.entries(references) as [Workload, string][]) {
    const key = config.has(`ai-assistant:${workload}`) || !config.has(workload) ? `ai-assistant:${workload}` : workload;
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
