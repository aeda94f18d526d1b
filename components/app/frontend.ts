import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ExposureConfig, GatewayExposure, IngressExposure } from "../../config/exposure";
import { recommendedLabels } from "../../lib/labels";
import { namespacePeer, PolicyRule, podPeer, tcp } from "../../lib/network-policy";
import { PROBE_TIMINGS } from "../../lib/probes";
import { albAnnotations } from "./alb-annotations";
import { albKeyEndpointPeers, albName, albOidcEnv, albPeers, AlbSettings, ALB_KEYS_PORT } from "./alb-access";
import { AppComponentArgs, appPods, AppWorkload, passedThrough } from "./app-workload";
import { BACKEND_PORT } from "./backend";
import { checksum } from "./checksum";

/** The Ingress's name: a canary on the ALB names it in its Rollout (components/app/canary.ts). */
export const FRONTEND_INGRESS_NAME = "frontend";

/** The port the frontend server listens on in the pod (its image's PORT; the Deployment sets it too). */
export const FRONTEND_PORT = 8080;

export interface FrontendArgs extends AppComponentArgs {
  /** How users reach it: ClusterIP, LoadBalancer or Ingress. */
  expose: ExposureConfig;
  /** In-cluster URL of the backend API, which the frontend's server forwards `/v1/*` to. */
  backendUrl: pulumi.Input<string>;
  /** Present on eks: an Ingress becomes an ALB with HTTPS only. */
  alb?: AlbSettings;
  /** The OIDC client secret, when `expose.oidc` puts sign-in in front of the chat. */
  oidcClientSecret?: pulumi.Input<string>;
  /**
   * The token the frontend sends the backend as `X-Assistant-Frontend-Token` when client API keys are on, so that
   * the browser chat (which has no key) is admitted; kept in a Secret and read as `BACKEND_TOKEN`.
   */
  backendToken?: pulumi.Input<string>;
}

/**
 * The chat page and its small server (services/frontend), which forwards `/v1/*` to the backend so that the browser
 * talks to one origin; reachable from outside the cluster as configured.
 */
export class Frontend extends pulumi.ComponentResource {
  public readonly workload: AppWorkload;
  public readonly ingress?: k8s.networking.v1.Ingress;
  public readonly route?: k8s.apiextensions.CustomResource;
  public readonly tokenSecret?: k8s.core.v1.Secret;
  /** Where users open the chat: the Ingress URL, or the in-cluster URL for ClusterIP/LoadBalancer. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: FrontendArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:app:Frontend", name, {}, opts);
    const identity = { component: "frontend", stack: args.stack, version: args.version };
    const { expose } = args;
    const port = [tcp(FRONTEND_PORT)];
    // With the ALB's OIDC sign-in in front, the frontend checks the ALB's signature on every request.
    const oidcAlb = args.alb && expose.type === "Ingress" && expose.oidc ? { ...args.alb, expose } : undefined;
    const env: k8s.types.input.core.v1.EnvVar[] = [
      { name: "PORT", value: String(FRONTEND_PORT) },
      { name: "BACKEND_URL", value: args.backendUrl },
      ...(oidcAlb ? albOidcEnv(oidcAlb, albName(args.stack, oidcAlb.expose)) : []),
    ];
    const podAnnotations: Record<string, pulumi.Input<string>> = {};
    if (args.backendToken !== undefined) {
      const token = pulumi.secret(args.backendToken);
      this.tokenSecret = new k8s.core.v1.Secret(
        `${name}-backend-token`,
        { metadata: { name: "frontend-backend-token", namespace: args.namespace, labels: recommendedLabels(identity) }, type: "Opaque", stringData: { token } },
        { parent: this, provider: args.provider },
      );
      env.push({ name: "BACKEND_TOKEN", valueFrom: { secretKeyRef: { name: this.tokenSecret.metadata.name, key: "token" } } });
      podAnnotations["ai-assistant.io/backend-token-checksum"] = pulumi.unsecret(checksum({ token }));
    }

    this.workload = new AppWorkload(
      name,
      {
        ...passedThrough(args),
        identity,
        port: FRONTEND_PORT,
        // /readyz fails from SIGTERM on, while the server drains (services/frontend/src/server.ts).
        health: { ready: "/readyz", live: "/healthz" },
        probeTiming: PROBE_TIMINGS.frontend,
        env,
        podAnnotations,
        // The server writes nothing (it serves the page from memory); /tmp is all that is writable.
        writablePaths: ["/tmp"],
        serviceType: expose.type === "LoadBalancer" ? "LoadBalancer" : "ClusterIP",
        serviceAnnotations: expose.type === "LoadBalancer" ? expose.annotations : undefined,
        loadBalancerSourceRanges: expose.type === "LoadBalancer" ? expose.sourceRanges : undefined,
        networkRules: {
          // ClusterIP admits no one: `kubectl port-forward` enters the pod through the kubelet, not the network.
          ingress: this.exposureSources(args).map((peers): PolicyRule => ({ peers, ports: port })),
          // The backend and nothing else (no model server, no internet), but the ALB's key endpoint with OIDC on.
          egress: [
            { peers: [podPeer(appPods("backend", args.stack))], ports: [tcp(BACKEND_PORT)] },
            ...(oidcAlb ? [{ peers: albKeyEndpointPeers(oidcAlb), ports: [tcp(ALB_KEYS_PORT)] }] : []),
          ],
        },
        // After the controller on an ALB: its webhook injects the readiness gate at pod creation and fails open
        // (failurePolicy Ignore), so pods made before it answers would run without the gate.
        podsAfter: args.alb ? [args.alb.controller] : [],
      },
      { parent: this },
    );

    if (expose.type === "Ingress") {
      this.ingress = this.createIngress(name, args, expose, identity);
      const https = args.alb !== undefined || expose.tlsSecretName !== undefined;
      this.url = pulumi.output(`${https ? "https" : "http"}://${expose.host}/`);
    } else if (expose.type === "Gateway") {
      this.route = this.createRoute(name, args, expose, identity);
      this.url = pulumi.output(`${expose.https ? "https" : "http"}://${expose.host}/`);
    } else {
      this.url = this.workload.url;
    }
    this.registerOutputs({ url: this.url });
  }

  /** Where traffic from outside the cluster comes from, as NetworkPolicy peers (one rule each). */
  private exposureSources(args: FrontendArgs): pulumi.Input<pulumi.Input<k8s.types.input.networking.v1.NetworkPolicyPeer>[]>[] {
    const { expose } = args;
    if (expose.type === "LoadBalancer") return [expose.sourceRanges.map((cidr) => ({ ipBlock: { cidr } }))];
    if (expose.type !== "Ingress" && expose.type !== "Gateway") return [];
    if (args.alb && expose.type === "Ingress") return [albPeers(args.alb)];
    if (expose.controllerNamespace === undefined) return [];
    const controller = expose.controllerPodLabels
      ? podPeer({ namespace: expose.controllerNamespace, podLabels: expose.controllerPodLabels })
      : namespacePeer(expose.controllerNamespace);
    return [[controller]];
  }

  /** An HTTPRoute on the cluster's Gateway: the Gateway API's counterpart of the Ingress, for a cluster that has one. */
  private createRoute(name: string, args: FrontendArgs, expose: GatewayExposure, identity: { component: string; stack: string }): k8s.apiextensions.CustomResource {
    return new k8s.apiextensions.CustomResource(
      name,
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: "frontend", namespace: args.namespace, labels: recommendedLabels(identity) },
        spec: {
          parentRefs: [{ name: expose.gatewayName, namespace: expose.gatewayNamespace, ...(expose.sectionName && { sectionName: expose.sectionName }) }],
          hostnames: [expose.host],
          rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ name: this.workload.service.metadata.name, port: FRONTEND_PORT }] }],
        },
      },
      { parent: this, provider: args.provider },
    );
  }

  private createIngress(name: string, args: FrontendArgs, expose: IngressExposure, identity: { component: string; stack: string }): k8s.networking.v1.Ingress {
    const childOpts = { parent: this, provider: args.provider };
    const labels = recommendedLabels(identity);
    let annotations: pulumi.Input<Record<string, string>> = expose.annotations;
    if (args.alb && expose.certificateArn !== undefined) {
      let oidcSecretName: string | undefined;
      if (expose.oidc && args.oidcClientSecret !== undefined) {
        // The controller reads the client ID and secret from this Secret (its documented key names).
        oidcSecretName = "frontend-oidc";
        new k8s.core.v1.Secret(
          `${name}-oidc`,
          {
            metadata: { name: oidcSecretName, namespace: args.namespace, labels },
            type: "Opaque",
            stringData: { clientID: expose.oidc.clientId, clientSecret: pulumi.secret(args.oidcClientSecret) },
          },
          childOpts,
        );
      }
      const alb = { expose: { ...expose, certificateArn: expose.certificateArn }, oidcSecretName, healthCheckPath: "/healthz", name: albName(args.stack, expose) };
      annotations = pulumi.all(args.alb.subnetIds).apply((subnetIds) => albAnnotations({ ...alb, subnetIds }));
    }
    return new k8s.networking.v1.Ingress(
      name,
      {
        metadata: { name: FRONTEND_INGRESS_NAME, namespace: args.namespace, labels, annotations },
        spec: {
          ingressClassName: args.alb ? "alb" : expose.className,
          tls: expose.tlsSecretName ? [{ hosts: [expose.host], secretName: expose.tlsSecretName }] : undefined,
          rules: [
            {
              host: expose.host,
              http: {
                paths: [
                  {
                    path: "/",
                    pathType: "Prefix",
                    // With a canary on the ALB, Argo Rollouts writes the weighted forward action of this Service
                    // into the annotation `use-annotation` points the ALB controller to (docs/delivery.md).
                    backend: { service: { name: this.workload.service.metadata.name, port: { name: args.canary?.alb ? "use-annotation" : "http" } } },
                  },
                ],
              },
            },
          ],
        },
      },
      { ...childOpts, dependsOn: args.alb ? [args.alb.controller] : [] },
    );
  }
}
