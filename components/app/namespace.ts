import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PART_OF } from "../../lib/labels";

export interface AppNamespaceArgs {
  /** Provider of the target cluster. */
  provider: k8s.Provider;
  /** Namespace name, from config. */
  name: string;
  /** Stack name, for the instance label. */
  stack: string;
  /**
   * Production: the namespace is left in the cluster when the stack is destroyed, because deleting it would
   * delete the model caches inside it, which must survive a destroy.
   */
  production: boolean;
}

/**
 * The namespace the assistant runs in. It enforces the Pod Security Standards "restricted" profile, so the API
 * server itself rejects a pod that would run as root or with extra capabilities.
 */
export class AppNamespace extends pulumi.ComponentResource {
  /** The namespace's name, known once it exists: depend on it to order workloads after it. */
  public readonly name: pulumi.Output<string>;

  constructor(name: string, args: AppNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:kubernetes:AppNamespace", name, {}, opts);
    const namespace = new k8s.core.v1.Namespace(
      name,
      {
        metadata: {
          name: args.name,
          labels: {
            "app.kubernetes.io/part-of": PART_OF,
            "app.kubernetes.io/instance": `${PART_OF}-${args.stack}`,
            "app.kubernetes.io/managed-by": "pulumi",
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/warn": "restricted",
          },
        },
      },
      { parent: this, provider: args.provider, retainOnDelete: args.production },
    );
    this.name = namespace.metadata.name;
    this.registerOutputs({ name: this.name });
  }
}
