/**
 * Field-level differences between two values, as paths a reviewer reads: `spec.template.spec.containers[backend].image`.
 * Lists of named things (containers, env, ports, volumes) are matched by name, so inserting one does not show every
 * later item as changed; strings holding JSON (dashboards, IAM policies) are compared inside.
 */
export interface FieldChange {
  /** Path segments; strings for keys, `{ name }` or numbers for list items. */
  path: PathSegment[];
  /** `undefined` when the field is new. */
  before: unknown;
  /** `undefined` when the field is gone. */
  after: unknown;
}

export type PathSegment = string | number | { name: string } | { json: true };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function namedItems(list: unknown[]): Map<string, unknown> | undefined {
  const names = list.map((item) => (isObject(item) && typeof item.name === "string" ? item.name : undefined));
  if (names.some((name) => name === undefined) || new Set(names).size !== names.length) return undefined;
  return new Map(names.map((name, i) => [name!, list[i]]));
}

function parsedJson(text: unknown): unknown {
  if (typeof text !== "string" || !/^\s*[[{]/.test(text)) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Every leaf-level difference between `before` and `after`. */
export function diffValues(before: unknown, after: unknown, path: PathSegment[] = []): FieldChange[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => diffValues(before[key], after[key], [...path, key]));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const [a, b] = [namedItems(before), namedItems(after)];
    if (a && b) {
      const names = [...a.keys(), ...[...b.keys()].filter((name) => !a.has(name))];
      return names.flatMap((name) => diffValues(a.get(name), b.get(name), [...path, { name }]));
    }
    if (before.length === after.length) return before.flatMap((item, i) => diffValues(item, after[i], [...path, i]));
  }
  const [jsonBefore, jsonAfter] = [parsedJson(before), parsedJson(after)];
  if (jsonBefore !== undefined && jsonAfter !== undefined) return diffValues(jsonBefore, jsonAfter, [...path, { json: true }]);
  return [{ path, before, after }];
}

/** `metadata.labels["app.kubernetes.io/name"]`, `containers[backend]`, `data["x.json"]<json>.panels[0]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    // `(options)` heads the resource options the diff compares beside the inputs.
    else if (typeof segment === "string") text += /^([A-Za-z_$][\w$-]*|\(options\))$/.test(segment) ? `${text ? "." : ""}${segment}` : `[${JSON.stringify(segment)}]`;
    else if ("name" in segment) text += `[${segment.name}]`;
    else text += "<json>";
  }
  return text;
}

/** The object keys along a path, list items dropped, up to any JSON held in a string: how providers name fields. */
export function fieldKeys(path: readonly PathSegment[]): string[] {
  const keys: string[] = [];
  for (const segment of path) {
    if (typeof segment === "string") keys.push(segment);
    else if (typeof segment === "object" && "json" in segment) break;
  }
  return keys;
}

/** True when `path` is the field `field` (`.spec.selector`, camelCase keys) or lies inside it. */
export function isWithin(path: readonly PathSegment[], field: string): boolean {
  const keys = fieldKeys(path);
  const wanted = field.split(".").filter(Boolean);
  return wanted.length <= keys.length && wanted.every((key, i) => keys[i] === key);
}
