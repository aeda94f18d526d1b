import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LOAD_BALANCER_CONTROLLER_REPLICAS, LOAD_BALANCER_CONTROLLER_RESOURCES } from "../../config/system-pool";
import { OidcIdentity, serviceAccountTrustPolicy } from "./iam";
import { IamRole } from "./iam-role";
// AWS's own policy for the controller, verbatim (see policies/README.md for its source and version).
import controllerPolicy from "./policies/aws-load-balancer-controller-iam-policy.json";

export const LOAD_BALANCER_CONTROLLER_CHART = { chart: "aws-load-balancer-controller", repo: "https://aws.github.io/eks-charts" } as const;

/** The controller's ServiceAccount, which the IRSA role trusts. */
export const LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT = { namespace: "kube-system", name: "aws-load-balancer-controller" } as const;

export interface LoadBalancerControllerArgs {
  /** AWS provider of the stack's account and region. */
  provider: aws.Provider;
  /** Provider of the cluster the controller runs in. */
  kubernetesProvider: k8s.Provider;
  clusterName: pulumi.Input<string>;
  region: string;
  /** The VPC the ALBs are made in (given, so the controller does not need the instance metadata service). */
  vpcId: pulumi.Input<string>;
  /** The cluster's OIDC identity, which the controller's IRSA role trusts. */
  oidc: OidcIdentity;
  /** eks-charts' aws-load-balancer-controller chart version, exact. */
  chartVersion: string;
}

/**
 * The AWS Load Balancer Controller: it turns the frontend's Ingress into an ALB (HTTPS with an ACM certificate,
 * targets the pods by IP) and LoadBalancer Services into NLBs. It calls AWS, so it alone gets an IRSA role, with
 * the IAM policy AWS publishes for it.
 *
 * A `helm.v3.Release`, unlike the other charts: the chart makes its webhook's TLS certificate with Helm's genCA at
 * template time, so a `helm.v4.Chart` (rendered anew on every preview) would show a new certificate, and replace the
 * webhook's CA bundle, on every `pulumi up`. A Release renders once per change, and `keepTLSSecret` reuses the
 * certificate across upgrades.
 */
export class LoadBalancerController extends pulumi.ComponentResource {
  public readonly role: IamRole;
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: LoadBalancerControllerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:kubernetes:LoadBalancerController", name, {}, opts);
    const account = LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT;
    this.role = new IamRole(name, {
      provider: args.provider,
      trustPolicy: serviceAccountTrustPolicy(args.oidc, [`${account.namespace}:${account.name}`]),
      managedPolicyArns: [],
      // No AWS-managed policy covers the controller; AWS publishes this one for it (5.2 kB, within an inline policy's limit).
      inlinePolicy: JSON.stringify(controllerPolicy),
      description: "AWS Load Balancer Controller of the ai-assistant cluster (IRSA)",
    }, { parent: this });

    this.release = new k8s.helm.v3.Release(
      name,
      {
        chart: LOAD_BALANCER_CONTROLLER_CHART.chart,
        version: args.chartVersion,
        repositoryOpts: { repo: LOAD_BALANCER_CONTROLLER_CHART.repo },
        name: "aws-load-balancer-controller",
        namespace: account.namespace,
        values: {
          clusterName: args.clusterName,
          region: args.region,
          vpcId: args.vpcId,
          serviceAccount: {
            create: true,
            name: account.name,
            annotations: { "eks.amazonaws.com/role-arn": this.role.arn },
          },
          keepTLSSecret: true,
          // Two replicas behind the webhook; one leads, the other takes over. The system pool's capacity rule counts them.
          replicaCount: LOAD_BALANCER_CONTROLLER_REPLICAS,
          resources: LOAD_BALANCER_CONTROLLER_RESOURCES,
          createIngressClassResource: true,
          ingressClass: "alb",
          // Off: the chart's Service mutating webhook (mservice.elbv2.k8s.aws, failurePolicy Fail, every Service in
          // every namespace) would refuse the Services of Karpenter, KEDA, kube-prometheus-stack and the rest with
          // "no endpoints available" until the controller's pods are ready, and Pulumi does not retry that on a first
          // up (aws-load-balancer-controller#4140). It only makes the controller the default for LoadBalancer
          // Services, and the stack has none: the frontend is an Ingress. Its other webhooks need no ordering: the
          // pod mutator (readiness gate) answers only in namespaces labelled for it and fails open (Ignore); the
          // Ingress and TargetGroupBinding validators match only those kinds, which wait for this release.
          // verified: aws/eks-charts stable/aws-load-balancer-controller 3.5.0 (5239609) templates/webhook.yaml and
          // values.yaml (enableServiceMutatorWebhook: true, serviceMutatorWebhookConfig.failurePolicy: Fail,
          // podMutatorWebhookConfig.failurePolicy: Ignore).
          enableServiceMutatorWebhook: false,
        },
      },
      { parent: this, provider: args.kubernetesProvider, dependsOn: [this.role] },
    );
    this.registerOutputs({});
  }
}
