/**
 * Annotations of the frontend's Ingress when the AWS Load Balancer Controller serves it as an ALB. Names and value
 * formats verified: kubernetes-sigs/aws-load-balancer-controller docs/guide/ingress/annotations.md at tag v3.5.0
 * (the appVersion of the chart the stack installs).
 */
import { IngressExposure } from "../../config/exposure";

const PREFIX = "alb.ingress.kubernetes.io";

/** TLS 1.3 and 1.2 only; the controller's default (ELBSecurityPolicy-2016-08) still accepts TLS 1.0. */
export const ALB_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

export interface AlbAnnotationArgs {
  expose: IngressExposure & { certificateArn: string };
  /** Name of the Secret holding the OIDC client ID and secret (keys clientID, clientSecret), when sign-in is on. */
  oidcSecretName?: string;
  /** Path the ALB's health checks request on the frontend's pods. */
  healthCheckPath: string;
  /** The public subnets the ALB lives in: the frontend's NetworkPolicy admits their ranges alone. */
  subnetIds: string[];
  /** The ALB's name, which its ARN (the `signer` of its OIDC headers) carries. */
  name: string;
}

/**
 * The client's address is appended to `X-Forwarded-For` (AWS's default mode, `append`, pinned), without its port,
 * so that the backend's rate limit finds it one hop before the frontend's (components/app/proxy-hops.ts). Attribute
 * names: docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html.
 */
export const ALB_ATTRIBUTES: Record<string, string> = {
  "routing.http.xff_header_processing.mode": "append",
  "routing.http.xff_client_port.enabled": "false",
};

/** The stack's attributes with the user's `load-balancer-attributes` (a `k=v,k=v` stringMap) over them. */
function attributes(userValue: string | undefined): string {
  const merged = { ...ALB_ATTRIBUTES };
  for (const pair of (userValue ?? "").split(",").filter((entry) => entry.includes("="))) {
    const at = pair.indexOf("=");
    merged[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return Object.entries(merged).map(([key, value]) => `${key}=${value}`).join(",");
}

/**
 * An internet-facing ALB in the stack's public subnets sending traffic straight to the pods (target type `ip`, so
 * the frontend's NetworkPolicy can admit the ALB's subnets rather than every node), HTTPS on 443 with the ACM certificate, and port 80 only to
 * redirect to it. The user's own annotations come last and win.
 */
export function albAnnotations({ expose, oidcSecretName, healthCheckPath, subnetIds, name }: AlbAnnotationArgs): Record<string, string> {
  const oidc = expose.oidc;
  return {
    [`${PREFIX}/scheme`]: "internet-facing",
    // Pinned rather than discovered by tag: an ALB in any other subnet would be refused by the NetworkPolicy.
    [`${PREFIX}/subnets`]: subnetIds.join(","),
    [`${PREFIX}/load-balancer-name`]: name,
    [`${PREFIX}/target-type`]: "ip",
    [`${PREFIX}/listen-ports`]: JSON.stringify([{ HTTP: 80 }, { HTTPS: 443 }]),
    [`${PREFIX}/ssl-redirect`]: "443",
    [`${PREFIX}/certificate-arn`]: expose.certificateArn,
    [`${PREFIX}/ssl-policy`]: ALB_SSL_POLICY,
    [`${PREFIX}/healthcheck-path`]: healthCheckPath,
    ...(oidc &&
      oidcSecretName && {
        [`${PREFIX}/auth-type`]: "oidc",
        [`${PREFIX}/auth-idp-oidc`]: JSON.stringify({
          issuer: oidc.issuer,
          authorizationEndpoint: oidc.authorizationEndpoint,
          tokenEndpoint: oidc.tokenEndpoint,
          userInfoEndpoint: oidc.userInfoEndpoint,
          secretName: oidcSecretName,
        }),
        [`${PREFIX}/auth-on-unauthenticated-request`]: "authenticate",
        [`${PREFIX}/auth-scope`]: oidc.scope,
      }),
    ...expose.annotations,
    [`${PREFIX}/load-balancer-attributes`]: attributes(expose.annotations[`${PREFIX}/load-balancer-attributes`]),
  };
}
