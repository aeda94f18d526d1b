import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Phase } from "../../config/phases";
import { checksum } from "./checksum";
import { recommendedLabels } from "../../lib/labels";
import { PROBE_TIMINGS } from "../../lib/probes";
import { AppComponentArgs, AppWorkload } from "./app-workload";

export const BACKEND_PORT = 8080;

export interface BackendArgs extends AppComponentArgs {
  /** The deployment phase; it sets the probe timing. */
  phase: Phase;
  /** The ConfigMap values: the contract of lib/backend-env.ts, as built by `llm-settings.ts`. */
  settings: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** The hosted API's key; stored in a Secret and read through `secretKeyRef`, never in the ConfigMap. */
  apiKey?: pulumi.Input<string>;
}

/** The chat backend API: its LLM settings, its API key (when it has one) and the workload serving `/api`. */
export class Backend extends pulumi.ComponentResource {
  public readonly configMap: k8s.core.v1.ConfigMap;
  public readonly apiKeySecret?: k8s.core.v1.Secret;
  public readonly workload: AppWorkload;
  /** In-cluster URL the frontend calls. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: BackendArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:app:Backend", name, {}, opts);
    const childOpts = { parent: this, provider: args.provider };
    const identity = { component: "backend", stack: args.stack, version: args.version };
    const labels = recommendedLabels(identity);

    this.configMap = new k8s.core.v1.ConfigMap(
      `${name}-settings`,
      { metadata: { name: "backend-settings", namespace: args.namespace, labels }, data: args.settings },
      childOpts,
    );

    const env: k8s.types.input.core.v1.EnvVar[] = [{ name: "PORT", value: String(BACKEND_PORT) }];
    if (args.apiKey !== undefined) {
      this.apiKeySecret = new k8s.core.v1.Secret(
        `${name}-llm-api-key`,
        {
          metadata: { name: "backend-llm-api-key", namespace: args.namespace, labels },
          type: "Opaque",
          stringData: { "api-key": pulumi.secret(args.apiKey) },
        },
        childOpts,
      );
      env.push({
        name: "LLM_API_KEY",
        valueFrom: { secretKeyRef: { name: this.apiKeySecret.metadata.name, key: "api-key" } },
      });
    }

    this.workload = new AppWorkload(
      name,
      {
        provider: args.provider,
        namespace: args.namespace,
        identity,
        workload: args.workload,
        image: args.image,
        port: BACKEND_PORT,
        health: { ready: "/readyz", live: "/healthz" },
        probeTiming: PROBE_TIMINGS[args.phase],
        env,
        envFrom: [{ configMapRef: { name: this.configMap.metadata.name } }],
        // Pods read the ConfigMap only at start; a new checksum rolls them when the settings change.
        podAnnotations: { "ai-assistant.io/settings-checksum": checksum(args.settings) },
      },
      { parent: this },
    );
    this.url = this.workload.url;
    this.registerOutputs({ url: this.url });
  }
}
