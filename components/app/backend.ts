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
  /** LLM settings for the ConfigMap (see `components/app/llm-settings.ts` for the variables). */
  settings: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** LLM settings made from encrypted config: kept in the `backend-llm-settings` Secret instead of the ConfigMap. */
  secretSettings?: pulumi.Output<Record<string, string>>;
  /** The hosted API's key; stored in a Secret and read through `secretKeyRef`, never in the ConfigMap. */
  apiKey?: pulumi.Input<string>;
}

/** The chat backend API: its LLM settings, its API key (when it has one) and the workload serving `/api`. */
export class Backend extends pulumi.ComponentResource {
  public readonly configMap: k8s.core.v1.ConfigMap;
  public readonly apiKeySecret?: k8s.core.v1.Secret;
  public readonly settingsSecret?: k8s.core.v1.Secret;
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

    const envFrom: k8s.types.input.core.v1.EnvFromSource[] = [{ configMapRef: { name: this.configMap.metadata.name } }];
    if (args.secretSettings) {
      this.settingsSecret = new k8s.core.v1.Secret(
        `${name}-llm-settings`,
        { metadata: { name: "backend-llm-settings", namespace: args.namespace, labels }, type: "Opaque", stringData: args.secretSettings },
        childOpts,
      );
      envFrom.push({ secretRef: { name: this.settingsSecret.metadata.name } });
    }
    // Pods read their environment only at start; a new checksum rolls them when the settings change. The hash of the
    // secret settings is left unmarked on purpose: 64 bits of a SHA-256 cannot be read back into the settings, and a
    // secret annotation would hide the whole pod template from every preview.
    const settingsChecksum = args.secretSettings
      ? pulumi.all([checksum(args.settings), pulumi.unsecret(checksum(args.secretSettings))]).apply(([plain, secret]) => `${plain}-${secret}`)
      : checksum(args.settings);

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
        envFrom,
        podAnnotations: { "ai-assistant.io/settings-checksum": settingsChecksum },
      },
      { parent: this },
    );
    this.url = this.workload.url;
    this.registerOutputs({ url: this.url });
  }
}
