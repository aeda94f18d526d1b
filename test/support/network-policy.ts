/**
 * A small evaluator of Kubernetes NetworkPolicies, for asking a render "may A connect to B on port P?". It follows
 * the API's semantics: a pod selected by no policy of a direction is open in it; a selected pod admits only what one
 * of those policies' rules allows; a connection needs both the source's egress and the destination's ingress.
 * Sources and destinations outside the cluster are plain addresses, matched by ipBlock alone.
 */
import type { K8sObject } from "./render";

export interface PodEndpoint {
  namespace: string;
  labels: Record<string, string>;
}

export type Endpoint = PodEndpoint | { ip: string };

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
type Peer = { podSelector?: Selector; namespaceSelector?: Selector; ipBlock?: { cidr: string; except?: string[] } };
type Rule = { from?: Peer[]; to?: Peer[]; ports?: { protocol?: string; port?: number | string; endPort?: number }[] };

function selects(selector: Selector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpressions = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case "In":
        return key in labels && values.includes(labels[key]);
      case "NotIn":
        return !(key in labels) || !values.includes(labels[key]);
      case "Exists":
        return key in labels;
      case "DoesNotExist":
        return !(key in labels);
      default:
        throw new Error(`unknown selector operator ${operator}`);
    }
  });
  return byLabels && byExpressions;
}

function toNumber(address: string): number {
  return address.split(".").reduce((value, octet) => value * 256 + Number(octet), 0);
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base, prefix] = cidr.split("/");
  const size = 2 ** (32 - Number(prefix));
  return Math.floor(toNumber(ip) / size) === Math.floor(toNumber(base) / size);
}

const isPod = (endpoint: Endpoint): endpoint is PodEndpoint => "namespace" in endpoint;

function peerMatches(peer: Peer, endpoint: Endpoint, policyNamespace: string): boolean {
  if (peer.ipBlock) {
    if (isPod(endpoint)) return false;
    return inCidr(endpoint.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((cidr) => inCidr(endpoint.ip, cidr));
  }
  if (!isPod(endpoint)) return false;
  const namespaceOk = peer.namespaceSelector
    ? selects(peer.namespaceSelector, { "kubernetes.io/metadata.name": endpoint.namespace })
    : endpoint.namespace === policyNamespace;
  return namespaceOk && selects(peer.podSelector, endpoint.labels);
}

function portMatches(rule: Rule, port: number, protocol: string): boolean {
  if (!rule.ports || rule.ports.length === 0) return true;
  return rule.ports.some((p) => {
    if ((p.protocol ?? "TCP") !== protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === "string") throw new Error("the evaluator resolves numeric ports only");
    return p.endPort === undefined ? p.port === port : port >= p.port && port <= p.endPort;
  });
}

export class NetworkPolicies {
  constructor(private readonly policies: K8sObject[]) {}

  private allows(direction: "Ingress" | "Egress", self: Endpoint, other: Endpoint, port: number, protocol: string): boolean {
    if (!isPod(self)) return true; // addresses outside the cluster run no NetworkPolicy
    const selecting = this.policies.filter(
      (policy) =>
        policy.metadata.namespace === self.namespace &&
        (policy.spec.policyTypes ?? ["Ingress"]).includes(direction) &&
        selects(policy.spec.podSelector, self.labels),
    );
    if (selecting.length === 0) return true;
    const key = direction === "Ingress" ? "ingress" : "egress";
    const peersKey = direction === "Ingress" ? "from" : "to";
    return selecting.some((policy) =>
      ((policy.spec[key] ?? []) as Rule[]).some((rule) => {
        const peers = rule[peersKey];
        const peerOk = !peers || peers.length === 0 || peers.some((peer) => peerMatches(peer, other, policy.metadata.namespace!));
        return peerOk && portMatches(rule, port, protocol);
      }),
    );
  }

  /** True when `from` may open a connection to `to` on `port`. */
  canConnect(from: Endpoint, to: Endpoint, port: number, protocol: "TCP" | "UDP" = "TCP"): boolean {
    return this.allows("Egress", from, to, port, protocol) && this.allows("Ingress", to, from, port, protocol);
  }
}
