import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MANAGED_POLICIES, OidcIdentity } from "./iam";
import { NON_ROOT_ID } from "../../lib/pod-security";
import { ServiceAccountAddon } from "./service-account-addon";

/** StorageClass names workloads may ask for (`localModel.cache.storageClass`). */
export const STORAGE_CLASSES = { gp3: "gp3", efs: "efs" } as const;

/**
 * gp3 performance: 3000 IOPS is gp3's included baseline; 500 MiB/s (the baseline is 125) makes reading tens of GB
 * of weights at start take a minute rather than four, for about $15 a volume-month. The throughput-to-IOPS ratio
 * stays under gp3's 0.25 MiB/s per IOPS. Parameter names: kubernetes-sigs/aws-ebs-csi-driver docs/parameters.md.
 */
export const GP3_PERFORMANCE = { iops: "3000", throughput: "500" } as const;

export interface ClusterStorageArgs {
  /** AWS provider of the stack's account and region. */
  provider: aws.Provider;
  /** Provider of the cluster the StorageClasses are created in. */
  kubernetesProvider: k8s.Provider;
  clusterName: pulumi.Input<string>;
  /** The cluster's OIDC identity, which the CSI drivers' IRSA roles trust. */
  oidc: OidcIdentity;
  /** VPC of the cluster, for the EFS security group. */
  vpcId: pulumi.Input<string>;
  /** Private subnets, one EFS mount target in each. */
  subnetIds: pulumi.Input<string>[];
  /** Security group of the cluster's nodes; the only one allowed to reach EFS. */
  nodeSecurityGroupId: pulumi.Input<string>;
  /** Also create an EFS file system and an `efs` StorageClass (ReadWriteMany). */
  efs: boolean;
  /** A production stack keeps volumes when their claims are deleted. */
  production: boolean;
  /** Node groups the CSI controllers run on; the add-ons wait for them, or they would report degraded. */
  nodes: pulumi.Resource[];
}

/**
 * Storage for model caches: the EBS CSI driver and a gp3 StorageClass that is the cluster's default, and on
 * request EFS, so that several model-server replicas can share one ReadWriteMany cache.
 */
export class ClusterStorage extends pulumi.ComponentResource {
  public readonly defaultClass: k8s.storage.v1.StorageClass;
  public readonly efsClass?: k8s.storage.v1.StorageClass;
  /** Every StorageClass this component creates: what a claim must wait for. */
  public readonly classes: k8s.storage.v1.StorageClass[];

  constructor(name: string, args: ClusterStorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:kubernetes:ClusterStorage", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.kubernetesProvider };
    const reclaimPolicy = args.production ? "Retain" : "Delete";

    const ebsDriver = new ServiceAccountAddon(`${name}-ebs-csi`, {
      provider: args.provider,
      clusterName: args.clusterName,
      oidc: args.oidc,
      addonName: "aws-ebs-csi-driver",
      serviceAccounts: ["kube-system:ebs-csi-controller-sa"],
      managedPolicyArn: MANAGED_POLICIES.ebsCsiDriver,
      description: "EBS CSI controller of the ai-assistant cluster (IRSA)",
      dependsOn: args.nodes,
    }, { parent: this });

    this.defaultClass = new k8s.storage.v1.StorageClass(`${name}-gp3`, {
      metadata: { name: STORAGE_CLASSES.gp3, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
      provisioner: "ebs.csi.aws.com",
      // `csi.storage.k8s.io/fstype`, not the deprecated `fsType`.
      parameters: { type: "gp3", encrypted: "true", "csi.storage.k8s.io/fstype": "ext4", ...GP3_PERFORMANCE },
      // An EBS volume lives in one zone: create it where the pod was scheduled, not in a zone the pod cannot reach.
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
      reclaimPolicy,
    }, { ...k8sOpts, dependsOn: [ebsDriver] });

    if (args.efs) this.efsClass = this.createEfs(name, args, reclaimPolicy);
    this.classes = [this.defaultClass, ...(this.efsClass ? [this.efsClass] : [])];
    this.registerOutputs({});
  }

  private createEfs(name: string, args: ClusterStorageArgs, reclaimPolicy: string): k8s.storage.v1.StorageClass {
    const awsOpts = { parent: this, provider: args.provider };
    const fileSystem = new aws.efs.FileSystem(`${name}-efs`, {
      encrypted: true,
      performanceMode: "generalPurpose",
      // Elastic throughput: a model download bursts, then the cache sits idle; no provisioned MiB/s to pay for.
      throughputMode: "elastic",
      tags: { Name: pulumi.interpolate`${args.clusterName}-model-cache` },
    }, awsOpts);
    const securityGroup = new aws.ec2.SecurityGroup(`${name}-efs`, {
      description: "NFS from the cluster's nodes to the model-cache file system",
      vpcId: args.vpcId,
      ingress: [{ protocol: "tcp", fromPort: 2049, toPort: 2049, securityGroups: [args.nodeSecurityGroupId], description: "NFS from nodes" }],
    }, awsOpts);
    const mountTargets = args.subnetIds.map((subnetId, i) =>
      new aws.efs.MountTarget(`${name}-efs-${i}`, { fileSystemId: fileSystem.id, subnetId, securityGroups: [securityGroup.id] }, awsOpts));

    const efsDriver = new ServiceAccountAddon(`${name}-efs-csi`, {
      provider: args.provider,
      clusterName: args.clusterName,
      oidc: args.oidc,
      addonName: "aws-efs-csi-driver",
      // The controller and the node daemon both assume it; their names differ only in the suffix.
      serviceAccounts: ["kube-system:efs-csi-*"],
      managedPolicyArn: MANAGED_POLICIES.efsCsiDriver,
      description: "EFS CSI driver of the ai-assistant cluster (IRSA)",
      dependsOn: [...mountTargets, ...args.nodes],
    }, { parent: this });

    return new k8s.storage.v1.StorageClass(`${name}-efs`, {
      metadata: { name: STORAGE_CLASSES.efs },
      provisioner: "efs.csi.aws.com",
      parameters: {
        // One access point (its own directory) per volume.
        provisioningMode: "efs-ap",
        fileSystemId: fileSystem.id,
        directoryPerms: "700",
        // Pods run as this non-root user (lib/pod-security.ts); the access point makes the files theirs.
        uid: String(NON_ROOT_ID),
        gid: String(NON_ROOT_ID),
      },
      reclaimPolicy,
    }, { parent: this, provider: args.kubernetesProvider, dependsOn: [efsDriver] });
  }
}
