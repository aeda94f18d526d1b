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
}

/**
 * An internet-facing ALB sending traffic straight to the pods (target type `ip`, so the frontend's NetworkPolicy can
 * admit the VPC's range rather than every node), HTTPS on 443 with the ACM certificate, and port 80 only to
 * redirect to it. The user's own annotations come last and win.
 */
export function albAnnotations({ expose, oidcSecretName, healthCheckPath }: AlbAnnotationArgs): Record<string, string> {
  const oidc = expose.oidc;
  return {
    [`${PREFIX}/scheme`]: "internet-facing",
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
  };
}
