/**
 * NetworkPolicy building blocks shared by the components that own pods (app and model servers): each component
 * writes the one policy that selects its own pods, naming exactly who may reach them and whom they may reach. The
 * namespace's default deny (components/app/namespace.ts) closes everything else.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type NetworkPolicyPort = k8s.types.input.networking.v1.NetworkPolicyPort;

/** Pods by labels; in another namespace when `namespace` is set, else in the policy's own. */
export interface PodPeer {
  namespace?: string;
  podLabels: Record<string, string>;
}

/** A set of pods on a port: what a component may reach, or who may reach it. */
export interface PodEndpoint extends PodPeer {
  port: number;
}

/** One allowed path: these peers, on these TCP (and UDP) ports. */
export interface PolicyRule {
  peers: pulumi.Input<pulumi.Input<NetworkPolicyPeer>[]>;
  ports: NetworkPolicyPort[];
}

export interface PolicyRules {
  /** Who may connect to the selected pods. An empty list admits no one. */
  ingress: PolicyRule[];
  /** Where the selected pods may connect to (cluster DNS is allowed namespace-wide). An empty list allows nothing. */
  egress: PolicyRule[];
}

/** The label every namespace carries since Kubernetes 1.22; namespace selectors match on it. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

export function tcp(port: number): NetworkPolicyPort {
  return { protocol: "TCP", port };
}

export function udp(port: number): NetworkPolicyPort {
  return { protocol: "UDP", port };
}

export function podPeer(peer: PodPeer): NetworkPolicyPeer {
  return {
    podSelector: { matchLabels: peer.podLabels },
    ...(peer.namespace !== undefined && { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: peer.namespace } } }),
  };
}

export function namespacePeer(namespace: string): NetworkPolicyPeer {
  return { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } } };
}

/** Rule to reach `endpoint`'s pods on its port. */
export function toPods(endpoint: PodEndpoint): PolicyRule {
  return { peers: [podPeer(endpoint)], ports: [tcp(endpoint.port)] };
}

/** Addresses outside the cluster: each CIDR, with every private range inside it cut out. */
export function internetPeers(cidrs: string[], privateCidrs: pulumi.Input<pulumi.Input<string>[]>): pulumi.Output<NetworkPolicyPeer[]> {
  return pulumi.output(privateCidrs).apply((excluded) =>
    cidrs.map((cidr) => {
      // The API accepts an `except` only strictly inside its `cidr`.
      const except = [...new Set(excluded)].filter((inner) => strictlyContains(cidr, inner)).sort();
      return { ipBlock: { cidr, ...(except.length > 0 && { except }) } };
    }),
  );
}

function parseCidr(cidr: string): { base: number; prefix: number } {
  const [address, prefix] = cidr.split("/");
  const base = address.split(".").reduce((value, octet) => value * 256 + Number(octet), 0);
  return { base, prefix: Number(prefix) };
}

/** True when `inner` is a smaller range inside `outer`. */
export function strictlyContains(outer: string, inner: string): boolean {
  const a = parseCidr(outer);
  const b = parseCidr(inner);
  if (b.prefix <= a.prefix) return false;
  const size = 2 ** (32 - a.prefix);
  return Math.floor(b.base / size) === Math.floor(a.base / size);
}

export interface WorkloadNetworkPolicyArgs {
  namespace: pulumi.Input<string>;
  labels: Record<string, string>;
  /** Labels of the pods the policy applies to: the workload's own. */
  podLabels: Record<string, string>;
  rules: PolicyRules;
}

/** The one NetworkPolicy of a workload: both directions, so that nothing it does is allowed by accident. */
export function workloadNetworkPolicy(
  name: string,
  objectName: string,
  args: WorkloadNetworkPolicyArgs,
  opts: pulumi.CustomResourceOptions,
): k8s.networking.v1.NetworkPolicy {
  const rule = ({ peers, ports }: PolicyRule) => ({ from: peers, ports });
  return new k8s.networking.v1.NetworkPolicy(
    name,
    {
      metadata: { name: objectName, namespace: args.namespace, labels: args.labels },
      spec: {
        podSelector: { matchLabels: args.podLabels },
        policyTypes: ["Ingress", "Egress"],
        ingress: args.rules.ingress.map(rule),
        egress: args.rules.egress.map(({ peers, ports }) => ({ to: peers, ports })),
      },
    },
    opts,
  );
}
