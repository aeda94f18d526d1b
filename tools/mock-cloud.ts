/**
 * What the offline render's fake cloud answers. Providers are never called: a resource's outputs are its inputs
 * plus the few computed fields the program reads (names Kubernetes would generate, ARNs, endpoints), so that
 * everything downstream of them renders with plausible, stable values.
 */
import * as pulumi from "@pulumi/pulumi";

type State = Record<string, unknown>;

/** Outputs of resources of one type, from their name and inputs. */
const COMPUTED: Record<string, (name: string, inputs: State) => State> = {};

/** Registers computed outputs for a resource type (AWS resources, image builds, …). */
export function computedOutputs(type: string, compute: (name: string, inputs: State) => State): void {
  COMPUTED[type] = compute;
}

/** Results of provider functions (invokes) by token. */
const INVOKES: Record<string, (args: State) => State> = {};

export function invokeResult(token: string, result: (args: State) => State): void {
  INVOKES[token] = result;
}

function kubernetesDefaults(name: string, inputs: State): State {
  const metadata = (inputs.metadata ?? {}) as State;
  // Kubernetes auto-naming adds a random suffix; the render uses the resource name so that output is stable.
  return metadata.name === undefined ? { metadata: { ...metadata, name } } : {};
}

export const mocks: pulumi.runtime.Mocks = {
  newResource(args) {
    const inputs = args.inputs as State;
    const computed = COMPUTED[args.type]?.(args.name, inputs) ?? {};
    const k8s = args.type.startsWith("kubernetes:") && "apiVersion" in inputs ? kubernetesDefaults(args.name, inputs) : {};
    return { id: `${args.name}-id`, state: { ...inputs, ...k8s, ...computed } };
  },
  call(args) {
    const answer = INVOKES[args.token];
    if (!answer) throw new Error(`the offline render has no answer for ${args.token}; add one in tools/mock-cloud.ts`);
    return answer(args.inputs as State);
  },
};

// AWS and Docker answers register themselves. A require, not an import: imports are hoisted above the registries.
require("./mock-aws"); // eslint-disable-line @typescript-eslint/no-require-imports
