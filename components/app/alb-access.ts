/**
 * Who may reach the frontend when the stack's ALB serves it (eks), and how the frontend tells a request that came
 * through that ALB from one that did not. See docs/alb-way-in.md.
 *
 * - Network: the ALB is pinned to the public subnets (`alb.ingress.kubernetes.io/subnets`) and takes its addresses
 *   from them alone, so the frontend's NetworkPolicy admits those CIDRs and not the VPC, where every node and pod
 *   lives. (A NetworkPolicy cannot name a security group: the VPC CNI's network policy agent enforces the Kubernetes
 *   API, whose peers are pods, namespaces and ipBlocks. Security groups for pods is a separate, opt-in mechanism
 *   with instance-type limits; subnet CIDRs work on every node.)
 * - Identity: with OIDC on, the ALB signs every request's user claims (`x-amzn-oidc-data`, ES256, `signer` = the
 *   ALB's ARN). The frontend verifies them (services/frontend/src/alb-oidc.ts); for that it is told the region and the
 *   ARN prefix of its ALB, whose name the stack fixes with `alb.ingress.kubernetes.io/load-balancer-name`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { IngressExposure } from "../../config/exposure";
import { internetPeers } from "../../lib/network-policy";

type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;

const PREFIX = "alb.ingress.kubernetes.io";
export const LOAD_BALANCER_NAME_ANNOTATION = `${PREFIX}/load-balancer-name`;

/** The ALB the stack's AWS Load Balancer Controller makes for the frontend's Ingress (eks). */
export interface AlbSettings {
  /** The public subnets the ALB is pinned to (two zones at least). */
  subnetIds: pulumi.Input<string>[];
  /** Their CIDRs: an ALB in IP mode reaches the pods from addresses in its subnets, and from nowhere else. */
  subnetCidrs: pulumi.Input<string>[];
  /** The stack's region: the ALB's signing keys are served per region. */
  region: string;
  /** `arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/app/`, which the ALB's ARN starts with. */
  arnPrefix: pulumi.Input<string>;
  /** Ranges the frontend's key fetches must not reach (the internet-bound rule leaves them out). */
  privateCidrs: pulumi.Input<pulumi.Input<string>[]>;
  /** The controller: its admission webhook must answer before the Ingress can be created. */
  controller: pulumi.Resource;
}

/** The ALB's name: at most 32 letters, digits and hyphens, not ending in one (the controller rejects longer names). */
export function albName(stack: string, expose: IngressExposure): string {
  const chosen = expose.annotations[LOAD_BALANCER_NAME_ANNOTATION];
  if (chosen !== undefined) return chosen;
  return `ai-assistant-${stack}`.replace(/[^A-Za-z0-9-]/g, "-").slice(0, 32).replace(/-+$/, "");
}

/** NetworkPolicy peers of the ALB: its subnets' ranges, one ipBlock each. */
export function albPeers(alb: AlbSettings): pulumi.Input<NetworkPolicyPeer>[] {
  return alb.subnetCidrs.map((cidr) => ({ ipBlock: { cidr } }));
}

/** Where the ALB's public keys are served: `https://public-keys.auth.elb.<region>.amazonaws.com/<kid>`. */
export const ALB_KEYS_PORT = 443;

/**
 * The frontend's environment for verifying the ALB's signature: the region (for the key endpoint) and the signer it
 * accepts, `<arn prefix><name>/*` (the ALB's ID is AWS's to pick, its name is the stack's).
 */
export function albOidcEnv(alb: AlbSettings, name: string): { name: string; value: pulumi.Input<string> }[] {
  return [
    { name: "ALB_OIDC_REGION", value: alb.region },
    { name: "ALB_OIDC_SIGNER", value: pulumi.interpolate`${alb.arnPrefix}${name}/*` },
  ];
}

/** The frontend's egress to the ALB key endpoint: 443 outside the private ranges (its addresses are AWS's). */
export function albKeyEndpointPeers(alb: AlbSettings): pulumi.Output<NetworkPolicyPeer[]> {
  return internetPeers(["0.0.0.0/0"], alb.privateCidrs);
}
