/**
 * The offline render: runs the real program (`index.ts`) under Pulumi's mock runtime and records every resource
 * it registers. No Pulumi CLI, no credentials, no cluster, no network.
 */
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { deserializeProperties } from "@pulumi/pulumi/runtime/rpc";
import { setMockOptions } from "@pulumi/pulumi/runtime/settings";
import { runInPulumiStack } from "@pulumi/pulumi/runtime/stack";
import { setStackFileName } from "../config/load";
import { SECRET_KEYS } from "../config/schema";
import { MASK, maskKubernetesSecret, maskSecrets, redact } from "./mask";
import { mocks } from "./mock-cloud";

// Internal to @pulumi/pulumi (absent from its typings): resolves once every outstanding registration is done.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

export const PROJECT = "ai-assistant";

/** One registered resource, as `plan.json` lists it. */
export interface PlannedResource {
  type: string;
  name: string;
  urn: string;
  /** URN of the parent resource; the stack itself for top-level components. */
  parent?: string;
  /** Reference to the explicit provider (URN::id), when one was passed. */
  provider?: string;
  custom: boolean;
  /** Left in the cloud or cluster when the stack is destroyed (`retainOnDelete`). */
  retainOnDelete?: boolean;
  /** Pulumi refuses to delete it (`protect`). */
  protect?: boolean;
  /** How long Pulumi waits for it (`customTimeouts`), e.g. `{ create: "50m" }`: the provider's await gives up then. */
  customTimeouts?: { create?: string; update?: string; delete?: string };
  /** URNs of the resources it is created after (`dependsOn`, and the resources its inputs come from). */
  dependencies?: string[];
  inputs: Record<string, unknown>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function customTimeoutsOf(req: any): PlannedResource["customTimeouts"] {
  const timeouts = req.getCustomtimeouts?.();
  if (!timeouts) return undefined;
  const entries = Object.entries({ create: timeouts.getCreate(), update: timeouts.getUpdate(), delete: timeouts.getDelete() }).filter(([, value]) => value);
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

export interface RenderResult {
  stack: string;
  resources: PlannedResource[];
  /** Kubernetes objects (apiVersion, kind, metadata, …) with the URN of the top-level component they belong to. */
  kubernetesObjects: { object: Record<string, unknown>; group: string; urn: string }[];
  outputs: Record<string, unknown>;
  /**
   * What the program said with `pulumi.log.warn` (e.g. "Alertmanager has no receiver"), in order: the render returns
   * them instead of printing them, so the CLI prints each once and tests assert the ones they are about.
   */
  warnings: string[];
  /**
   * URNs of resources whose inputs hold a secret setting's value outside a Pulumi secret (and outside a Kubernetes
   * Secret's data): the render masks it by its text anyway, but `pulumi up` would keep it in plain text in the state.
   * Empty for a sound program; tests hold it so.
   */
  unmarkedSecrets: string[];
}

export interface RenderOptions {
  stack: string;
  /** Full config keys (`ai-assistant:phase`) to string values, as the engine would pass them. */
  config: Record<string, string>;
  /** Config keys whose values are secrets. */
  secretKeys: string[];
  /** Runs the program; its return value (the module's exports) becomes the stack outputs. */
  runProgram: () => unknown;
  /** The file config messages name, when it is not `Pulumi.<stack>.yaml` (`--stack-file`). */
  stackFile?: string;
  /** Stand-in values of settings the stack file leaves unset, and the text the render shows in their place. */
  placeholders?: Record<string, string>;
}

/**
 * Records what the mock API does not hand to `newResource`: each registration's parent, its resource options
 * (customTimeouts, retainOnDelete, protect) and its dependencies, straight from the RegisterResource request.
 */
class RecordingMonitor extends MockMonitor {
  public readonly registrations: PlannedResource[] = [];

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async registerResource(req: any, callback: (err: any, response: any) => void): Promise<void> {
    const entry: PlannedResource = {
      type: req.getType(),
      name: req.getName(),
      urn: "",
      parent: req.getParent() || undefined,
      provider: req.getProvider() || undefined,
      custom: req.getCustom(),
      retainOnDelete: req.getRetainondelete() || undefined,
      protect: req.getProtect() || undefined,
      customTimeouts: customTimeoutsOf(req),
      dependencies: req.getDependenciesList().length > 0 ? [...req.getDependenciesList()].sort() : undefined,
      inputs: deserializeProperties(req.getObject()),
    };
    return super.registerResource(req, (err, response) => {
      if (!err) {
        entry.urn = response.getUrn();
        this.registrations.push(entry);
      }
      callback(err, response);
    });
  }
}

const STACK_TYPE = "pulumi:pulumi:Stack";

function isKubernetesObject(resource: PlannedResource): boolean {
  const inputs = resource.inputs;
  return resource.custom && resource.type.startsWith("kubernetes:") && typeof inputs.apiVersion === "string" && typeof inputs.kind === "string";
}

/** How `pulumi.log.warn` writes a warning when no engine is attached, as under the mock runtime (@pulumi/pulumi log/index.js). */
const RUNTIME_WARNING = "warning: [runtime] ";

/**
 * Runs `work` with the Pulumi runtime's warnings collected into `warnings` rather than printed. Only lines in the
 * runtime's own format are taken; anything else written to console.warn passes through untouched.
 */
async function collectingWarnings<T>(warnings: string[], work: () => Promise<T>): Promise<T> {
  const original = console.warn;
  console.warn = (...args: unknown[]) => {
    if (args.length === 1 && typeof args[0] === "string" && args[0].startsWith(RUNTIME_WARNING)) warnings.push(args[0].slice(RUNTIME_WARNING.length));
    else original.apply(console, args);
  };
  try {
    return await work();
  } finally {
    console.warn = original;
  }
}

/** Runs the program for one stack and returns what it would deploy, secrets masked, and what it warned about. */
export async function render(options: RenderOptions): Promise<RenderResult> {
  const warnings: string[] = [];
  const result = await collectingWarnings(warnings, () => renderQuietly(options));
  return { ...result, warnings };
}

async function renderQuietly(options: RenderOptions): Promise<Omit<RenderResult, "warnings">> {
  await pulumi.runtime.setMocks(mocks, PROJECT, options.stack, false);
  const monitor = new RecordingMonitor(mocks);
  setMockOptions(monitor, PROJECT, options.stack, false);
  pulumi.runtime.setAllConfig(options.config, options.secretKeys);
  setStackFileName(options.stackFile);

  let programExports: Record<string, unknown> = {};
  let failure: unknown;
  await runInPulumiStack(async () => {
    // Caught here rather than left to the stack: the stack resource would also reject a promise of its own that
    // nobody awaits, which ends the process (or a jest worker) as an unhandled rejection.
    try {
      programExports = (options.runProgram() ?? {}) as Record<string, unknown>;
    } catch (error) {
      failure = error;
    }
    return {};
  });
  await waitForRPCs();
  if (failure !== undefined) throw failure;

  // Keys marked secret, and the secret settings even when a user left them in plain text.
  const secretConfigKeys = [...options.secretKeys, ...SECRET_KEYS.map((key) => `${PROJECT}:${key}`)];
  const secretStrings = secretConfigKeys.map((key) => options.config[key]).filter((v): v is string => !!v);
  const placeholders = Object.entries(options.placeholders ?? {});
  const shown = (text: string) => placeholders.reduce((result, [standIn, label]) => result.split(standIn).join(label), text);
  const clean = <T>(value: T): T => JSON.parse(shown(redact(JSON.stringify(maskSecrets(value)), secretStrings)));

  const byUrn = new Map(monitor.registrations.map((r) => [r.urn, r]));
  const topLevelName = (resource: PlannedResource): string => {
    let current = resource;
    for (let parent = byUrn.get(current.parent ?? ""); parent && parent.type !== STACK_TYPE; parent = byUrn.get(current.parent ?? "")) {
      current = parent;
    }
    return current.name;
  };

  const marked = (r: PlannedResource) => maskSecrets(r.type === "kubernetes:core/v1:Secret" ? maskKubernetesSecret(r.inputs) : r.inputs);
  const registered = monitor.registrations.filter((r) => r.type !== STACK_TYPE);
  // What the first two masking layers leave of a secret value is a leak into the state, whatever the text layer hides.
  const unmarkedSecrets = registered.filter((r) => secretStrings.some((secret) => JSON.stringify(marked(r)).includes(secret))).map((r) => r.urn);
  const resources = registered.map((r) => clean<PlannedResource>({ ...r, inputs: marked(r) as Record<string, unknown> })).sort((a, b) => a.urn.localeCompare(b.urn));

  const kubernetesObjects = resources.filter(isKubernetesObject).map((resource) => ({
    object: resource.inputs,
    group: topLevelName(byUrn.get(resource.urn)!),
    urn: resource.urn,
  }));

  return { stack: options.stack, resources, kubernetesObjects, outputs: clean(await resolveOutputs(programExports)), unmarkedSecrets };
}

/** Stack outputs are Outputs; the render writes their values, with secret ones masked. */
async function resolveOutputs(outputs: Record<string, unknown>): Promise<Record<string, unknown>> {
  const resolved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(outputs)) {
    const output = pulumi.output(value as pulumi.Input<string>) as pulumi.Output<unknown>;
    resolved[key] = (await pulumi.isSecret(output)) ? MASK : await new Promise((resolve) => output.apply(resolve));
  }
  return resolved;
}
