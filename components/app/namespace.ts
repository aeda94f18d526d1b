import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { recommendedLabels, stackLabels } from "../../lib/labels";
import { podSecurityLabels } from "../../lib/pod-security";
import { podPeer, tcp, udp } from "../../lib/network-policy";

export interface AppNamespaceArgs {
  /** Provider of the target cluster. */
  provider: k8s.Provider;
  /** Namespace name, from config. */
  name: string;
  /** Stack name, for the instance label. */
  stack: string;
  /**
   * Production: the namespace is left in the cluster when the stack is destroyed, because deleting it would
   * delete the model caches inside it, which must survive a destroy.
   */
  production: boolean;
  /**
   * The frontend is an ALB's IP target (EKS Ingress): the AWS Load Balancer Controller injects its pod readiness gate
   * into pods of a namespace with this label, so a rollout keeps old pods until the new ones are healthy in the target
   * group (no 502s while targets register). verified: kubernetes-sigs/aws-load-balancer-controller
   * docs/deploy/pod_readiness_gate.md (v3.x), eks-charts 3.5.0 templates/webhook.yaml (mpod.elbv2.k8s.aws selector).
   */
  albReadinessGate?: boolean;
  /**
   * The cluster DNS pods, when NetworkPolicies are on: every pod is denied all traffic except DNS to these, and the
   * workloads' own policies open the rest. Absent: no NetworkPolicy at all (a plugin that would ignore them).
   */
  networkPolicies?: {
    dns: { namespace: string; podLabels: Record<string, string> };
    /** Node ranges admitted to every pod for kubelet probes, where the plugin does not exempt the node itself. */
    probeSourceCidrs: string[];
  };
}

/** Label a production stack puts on its namespace; the policy pack (policy/) applies its production rules there. */
export const PRODUCTION_LABEL = "ai-assistant.io/production";

/** The namespace label that makes the AWS Load Balancer Controller's webhook inject its readiness gate into pods. */
export const ALB_READINESS_GATE_LABEL = "elbv2.k8s.aws/pod-readiness-gate-inject";

/**
 * The namespace the assistant runs in. It enforces the Pod Security Standards "restricted" profile, so the API
 * server itself rejects a pod that would run as root or with extra capabilities, and (unless switched off) denies
 * every pod all traffic but DNS: each workload's component opens the paths it needs and no more.
 */
export class AppNamespace extends pulumi.ComponentResource {
  /** The namespace's name, known once it exists: depend on it to order workloads after it. */
  public readonly name: pulumi.Output<string>;

  constructor(name: string, args: AppNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:kubernetes:AppNamespace", name, {}, opts);
    const labels = stackLabels(args.stack);
    const namespace = new k8s.core.v1.Namespace(
      name,
      {
        metadata: {
          name: args.name,
          labels: {
            ...labels,
            ...podSecurityLabels("restricted"),
            ...(args.production && { [PRODUCTION_LABEL]: "true" }),
            ...(args.albReadinessGate && { [ALB_READINESS_GATE_LABEL]: "enabled" }),
          },
        },
      },
      { parent: this, provider: args.provider, retainOnDelete: args.production },
    );
    this.name = namespace.metadata.name;

    if (args.networkPolicies) {
      const childOpts = { parent: this, provider: args.provider };
      const policyLabels = recommendedLabels({ component: "network-policy", stack: args.stack });
      // Every pod, both directions: what no workload policy allows is refused.
      new k8s.networking.v1.NetworkPolicy(
        `${name}-default-deny`,
        {
          metadata: { name: "default-deny", namespace: this.name, labels: policyLabels },
          spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        },
        childOpts,
      );
      const dns = args.networkPolicies.dns;
      new k8s.networking.v1.NetworkPolicy(
        `${name}-allow-dns`,
        {
          metadata: { name: "allow-dns", namespace: this.name, labels: policyLabels },
          spec: {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [{ to: [podPeer(dns)], ports: [udp(53), tcp(53)] }],
          },
        },
        childOpts,
      );
      const probeSources = args.networkPolicies.probeSourceCidrs;
      if (probeSources.length > 0) {
        new k8s.networking.v1.NetworkPolicy(
          `${name}-allow-node-probes`,
          {
            metadata: { name: "allow-node-probes", namespace: this.name, labels: policyLabels },
            spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: probeSources.map((cidr) => ({ ipBlock: { cidr } })) }] },
          },
          childOpts,
        );
      }
    }
    this.registerOutputs({ name: this.name });
  }
}
