import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ExposureConfig } from "../../config/exposure";
import { recommendedLabels } from "../../lib/labels";
import { PROBE_TIMINGS } from "../../lib/probes";
import { AppComponentArgs, AppWorkload } from "./app-workload";

/** The port the frontend server listens on in the pod (its image's PORT; the Deployment sets it too). */
export const FRONTEND_PORT = 8080;

export interface FrontendArgs extends AppComponentArgs {
  /** How users reach it: ClusterIP, LoadBalancer or Ingress. */
  expose: ExposureConfig;
  /** In-cluster URL of the backend API, which the frontend server forwards `/v1/*` to. */
  backendUrl: pulumi.Input<string>;
}

/**
 * The chat page and its small server (services/frontend), which forwards `/v1/*` to the backend so that the browser
 * talks to one origin; reachable from outside the cluster as configured.
 */
export class Frontend extends pulumi.ComponentResource {
  public readonly workload: AppWorkload;
  public readonly ingress?: k8s.networking.v1.Ingress;
  /** Where users open the chat: the Ingress URL, or the in-cluster URL for ClusterIP/LoadBalancer. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: FrontendArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:app:Frontend", name, {}, opts);
    const identity = { component: "frontend", stack: args.stack, version: args.version };
    const { expose } = args;

    this.workload = new AppWorkload(
      name,
      {
        provider: args.provider,
        namespace: args.namespace,
        identity,
        workload: args.workload,
        image: args.image,
        port: FRONTEND_PORT,
        health: { ready: "/healthz", live: "/healthz" },
        probeTiming: PROBE_TIMINGS.frontend,
        env: [
          { name: "PORT", value: String(FRONTEND_PORT) },
          { name: "BACKEND_URL", value: args.backendUrl },
        ],
        // The server writes nothing (it serves the page from memory); /tmp is all that is writable.
        writablePaths: ["/tmp"],
        serviceType: expose.type === "LoadBalancer" ? "LoadBalancer" : "ClusterIP",
        serviceAnnotations: expose.type === "LoadBalancer" ? expose.annotations : undefined,
      },
      { parent: this },
    );

    if (expose.type === "Ingress") {
      this.ingress = new k8s.networking.v1.Ingress(
        name,
        {
          metadata: {
            name: "frontend",
            namespace: args.namespace,
            labels: recommendedLabels(identity),
            annotations: expose.annotations,
          },
          spec: {
            ingressClassName: expose.className,
            tls: expose.tlsSecretName ? [{ hosts: [expose.host], secretName: expose.tlsSecretName }] : undefined,
            rules: [
              {
                host: expose.host,
                http: {
                  paths: [
                    {
                      path: "/",
                      pathType: "Prefix",
                      backend: { service: { name: this.workload.service.metadata.name, port: { name: "http" } } },
                    },
                  ],
                },
              },
            ],
          },
        },
        { parent: this, provider: args.provider },
      );
      this.url = pulumi.output(`${expose.tlsSecretName ? "https" : "http"}://${expose.host}/`);
    } else {
      this.url = this.workload.url;
    }
    this.registerOutputs({ url: this.url });
  }
}
