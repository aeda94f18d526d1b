/** How the chat frontend is reached from outside the cluster. */
import { z } from "zod";

const annotations = z.record(z.string(), z.string()).default({});

export const exposureSchema = z
  .discriminatedUnion(
    "type",
    [
      /** In-cluster only; reach it with `kubectl port-forward`. The cheap choice for dev. */
      z.strictObject({ type: z.literal("ClusterIP") }),
      /** A cloud load balancer in front of the frontend Service. */
      z.strictObject({ type: z.literal("LoadBalancer"), annotations }),
      /** An Ingress for `host`, served by the cluster's ingress controller. */
      z.strictObject({
        type: z.literal("Ingress"),
        host: z.string({ error: "expected a DNS host name such as chat.example.com" }).regex(/^(?=.{1,253}$)([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/, {
          message: "expected a DNS host name such as chat.example.com",
        }),
        className: z.string().optional(),
        /** Secret holding the TLS certificate for `host`; without it the Ingress serves plain HTTP. */
        tlsSecretName: z.string().optional(),
        annotations,
      }),
    ],
    { error: 'expected type to be one of "ClusterIP", "LoadBalancer", "Ingress"' },
  )
  .prefault({ type: "ClusterIP" });

export type ExposureConfig = z.output<typeof exposureSchema>;
