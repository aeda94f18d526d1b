import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EksClusterConfig } from "../../config/cluster";
import { MANAGED_POLICIES, OidcIdentity } from "./iam";
import { eksKubeconfig } from "./kubeconfig";
import { PART_OF } from "../../lib/labels";
import { ClusterStorage } from "./cluster-storage";
import { EcrSettings } from "../images/container-images";
import { ControlPlane } from "./control-plane";
import { GpuSupport } from "./gpu-support";
import { Network } from "./network";
import { NodePools } from "./node-pools";
import { ServiceAccountAddon } from "./service-account-addon";
import { MetricsServer } from "./metrics-server";
import { Karpenter } from "./karpenter";
import { GpuNodePool } from "./gpu-node-pool";
import { CpuNodePool } from "./cpu-node-pool";
import { DockerHubCache } from "./docker-hub-cache";
import { LoadBalancerController } from "./load-balancer-controller";

export interface EksClusterArgs {
  /** Region, version, network, node pools and add-on settings from the stack config. */
  cluster: EksClusterConfig;
  /** Stack name; the cluster is named after it. */
  stack: string;
  /** A production stack: deletion protection on the cluster, volumes and images kept. */
  production: boolean;
  /** Labels of the GPU nodes: the model server's node selector. */
  gpuNodeSelector: Record<string, string>;
  /** The Docker Hub login of the pull-through cache, when `registry.dockerHubCache` is on. */
  dockerHubLogin?: { username: pulumi.Input<string>; accessToken: pulumi.Input<string> };
}

/** The public subnets an ALB is pinned to, and the ARN prefix of the ALBs of this account and region. */
export interface AlbPlacement {
  subnetIds: pulumi.Output<string>[];
  /** Their CIDRs: the only addresses an ALB in them sends from. */
  subnetCidrs: pulumi.Output<string>[];
  region: string;
  /** `arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/app/`; the ALB's name and ID follow. */
  arnPrefix: pulumi.Output<string>;
}

/**
 * An EKS cluster the stack owns, ready for GPU model serving: network, control plane (secrets encrypted with its
 * own KMS key, control-plane logs in CloudWatch), CPU and GPU node pools, NVIDIA's device plugin and storage.
 * `provider` is built from this cluster's kubeconfig, so nothing it deploys can land on another cluster.
 */
export class EksCluster extends pulumi.ComponentResource {
  /** Kubernetes provider of this cluster; every Kubernetes resource of the stack uses it. */
  public readonly provider: k8s.Provider;
  /** AWS provider of the stack's account and region. */
  public readonly awsProvider: aws.Provider;
  public readonly clusterName: pulumi.Output<string>;
  /** kubeconfig that gets its token from `aws eks get-token`; secret. */
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly oidc: OidcIdentity;
  /** Where the stack pushes the images it builds. */
  public readonly imageRegistry: EcrSettings;
  /** The StorageClasses the stack creates; whatever claims storage depends on them. */
  public readonly storageClasses: pulumi.Resource[];
  /** The VPC's CIDR: internet-bound NetworkPolicy rules leave it out. */
  public readonly vpcCidr: pulumi.Output<string>;
  /** The AWS Load Balancer Controller, which serves Ingresses as ALBs. */
  public readonly loadBalancerController: LoadBalancerController;
  /** Where Docker Hub images are pulled through ECR (`<registry>/<prefix>`), when the cache is on. */
  public readonly dockerHubMirror?: pulumi.Output<string>;
  /** Where an internet-facing ALB of this cluster lives, and what its ARN starts with. */
  public readonly albPlacement: AlbPlacement;

  constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:cluster:EksCluster", name, {}, opts);
    const config = args.cluster;
    const clusterName = `${PART_OF}-${args.stack}`;
    this.awsProvider = new aws.Provider(`${name}-aws`, {
      region: config.region as aws.Region,
      defaultTags: { tags: { "app.kubernetes.io/part-of": PART_OF, "ai-assistant.io/stack": args.stack, "managed-by": "pulumi" } },
    }, { parent: this });
    const provider = this.awsProvider;

    const network = new Network(`${name}-network`, { provider, network: config.network, clusterName }, { parent: this });

    const controlPlane = new ControlPlane(name, {
      provider,
      clusterName,
      config,
      subnetIds: network.privateSubnetIds,
      production: args.production,
    }, { parent: this });
    const cluster = controlPlane.cluster;
    this.clusterName = cluster.name;
    this.oidc = controlPlane.oidc;

    // Before any node joins, so that aws-node starts with its own role rather than needing the node's.
    const cni = new ServiceAccountAddon(`${name}-vpc-cni`, {
      provider,
      clusterName: cluster.name,
      oidc: this.oidc,
      addonName: "vpc-cni",
      serviceAccounts: ["kube-system:aws-node"],
      managedPolicyArn: MANAGED_POLICIES.eksCni,
      description: `VPC CNI of EKS cluster ${clusterName} (IRSA)`,
      // The network policy agent: without it the VPC CNI ignores NetworkPolicies, and the app's default deny is a
      // document rather than a rule. verified: aws/amazon-vpc-cni-k8s charts/aws-vpc-cni values.yaml
      // (enableNetworkPolicy, a string), whose values the add-on's configuration mirrors.
      configurationValues: JSON.stringify({ enableNetworkPolicy: "true" }),
    }, { parent: this });

    const nodes = new NodePools(`${name}-nodes`, {
      provider,
      clusterName: cluster.name,
      subnetIds: network.privateSubnetIds,
      systemNodes: config.systemNodes,
      gpuNodes: config.gpuNodes,
      gpuNodeLabels: args.gpuNodeSelector,
    }, { parent: this, dependsOn: [cni] });

    this.kubeconfig = eksKubeconfig({
      name: cluster.name,
      endpoint: cluster.endpoint,
      certificateAuthority: cluster.certificateAuthority.apply((ca) => ca.data ?? ""),
      region: config.region,
    });
    // Workloads wait for the CPU nodes, or their rollouts would time out on a cluster with nowhere to run them.
    this.provider = new k8s.Provider(name, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, { parent: this, dependsOn: [nodes.system] });

    const storage = new ClusterStorage(`${name}-storage`, {
      provider,
      kubernetesProvider: this.provider,
      clusterName: cluster.name,
      oidc: this.oidc,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      nodeSecurityGroupId: cluster.vpcConfig.apply((vpc) => vpc.clusterSecurityGroupId),
      efs: config.storage.efs,
      production: args.production,
      nodes: [nodes.system],
    }, { parent: this });

    this.storageClasses = storage.classes;

    new MetricsServer(`${name}-metrics-server`, { kind: "eks-addon", provider, clusterName: cluster.name, dependsOn: [nodes.system] }, { parent: this });

    const nodeRoleNames: pulumi.Output<string>[] = [nodes.role.name];
    if (config.karpenter.enabled) {
      const karpenter = new Karpenter(`${name}-karpenter`, {
        provider,
        kubernetesProvider: this.provider,
        clusterName: cluster.name,
        region: config.region,
        oidc: this.oidc,
        chartVersion: config.karpenter.chartVersion,
        systemNodeCount: config.systemNodes.minSize,
      }, { parent: this });
      nodeRoleNames.push(karpenter.nodeRole.name);
      new GpuNodePool(`${name}-gpu-pool`, {
        provider: this.provider,
        pool: config.karpenter.gpuPool,
        amiVersion: config.karpenter.amiVersion,
        nodeRoleName: karpenter.nodeRole.name,
        // One zone by default, the fixed GPU group's too: a gp3 model cache is created where the first GPU node is.
        // More (gpuPool.zones) only with an EFS cache, which every zone reaches (the config rule sees to it).
        subnetIds: network.privateSubnetIds.slice(0, config.karpenter.gpuPool.zones),
        zones: network.privateSubnetZones.slice(0, config.karpenter.gpuPool.zones),
        securityGroupId: cluster.vpcConfig.apply((vpc) => vpc.clusterSecurityGroupId),
        gpuNodeLabels: args.gpuNodeSelector,
        tags: { "app.kubernetes.io/part-of": PART_OF, "ai-assistant.io/stack": args.stack },
        dependsOn: [karpenter.chart, karpenter.nodeAccess],
      }, { parent: this });
      if (config.karpenter.cpuPool.enabled) {
        new CpuNodePool(`${name}-cpu-pool`, {
          provider: this.provider,
          pool: config.karpenter.cpuPool,
          amiVersion: config.karpenter.amiVersion,
          nodeRoleName: karpenter.nodeRole.name,
          subnetIds: network.privateSubnetIds,
          securityGroupId: cluster.vpcConfig.apply((vpc) => vpc.clusterSecurityGroupId),
          tags: { "app.kubernetes.io/part-of": PART_OF, "ai-assistant.io/stack": args.stack },
          dependsOn: [karpenter.chart, karpenter.nodeAccess],
        }, { parent: this });
      }
    }

    if (config.registry.dockerHubCache && args.dockerHubLogin) {
      const cache = new DockerHubCache(`${name}-docker-hub-cache`, { provider, stack: args.stack, region: config.region, ...args.dockerHubLogin, nodeRoleNames }, { parent: this });
      this.dockerHubMirror = cache.mirror;
    }

    new GpuSupport(`${name}-gpu`, {
      provider: this.provider,
      chartVersion: config.devicePlugin.chartVersion,
      gpuNodeSelector: args.gpuNodeSelector,
    }, { parent: this });

    this.vpcCidr = network.cidrBlock;
    const awsOpts = { parent: this, provider };
    const account = aws.getCallerIdentityOutput({}, awsOpts).accountId;
    const partition = aws.getPartitionOutput({}, awsOpts).partition;
    this.albPlacement = {
      subnetIds: network.publicSubnetIds,
      subnetCidrs: network.publicSubnetCidrs,
      region: config.region,
      arnPrefix: pulumi.interpolate`arn:${partition}:elasticloadbalancing:${config.region}:${account}:loadbalancer/app/`,
    };
    this.loadBalancerController = new LoadBalancerController(`${name}-load-balancer-controller`, {
      provider,
      kubernetesProvider: this.provider,
      clusterName: cluster.name,
      region: config.region,
      vpcId: network.vpcId,
      oidc: this.oidc,
      chartVersion: config.loadBalancerController.chartVersion,
    }, { parent: this });

    this.imageRegistry = {
      provider,
      repositoryPrefix: `${PART_OF}/${args.stack}`,
      production: args.production,
      untaggedImageExpiryDays: config.registry.untaggedImageExpiryDays,
    };
    this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig });
  }
}
