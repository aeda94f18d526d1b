/**
 * Renders the real program (index.ts) in a test, from a committed stack file or from config written in the test.
 * Each render runs in its own module registry, so index.ts runs afresh with the config given.
 */
import { readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";
import type { RenderResult } from "../../tools/render";
import type { StackFileConfig } from "../../tools/stack-file";

export const PROJECT_DIR = join(__dirname, "..", "..");

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [field: string]: any;
};

/**
 * Process events that modules of the program add a listener to when they load: @pulumi/pulumi's leak report on
 * `exit` (runtime/debuggable.js) and @pulumi/aws's bucket-object flush on `beforeExit` (s3/s3Mixins.js).
 */
const PROCESS_EVENTS: string[] = ["exit", "beforeExit"];

/**
 * Runs `work` and then removes the process listeners that modules loaded during it added. Each render loads the
 * program and its SDKs afresh in its own module registry, which is thrown away afterwards, so without this every
 * render in a test file would leave one more listener behind (MaxListenersExceededWarning after ten renders),
 * each holding on to a runtime nobody uses any more.
 */
async function withoutLeftoverListeners<T>(work: () => Promise<T>): Promise<T> {
  const listeners = (event: string) => process.listeners(event as "exit") as ((...args: unknown[]) => void)[];
  const before = new Map(PROCESS_EVENTS.map((event) => [event, new Set(listeners(event))]));
  try {
    return await work();
  } finally {
    for (const event of PROCESS_EVENTS) {
      for (const listener of listeners(event)) {
        if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
      }
    }
  }
}

async function renderIsolated(stack: string, load: (stackFile: typeof import("../../tools/stack-file")) => StackFileConfig): Promise<RenderResult> {
  let result!: RenderResult;
  await withoutLeftoverListeners(() =>
    jest.isolateModulesAsync(async () => {
      const { render } = require("../../tools/render") as typeof import("../../tools/render");
      const { config, secretKeys, placeholders } = load(require("../../tools/stack-file"));
      result = await render({ stack, config, secretKeys, placeholders, runProgram: () => require("../../index") });
    }),
  );
  return result;
}

/** Renders a committed stack, `Pulumi.<stack>.yaml`. */
export function renderStack(stack: string): Promise<RenderResult> {
  return renderIsolated(stack, (stackFile) => stackFile.readStackFile(join(PROJECT_DIR, `Pulumi.${stack}.yaml`), stack));
}

/**
 * Renders config written in the test, keyed without the namespace: `{ phase: "mock", backend: {...} }`.
 * `{ secure: "..." }` values are secrets, as in a stack file.
 */
export function renderConfig(config: Record<string, unknown>, stack = "test"): Promise<RenderResult> {
  const namespaced = Object.fromEntries(Object.entries(config).map(([key, value]) => [`ai-assistant:${key}`, value]));
  return renderIsolated(stack, (stackFile) => stackFile.stackFileConfig({ config: namespaced }, stack));
}

/** Renders a stack file's whole `config:` block, keys with their namespace (`ai-assistant:phase`, `kubernetes:context`). */
export function renderStackDocument(config: Record<string, unknown>, stack = "test"): Promise<RenderResult> {
  return renderIsolated(stack, (stackFile) => stackFile.stackFileConfig({ config }, stack));
}

/** A certificate ARN of the form a deployer sets (account and ID made up, neither an example nor all zeros). */
export const TEST_CERTIFICATE_ARN = "arn:aws:acm:us-west-2:246813579024:certificate/3f6c2a1e-8b4d-4c7a-9e21-5d0b7c9a4f12";

/**
 * The committed stack file's `config:` block, keys without the namespace, for tests that vary one setting; the
 * certificate the file leaves to set before `pulumi up` is set, as a deployer would.
 */
export function stackFileSettings(stack: string): Record<string, unknown> {
  const document = parse(readFileSync(join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
  const settings = Object.fromEntries(Object.entries(document.config).map(([key, value]) => [key.replace(/^ai-assistant:/, ""), value])) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const expose = settings.frontend?.expose;
  if (settings.cluster?.type === "eks" && expose?.type === "Ingress" && expose.certificateArn === undefined) {
    settings.frontend = { ...settings.frontend, expose: { ...expose, certificateArn: TEST_CERTIFICATE_ARN } };
  }
  return settings;
}

/** Every rendered Kubernetes object of `kind` (and `name`, when given). */
export function objectsOf(result: RenderResult, kind: string, name?: string): K8sObject[] {
  return result.kubernetesObjects
    .map(({ object }) => object as K8sObject)
    .filter((object) => object.kind === kind && (name === undefined || object.metadata.name === name));
}

/** The one rendered object of `kind` named `name`; fails the test when there is not exactly one. */
export function objectOf(result: RenderResult, kind: string, name: string): K8sObject {
  const found = objectsOf(result, kind, name);
  if (found.length !== 1) throw new Error(`expected one ${kind} named ${name}, found ${found.length}`);
  return found[0];
}

/**
 * All pod templates' containers (init containers included) of the rendered workloads. An Argo Rollout with its own
 * template counts as one; a Rollout by workloadRef runs its Deployment's template, which is listed already, and must
 * name a Deployment of the render.
 */
export function podSpecs(result: RenderResult): { owner: string; spec: K8sObject["spec"] }[] {
  const objects = result.kubernetesObjects.map(({ object }) => object as K8sObject);
  for (const rollout of objects.filter((object) => object.kind === "Rollout" && object.spec.workloadRef)) {
    const { kind, name } = rollout.spec.workloadRef;
    if (!objects.some((object) => object.kind === kind && object.metadata.name === name && object.metadata.namespace === rollout.metadata.namespace)) {
      throw new Error(`Rollout ${rollout.metadata.name} runs the template of ${kind} ${name}, which the render does not have`);
    }
  }
  return objects
    .filter((object) => ["Deployment", "StatefulSet", "DaemonSet", "Job"].includes(object.kind) || (object.kind === "Rollout" && object.spec.template))
    .map((object) => ({ owner: `${object.kind}/${object.metadata.name}`, spec: object.spec.template.spec }));
}
