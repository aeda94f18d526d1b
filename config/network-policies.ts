/**
 * NetworkPolicies of the app namespace: on (default deny, then exactly the paths the assistant needs) unless the
 * cluster's network plugin ignores them. The CIDR lists say where the two internet-bound paths may go.
 */
import { z } from "zod";

const CIDR_MESSAGE = "expected an IPv4 CIDR such as 0.0.0.0/0 or 203.0.113.0/24";

/** An IPv4 CIDR whose address is the network's own (no host bits set), as the NetworkPolicy API requires. */
export const ipv4Cidr = z.string({ error: CIDR_MESSAGE }).refine(isNetworkCidr, { message: CIDR_MESSAGE });

function isNetworkCidr(text: string): boolean {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!match) return false;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((octet) => octet > 255) || prefix > 32) return false;
  const address = octets.reduce((value, octet) => value * 256 + octet, 0);
  return address % 2 ** (32 - prefix) === 0;
}

/**
 * Private, shared and link-local ranges: where pods, nodes, the VPC and the instance metadata service live. The
 * internet-bound egress rules never reach them, so "443 to the internet" cannot become "443 to the cluster".
 */
export const DEFAULT_PRIVATE_CIDRS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"];

const labels = z.record(z.string(), z.string());

export const networkPoliciesSchema = z
  .strictObject({
    /** Off for clusters whose network plugin does not enforce NetworkPolicies (see docs/network-and-access.md). */
    enabled: z.boolean({ error: "expected true or false" }).default(true),
    /** Where the backend may open HTTPS connections to the hosted LLM API. */
    hostedApiCidrs: z.array(ipv4Cidr).min(1, { message: "expected at least one CIDR" }).default(["0.0.0.0/0"]),
    /** Ranges the internet-bound rules leave out; on eks the VPC's CIDR is always added. */
    privateCidrs: z.array(ipv4Cidr).default(DEFAULT_PRIVATE_CIDRS),
    modelHub: z
      .strictObject({
        /** Model servers may pull weights (Hugging Face, the Ollama registry) on 443; turn off once caches are full. */
        enabled: z.boolean({ error: "expected true or false" }).default(true),
        cidrs: z.array(ipv4Cidr).min(1, { message: "expected at least one CIDR" }).default(["0.0.0.0/0"]),
      })
      .prefault({}),
    /**
     * Node ranges admitted to every pod, for kubelet probes on plugins that do not exempt a pod's own node as the
     * NetworkPolicy API intends (kind's kube-network-policies before its fix, k3s's kube-router). Empty: none needed.
     */
    probeSourceCidrs: z.array(ipv4Cidr).default([]),
    /** The cluster DNS pods every pod may query on port 53 (CoreDNS on EKS, kind, minikube). */
    dns: z
      .strictObject({
        namespace: z.string().min(1).default("kube-system"),
        podLabels: labels.default({ "k8s-app": "kube-dns" }),
      })
      .prefault({}),
  })
  .prefault({});

export type NetworkPoliciesConfig = z.output<typeof networkPoliciesSchema>;
