import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Phase } from "../../config/phases";
import { checksum } from "./checksum";
import { recommendedLabels } from "../../lib/labels";
import { PodEndpoint, PodPeer, PolicyRule, podPeer, tcp, toPods } from "../../lib/network-policy";
import { PROBE_TIMINGS } from "../../lib/probes";
import { AppComponentArgs, appPods, AppWorkload, passedThrough } from "./app-workload";
import { ClientKeys } from "../shared-state/client-keys";
import { FLAGS_FILE_NAME, FLAGS_MOUNT_DIR } from "../../lib/feature-flags";

export const BACKEND_PORT = 8080;

/**
 * A fingerprint of the API key that says whether it changed and nothing else: 64 bits of a SHA-256 cannot give back
 * a key with more entropy than that (every provider's keys have far more). It is deliberately not a Pulumi secret:
 * a secret anywhere in the pod template makes Pulumi mask the Deployment's whole spec in every preview and diff.
 */
export function keyChecksum(apiKey: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.unsecret(checksum({ "api-key": apiKey }));
}

/** Who the backend talks to besides the frontend that calls it; each is one path its NetworkPolicy opens. */
export interface BackendNetwork {
  /** Prometheus's pods, which scrape `/metrics` on the backend's port; absent without monitoring. */
  scraper?: PodPeer;
  /** The local model servers' pods and port (local-model phase). */
  modelServers?: PodEndpoint;
  /** Addresses and port of the hosted LLM API (hosted-api phase, or the local-model fallback). */
  hostedApi?: { peers: pulumi.Input<pulumi.Input<k8s.types.input.networking.v1.NetworkPolicyPeer>[]>; port: number };
}

export interface BackendArgs extends AppComponentArgs {
  /** The deployment phase; it sets the probe timing. */
  phase: Phase;
  /** The ConfigMap values: the contract of lib/backend-env.ts, as built by `llm-settings.ts`. */
  settings: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** LLM settings made from encrypted config: kept in the `backend-llm-settings` Secret instead of the ConfigMap. */
  secretSettings?: pulumi.Output<Record<string, string>>;
  /** The hosted API's key; stored in a Secret and read through `secretKeyRef`, never in the ConfigMap. */
  apiKey?: pulumi.Input<string>;
  /** The backend's network paths (used when NetworkPolicies are on). */
  network: BackendNetwork;
  /** The stack's Valkey: its pods (egress to them) and the Secret key holding its password (`VALKEY_PASSWORD`). */
  valkey?: { pods: PodEndpoint; password: { name: pulumi.Input<string>; key: string } };
  /** Client API keys, hashed, and the frontend's token (components/shared-state/client-keys.ts). */
  clientKeys?: ClientKeys;
  /**
   * The knowledge base: its Postgres pods (egress to them), the operator-made Secret and key with the database URL
   * (`KNOWLEDGE_DATABASE_URL`), and the admin API's key (a Pulumi secret, kept in a Secret of the backend's).
   */
  knowledge?: { database: PodEndpoint; databaseUrl: { name: pulumi.Input<string>; key: string }; adminKey: pulumi.Input<string> };
  /** The flag file's text (./feature-flags.ts); absent: no flags. The settings must then name FEATURE_FLAGS_FILE. */
  featureFlags?: string;
}

/** The chat backend API: its LLM settings, its API key (when it has one) and the workload serving `/v1`. */
export class Backend extends pulumi.ComponentResource {
  public readonly configMap: k8s.core.v1.ConfigMap;
  public readonly apiKeySecret?: k8s.core.v1.Secret;
  public readonly settingsSecret?: k8s.core.v1.Secret;
  public readonly clientKeysSecret?: k8s.core.v1.Secret;
  public readonly knowledgeAdminKeySecret?: k8s.core.v1.Secret;
  /** The feature flags' file, when the stack rolls any out. */
  public readonly featureFlags?: k8s.core.v1.ConfigMap;
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
    // The hash of the secret settings is left unmarked on purpose: 64 bits of a SHA-256 cannot be read back into the settings, and a
    // secret annotation would hide the whole pod template from every preview.
    const settingsChecksum = args.secretSettings
      ? pulumi.all([checksum(args.settings), pulumi.unsecret(checksum(args.secretSettings))]).apply(([plain, secret]) => `${plain}-${secret}`)
      : checksum(args.settings);

    const env: k8s.types.input.core.v1.EnvVar[] = [{ name: "PORT", value: String(BACKEND_PORT) }];
    // Pods read the ConfigMap and the Secrets only at start; a new checksum in the pod template rolls them when
    // any changes, so a rotated key is in use as soon as `pulumi up` ends.
    const podAnnotations: Record<string, pulumi.Input<string>> = { "ai-assistant.io/settings-checksum": settingsChecksum };
    if (args.apiKey !== undefined) {
      const apiKey = pulumi.secret(args.apiKey);
      this.apiKeySecret = new k8s.core.v1.Secret(
        `${name}-llm-api-key`,
        {
          metadata: { name: "backend-llm-api-key", namespace: args.namespace, labels },
          type: "Opaque",
          stringData: { "api-key": apiKey },
        },
        childOpts,
      );
      env.push({
        name: "LLM_API_KEY",
        valueFrom: { secretKeyRef: { name: this.apiKeySecret.metadata.name, key: "api-key" } },
      });
      podAnnotations["ai-assistant.io/api-key-checksum"] = keyChecksum(apiKey);
    }

    if (args.valkey) {
      env.push({ name: "VALKEY_PASSWORD", valueFrom: { secretKeyRef: { name: args.valkey.password.name, key: args.valkey.password.key } } });
    }
    if (args.clientKeys) {
      this.clientKeysSecret = new k8s.core.v1.Secret(
        `${name}-client-keys`,
        {
          metadata: { name: "backend-client-keys", namespace: args.namespace, labels },
          type: "Opaque",
          stringData: { CLIENT_API_KEYS: args.clientKeys.hashed, FRONTEND_TOKEN: args.clientKeys.frontendToken },
        },
        childOpts,
      );
      envFrom.push({ secretRef: { name: this.clientKeysSecret.metadata.name } });
      // Unmarked on purpose, as the key's: 64 bits of a SHA-256 give nothing back, and a change rolls the pods.
      podAnnotations["ai-assistant.io/client-keys-checksum"] = pulumi.unsecret(checksum({ keys: args.clientKeys.hashed }));
    }

    if (args.knowledge) {
      const adminKey = pulumi.secret(args.knowledge.adminKey);
      this.knowledgeAdminKeySecret = new k8s.core.v1.Secret(
        `${name}-knowledge-admin-key`,
        { metadata: { name: "backend-knowledge-admin-key", namespace: args.namespace, labels }, type: "Opaque", stringData: { "admin-key": adminKey } },
        childOpts,
      );
      env.push(
        // Made by the operator: the password never passes through this program, its state or its outputs.
        { name: "KNOWLEDGE_DATABASE_URL", valueFrom: { secretKeyRef: { name: args.knowledge.databaseUrl.name, key: args.knowledge.databaseUrl.key } } },
        { name: "KNOWLEDGE_ADMIN_KEY", valueFrom: { secretKeyRef: { name: this.knowledgeAdminKeySecret.metadata.name, key: "admin-key" } } },
      );
      // Unmarked on purpose, as the API key's: 64 bits of a SHA-256 give nothing back, and a change rolls the pods.
      podAnnotations["ai-assistant.io/knowledge-admin-key-checksum"] = pulumi.unsecret(checksum({ "admin-key": adminKey }));
    }

    // Not in the checksum: a new flag file reaches the running pods through the mounted file, without a rollout.
    const configDirectories: { name: string; configMap: pulumi.Input<string>; mountPath: string }[] = [];
    if (args.featureFlags !== undefined) {
      this.featureFlags = new k8s.core.v1.ConfigMap(
        `${name}-feature-flags`,
        { metadata: { name: "backend-feature-flags", namespace: args.namespace, labels }, data: { [FLAGS_FILE_NAME]: args.featureFlags } },
        childOpts,
      );
      configDirectories.push({ name: "feature-flags", configMap: this.featureFlags.metadata.name, mountPath: FLAGS_MOUNT_DIR });
    }

    const { network } = args;
    const port = [tcp(BACKEND_PORT)];
    const ingress: PolicyRule[] = [{ peers: [podPeer(appPods("frontend", args.stack))], ports: port }];
    if (network.scraper) ingress.push({ peers: [podPeer(network.scraper)], ports: port });
    const egress: PolicyRule[] = [];
    if (network.modelServers) egress.push(toPods(network.modelServers));
    if (network.hostedApi) egress.push({ peers: network.hostedApi.peers, ports: [tcp(network.hostedApi.port)] });
    if (args.valkey) egress.push(toPods(args.valkey.pods));
    if (args.knowledge) egress.push(toPods(args.knowledge.database));

    this.workload = new AppWorkload(
      name,
      {
        ...passedThrough(args),
        identity,
        port: BACKEND_PORT,
        health: { ready: "/readyz", live: "/healthz" },
        probeTiming: PROBE_TIMINGS[args.phase],
        env,
        envFrom,
        configDirectories,
        podAnnotations,
        networkRules: { ingress, egress },
      },
      { parent: this },
    );
    this.url = this.workload.url;
    this.registerOutputs({ url: this.url });
  }
}
