/** How the chat frontend is reached from outside the cluster. */
import { z } from "zod";
import { realArn } from "./arn";
import { ipv4Cidr } from "./network-policies";

const annotations = z.record(z.string(), z.string()).default({});

const namespaceName = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: "expected a Kubernetes namespace name (lower case letters, digits, '-')" });

const hostName = z.string({ error: "expected a DNS host name such as chat.example.com" }).regex(/^(?=.{1,253}$)([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/, {
  message: "expected a DNS host name such as chat.example.com",
});

const httpsUrl = z.url({ protocol: /^https$/, message: "expected an https URL" });

/**
 * Sign-in in front of the chat with the ALB's own `authenticate-oidc` action: users who are not signed in never
 * reach the frontend, so a paid API key behind it is not open to the internet. The client secret is the secret
 * `oidcClientSecret`.
 */
const oidcSchema = z.strictObject({
  issuer: httpsUrl,
  authorizationEndpoint: httpsUrl,
  tokenEndpoint: httpsUrl,
  userInfoEndpoint: httpsUrl,
  clientId: z.string({ error: "expected the OIDC client ID" }).min(1),
  /** Scopes asked for; the ALB's default is `openid`. */
  scope: z.string().min(1).default("openid"),
});

export const exposureSchema = z
  .discriminatedUnion(
    "type",
    [
      /** In-cluster only; reach it with `kubectl port-forward`. The cheap choice for dev. */
      z.strictObject({ type: z.literal("ClusterIP") }),
      /** A cloud load balancer in front of the frontend Service: plain TCP, so never in production. */
      z.strictObject({
        type: z.literal("LoadBalancer"),
        annotations,
        /** Client ranges the load balancer (and the frontend's NetworkPolicy) admit. */
        sourceRanges: z.array(ipv4Cidr).min(1, { message: "expected at least one CIDR" }).default(["0.0.0.0/0"]),
      }),
      /**
       * An Ingress for `host`. On eks the stack's AWS Load Balancer Controller serves it as an ALB with an ACM
       * certificate (HTTPS only, HTTP redirected); on an existing cluster the cluster's own controller does.
       */
      z.strictObject({
        type: z.literal("Ingress"),
        host: hostName,
        /** Existing cluster: the IngressClass of its controller; on eks the stack's `alb`. */
        className: z.string().min(1).optional(),
        /** Existing cluster: Secret holding the TLS certificate for `host`; without it the Ingress serves plain HTTP. */
        tlsSecretName: z.string().min(1).optional(),
        /** eks: ARN of the ACM certificate the ALB serves for `host`. */
        certificateArn: realArn(
          z.string().regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/, {
            message: "expected an ACM certificate ARN such as arn:aws:acm:us-west-2:<account>:certificate/<id>",
          }),
          "ACM certificate",
        ).optional(),
        /** Existing cluster: namespace of the ingress controller's pods, the only ones the frontend admits. */
        controllerNamespace: namespaceName.optional(),
        /** Existing cluster: labels of those pods (every pod of that namespace when absent). */
        controllerPodLabels: z.record(z.string(), z.string()).optional(),
        /** eks: OIDC sign-in in front of the chat (the ALB's authenticate-oidc action). */
        oidc: oidcSchema.optional(),
        annotations,
      }),
      /**
       * Existing cluster: an HTTPRoute for `host` on the cluster's own Gateway (Gateway API). The Gateway and its
       * listeners are the cluster's; the stack only attaches the route.
       */
      z.strictObject({
        type: z.literal("Gateway"),
        host: hostName,
        gatewayName: z.string({ error: "expected the name of the cluster's Gateway" }).min(1),
        gatewayNamespace: namespaceName,
        /** The listener to attach to (the Gateway's HTTPS one); every listener that admits the route when absent. */
        sectionName: z.string().min(1).optional(),
        /** That listener terminates TLS: the stack cannot see a Gateway it does not own, so config says so. */
        https: z.boolean({ error: "expected true or false" }).default(false),
        /** Namespace of the Gateway's data-plane pods, the only ones the frontend admits. */
        controllerNamespace: namespaceName.optional(),
        /** Labels of those pods (every pod of that namespace when absent). */
        controllerPodLabels: z.record(z.string(), z.string()).optional(),
      }),
    ],
    { error: 'expected type to be one of "ClusterIP", "LoadBalancer", "Ingress", "Gateway"' },
  )
  .prefault({ type: "ClusterIP" });

export type ExposureConfig = z.output<typeof exposureSchema>;
export type IngressExposure = Extract<ExposureConfig, { type: "Ingress" }>;
export type GatewayExposure = Extract<ExposureConfig, { type: "Gateway" }>;
