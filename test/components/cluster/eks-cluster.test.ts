import type { RenderResult } from "../../../tools/render";
import { GPU_NODE_LABEL } from "../../../lib/gpu";
import { eksKubeconfig } from "../../../components/cluster/kubeconfig";
import * as pulumi from "@pulumi/pulumi";
import { managedPoliciesByRole, planned, plannedOne } from "../../support/eks";
import { objectOf, renderConfig } from "../../support/render";
import { PINNED_IMAGES } from "../../support/configs";

const MANAGED = (path: string) => `arn:aws:iam::aws:policy/${path}`;

/**
 * A mock-phase stack on an EKS cluster, with node pools sized away from the defaults so that we see them passed, and
 * the fixed GPU node group switched on beside Karpenter's pool (test/components/cluster/karpenter.test.ts).
 */
const eksStack = (cluster: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  phase: "mock",
  monitoring: { enabled: false },
  cluster: {
    type: "eks",
    systemNodes: { instanceTypes: ["m6i.xlarge"], minSize: 2, desiredSize: 3, maxSize: 5 },
    gpuNodes: { enabled: true, instanceTypes: ["g6.xlarge"], minSize: 0, desiredSize: 1, maxSize: 3 },
    ...cluster,
  },
  ...extra,
});

describe("an eks stack", () => {
  let result: RenderResult;
  beforeAll(async () => {
    result = await renderConfig(eksStack(), "staging");
  });

  describe("node groups", () => {
    it("runs a CPU pool on the standard AL2023 AMI with the configured sizes", () => {
      const system = plannedOne(result, "aws:eks/nodeGroup:NodeGroup", "cluster-nodes-system").inputs;
      expect(system.amiType).toBe("AL2023_x86_64_STANDARD");
      expect(system.instanceTypes).toEqual(["m6i.xlarge"]);
      expect(system.scalingConfig).toEqual({ minSize: 2, desiredSize: 3, maxSize: 5 });
      expect(system.taints).toBeUndefined();
    });

    it("runs a GPU pool on the NVIDIA AMI, tainted nvidia.com/gpu:NoSchedule and labelled for the model server", () => {
      const gpu = plannedOne(result, "aws:eks/nodeGroup:NodeGroup", "cluster-nodes-gpu").inputs;
      expect(gpu.amiType).toBe("AL2023_x86_64_NVIDIA");
      expect(gpu.instanceTypes).toEqual(["g6.xlarge"]);
      expect(gpu.scalingConfig).toEqual({ minSize: 0, desiredSize: 1, maxSize: 3 });
      expect(gpu.taints).toEqual([{ key: "nvidia.com/gpu", value: "true", effect: "NO_SCHEDULE" }]);
      expect(gpu.labels).toMatchObject({ "ai-assistant.io/pool": "gpu" });
      expect(GPU_NODE_LABEL).toEqual({ key: "ai-assistant.io/pool", value: "gpu" });
    });

    it("spreads the CPU pool over every private subnet and keeps the GPU pool in one zone, where its EBS cache lives", () => {
      const privateSubnets = planned(result, "aws:ec2/subnet:Subnet").filter((s) => s.name.includes("private")).map((s) => `${s.name}-id`);
      expect(privateSubnets).toHaveLength(2);
      expect(plannedOne(result, "aws:eks/nodeGroup:NodeGroup", "cluster-nodes-system").inputs.subnetIds).toEqual(privateSubnets);
      expect(plannedOne(result, "aws:eks/nodeGroup:NodeGroup", "cluster-nodes-gpu").inputs.subnetIds).toEqual([privateSubnets[0]]);
    });
  });

  describe("control plane", () => {
    it("encrypts Kubernetes secrets with its own rotating KMS key", () => {
      const cluster = plannedOne(result, "aws:eks/cluster:Cluster", "cluster").inputs;
      expect(cluster.encryptionConfig).toEqual({ provider: { keyArn: expect.stringMatching(/^arn:aws:kms:us-west-2:\d{12}:key\//) }, resources: ["secrets"] });
      expect(plannedOne(result, "aws:kms/key:Key", "cluster-secrets").inputs.enableKeyRotation).toBe(true);
    });

    it("sends control-plane logs to a log group with a retention", () => {
      const cluster = plannedOne(result, "aws:eks/cluster:Cluster", "cluster").inputs;
      expect(cluster.enabledClusterLogTypes).toEqual(["api", "audit", "authenticator"]);
      const logGroup = plannedOne(result, "aws:cloudwatch/logGroup:LogGroup", "cluster-control-plane").inputs;
      expect(logGroup).toMatchObject({ name: "/aws/eks/ai-assistant-staging/cluster", retentionInDays: 30 });
    });

    it("runs the configured Kubernetes version, the default being one in EKS standard support", () => {
      expect(plannedOne(result, "aws:eks/cluster:Cluster", "cluster").inputs.version).toBe("1.35");
    });

    it("authenticates by access entries only, and grants no one but its creator access unless told to", () => {
      const cluster = plannedOne(result, "aws:eks/cluster:Cluster", "cluster").inputs;
      expect(cluster.accessConfig).toEqual({ authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true });
      // The one access entry: Karpenter's nodes joining (EC2_LINUX); no person or role besides the creator.
      expect(planned(result, "aws:eks/accessEntry:AccessEntry").map((entry) => entry.inputs.type)).toEqual(["EC2_LINUX"]);
      expect((cluster.vpcConfig as Record<string, unknown>).publicAccessCidrs).toEqual(["0.0.0.0/0"]);
    });

    it("is not deletion-protected outside production", () => {
      expect(plannedOne(result, "aws:eks/cluster:Cluster", "cluster").inputs.deletionProtection).toBe(false);
    });
  });

  describe("what GPUs and caches need inside the cluster", () => {
    it("installs NVIDIA's device plugin from its chart, pinned, on the GPU nodes only", () => {
      const chart = plannedOne(result, "kubernetes:helm.sh/v4:Chart", "cluster-gpu-device-plugin").inputs;
      expect(chart).toMatchObject({
        chart: "nvidia-device-plugin",
        version: "0.20.0",
        repositoryOpts: { repo: "https://nvidia.github.io/k8s-device-plugin" },
        namespace: "kube-system",
      });
      expect(chart.values).toMatchObject({
        nodeSelector: { "ai-assistant.io/pool": "gpu" },
        tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
      });
    });

    it("labels GPU nodes the way the device plugin chart's own affinity expects", () => {
      expect(plannedOne(result, "aws:eks/nodeGroup:NodeGroup", "cluster-nodes-gpu").inputs.labels).toMatchObject({ "nvidia.com/gpu.present": "true" });
    });

    it("makes an encrypted gp3 StorageClass the default, bound where the pod lands", () => {
      const gp3 = objectOf(result, "StorageClass", "gp3");
      expect(gp3.metadata.annotations).toEqual({ "storageclass.kubernetes.io/is-default-class": "true" });
      expect(gp3).toMatchObject({
        provisioner: "ebs.csi.aws.com",
        // csi.storage.k8s.io/fstype, not the deprecated fsType; 500 MiB/s for reading weights (baseline is 125).
        parameters: { type: "gp3", encrypted: "true", "csi.storage.k8s.io/fstype": "ext4", iops: "3000", throughput: "500" },
        volumeBindingMode: "WaitForFirstConsumer",
        reclaimPolicy: "Delete",
      });
    });

    it("adds the EBS CSI driver with its own IRSA role, trusted by its service account only", () => {
      const addon = plannedOne(result, "aws:eks/addon:Addon", "cluster-storage-ebs-csi").inputs;
      expect(addon).toMatchObject({ addonName: "aws-ebs-csi-driver", serviceAccountRoleArn: expect.stringMatching(/^arn:aws:iam::\d{12}:role\//) });
      const trust = JSON.parse(String(plannedOne(result, "aws:iam/role:Role", "cluster-storage-ebs-csi").inputs.assumeRolePolicy));
      const statement = trust.Statement[0];
      expect(statement.Action).toBe("sts:AssumeRoleWithWebIdentity");
      expect(statement.Principal.Federated).toMatch(/:oidc-provider\/oidc\.eks\.us-west-2\.amazonaws\.com\/id\//);
      expect(Object.entries(statement.Condition.StringEquals)).toEqual(
        expect.arrayContaining([
          [expect.stringMatching(/:sub$/), ["system:serviceaccount:kube-system:ebs-csi-controller-sa"]],
          [expect.stringMatching(/:aud$/), "sts.amazonaws.com"],
        ]),
      );
    });

    it("installs metrics-server as the EKS community add-on, after the CPU nodes, so that HPAs can scale", () => {
      const addon = plannedOne(result, "aws:eks/addon:Addon", "cluster-metrics-server");
      expect(addon.inputs).toMatchObject({ addonName: "metrics-server", clusterName: "ai-assistant-staging" });
      expect(addon.inputs.serviceAccountRoleArn).toBeUndefined();
      expect(addon.dependencies).toContain(plannedOne(result, "aws:eks/nodeGroup:NodeGroup", "cluster-nodes-system").urn);
    });

    it("makes no EFS file system unless asked to", () => {
      expect(planned(result, "aws:efs/fileSystem:FileSystem")).toHaveLength(0);
      expect(result.kubernetesObjects.filter(({ object }) => object.kind === "StorageClass")).toHaveLength(1);
    });
  });

  describe("Kubernetes provider", () => {
    it("is the only one, and is built from the new cluster's kubeconfig", () => {
      const providers = planned(result, "pulumi:providers:kubernetes");
      expect(providers).toHaveLength(1);
      // The kubeconfig is present, and masked in the render because it is a secret.
      expect(providers[0].inputs.kubeconfig).toBe("[secret]");
      expect(providers[0].parent).toBe(plannedOne(result, "ai-assistant:cluster:EksCluster", "cluster").urn);
      expect(planned(result, "ai-assistant:cluster:ExistingCluster")).toHaveLength(0);
    });

    it("keeps the kubeconfig out of the render", () => {
      const text = JSON.stringify(result);
      expect(text).not.toContain("get-token");
      expect(text).not.toContain("certificate-authority-data");
    });

    it("is what every Kubernetes resource uses", () => {
      const provider = planned(result, "pulumi:providers:kubernetes")[0];
      const kubernetesResources = result.resources.filter((r) => r.type.startsWith("kubernetes:"));
      expect(kubernetesResources.map((r) => r.type)).toEqual(
        expect.arrayContaining(["kubernetes:core/v1:Namespace", "kubernetes:apps/v1:Deployment", "kubernetes:storage.k8s.io/v1:StorageClass", "kubernetes:helm.sh/v4:Chart"]),
      );
      for (const resource of kubernetesResources) {
        expect({ resource: `${resource.type}::${resource.name}`, provider: resource.provider?.split("::").slice(0, -1).join("::") }).toEqual({
          resource: `${resource.type}::${resource.name}`,
          provider: provider.urn,
        });
      }
    });
  });

  describe("IAM", () => {
    it("attaches exactly the AWS-managed policies each role needs", () => {
      expect(managedPoliciesByRole(result)).toEqual({
        "cluster-control-plane": [MANAGED("AmazonEKSClusterPolicy")],
        "cluster-nodes-node": [MANAGED("AmazonEC2ContainerRegistryPullOnly"), MANAGED("AmazonEKSWorkerNodePolicy")],
        "cluster-vpc-cni": [MANAGED("AmazonEKS_CNI_Policy")],
        "cluster-storage-ebs-csi": [MANAGED("service-role/AmazonEBSCSIDriverPolicy")],
        "cluster-karpenter-node": [MANAGED("AmazonEC2ContainerRegistryPullOnly"), MANAGED("AmazonEKSWorkerNodePolicy")],
        "cluster-karpenter-controller": [],
        // Its permissions are AWS's published policy, inline (see load-balancer-controller tests).
        "cluster-load-balancer-controller": [],
      });
    });

    it("grants inline only the secrets key's use to the control plane, on that key alone, besides the load balancer controller's published policy and Karpenter's documented one", () => {
      const inline = planned(result, "aws:iam/rolePolicy:RolePolicy");
      expect(inline.map((p) => p.name).sort()).toEqual(["cluster-control-plane", "cluster-karpenter-controller", "cluster-load-balancer-controller"]);
      const statements = JSON.parse(String(inline.find((p) => p.name === "cluster-control-plane")!.inputs.policy)).Statement;
      expect(statements).toEqual([
        { Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], Resource: expect.stringMatching(/^arn:aws:kms:[^*]+$/) },
      ]);
    });

    it("never attaches an admin or full-access policy", () => {
      const arns = planned(result, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((a) => String(a.inputs.policyArn));
      expect(arns.filter((arn) => /Administrator|PowerUser|FullAccess/.test(arn))).toEqual([]);
    });
  });

  describe("network", () => {
    it("spreads public and private subnets over two zones, tagged for load balancers, behind one NAT gateway", () => {
      const subnets = planned(result, "aws:ec2/subnet:Subnet").map((s) => s.inputs);
      const privateSubnets = subnets.filter((s) => (s.tags as Record<string, string>)["kubernetes.io/role/internal-elb"] === "1");
      const publicSubnets = subnets.filter((s) => (s.tags as Record<string, string>)["kubernetes.io/role/elb"] === "1");
      expect(privateSubnets.map((s) => [s.availabilityZone, s.cidrBlock])).toEqual([["us-west-2a", "10.0.0.0/19"], ["us-west-2b", "10.0.32.0/19"]]);
      expect(publicSubnets.map((s) => [s.availabilityZone, s.cidrBlock])).toEqual([["us-west-2a", "10.0.224.0/22"], ["us-west-2b", "10.0.228.0/22"]]);
      expect(planned(result, "aws:ec2/natGateway:NatGateway")).toHaveLength(1);
    });
  });

  it("exports the cluster's name", () => {
    expect(result.outputs.clusterName).toBe("ai-assistant-staging");
  });
});

describe("eks stack variants", () => {
  it("in production with storage.efs: an EFS file system in every private subnet, an efs StorageClass, kept volumes", async () => {
    const result = await renderConfig(eksStack({ storage: { efs: true }, network: { type: "new", natGateways: "per-zone" } }, { production: true, ...PINNED_IMAGES }));
    expect(plannedOne(result, "aws:efs/fileSystem:FileSystem", "cluster-storage-efs").inputs).toMatchObject({ encrypted: true, throughputMode: "elastic" });
    expect(planned(result, "aws:efs/mountTarget:MountTarget")).toHaveLength(2);
    expect(plannedOne(result, "aws:eks/addon:Addon", "cluster-storage-efs-csi").inputs.addonName).toBe("aws-efs-csi-driver");
    const efs = objectOf(result, "StorageClass", "efs");
    expect(efs).toMatchObject({ provisioner: "efs.csi.aws.com", parameters: { provisioningMode: "efs-ap", fileSystemId: "cluster-storage-efs-id", uid: "10001" } });
    expect(efs.metadata.annotations).toBeUndefined();
    expect(managedPoliciesByRole(result)["cluster-storage-efs-csi"]).toEqual([MANAGED("service-role/AmazonEFSCSIDriverPolicy")]);
    const trust = JSON.parse(String(plannedOne(result, "aws:iam/role:Role", "cluster-storage-efs-csi").inputs.assumeRolePolicy)).Statement[0];
    expect(Object.values(trust.Condition.StringLike)).toEqual([["system:serviceaccount:kube-system:efs-csi-*"]]);
    // NFS is open to the cluster's nodes only.
    const ingress = plannedOne(result, "aws:ec2/securityGroup:SecurityGroup", "cluster-storage-efs").inputs.ingress as Record<string, unknown>[];
    expect(ingress).toEqual([expect.objectContaining({ fromPort: 2049, toPort: 2049, securityGroups: [expect.stringMatching(/^sg-/)] })]);
    expect(ingress[0].cidrBlocks).toBeUndefined();
    // per-zone: one NAT gateway per zone.
    expect(planned(result, "aws:ec2/natGateway:NatGateway")).toHaveLength(2);
    // production: the cluster cannot be deleted by accident, and volumes outlive their claims.
    expect(plannedOne(result, "aws:eks/cluster:Cluster", "cluster").inputs.deletionProtection).toBe(true);
    expect(objectOf(result, "StorageClass", "gp3").reclaimPolicy).toBe("Retain");
    expect(efs.reclaimPolicy).toBe("Retain");
  });

  it("with admin principals and endpoint CIDRs: each principal gets an access entry with cluster-admin, the endpoint only those CIDRs", async () => {
    const admins = ["arn:aws:iam::246813579024:role/ci-deployer", "arn:aws:iam::246813579024:user/alice"];
    const result = await renderConfig(eksStack({ adminPrincipals: admins, publicAccessCidrs: ["203.0.113.0/24"] }));
    const entries = planned(result, "aws:eks/accessEntry:AccessEntry").filter((e) => e.inputs.type === "STANDARD");
    expect(entries.map((e) => e.inputs)).toEqual(admins.map((principalArn) => expect.objectContaining({ principalArn, type: "STANDARD", clusterName: "ai-assistant-test" })));
    const associations = planned(result, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation");
    expect(associations.map((a) => a.inputs)).toEqual(
      admins.map((principalArn) =>
        expect.objectContaining({ principalArn, policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", accessScope: { type: "cluster" } }),
      ),
    );
    // A policy can only be associated with an existing entry.
    associations.forEach((association, i) => expect(association.dependencies).toContain(entries[i].urn));
    const vpcConfig = plannedOne(result, "aws:eks/cluster:Cluster", "cluster").inputs.vpcConfig as Record<string, unknown>;
    expect(vpcConfig.publicAccessCidrs).toEqual(["203.0.113.0/24"]);
  });

  it("with an existing VPC and a model-server node selector: no network, GPU nodes labelled for that selector", async () => {
    const network = { type: "existing", vpcId: "vpc-0abc123", privateSubnetIds: ["subnet-0aaa111", "subnet-0bbb222"] };
    const localModel = { engine: "ollama", models: ["llama3.2:3b"], gpu: { nodeSelector: { "example.com/accelerator": "a10g" } } };
    const result = await renderConfig(eksStack({ network }, { localModel }));
    expect(result.resources.filter((r) => r.type.startsWith("aws:ec2/"))).toEqual([]);
    const gpu = plannedOne(result, "aws:eks/nodeGroup:NodeGroup", "cluster-nodes-gpu").inputs;
    expect(gpu.subnetIds).toEqual(["subnet-0aaa111"]);
    expect(gpu.labels).toEqual({ "example.com/accelerator": "a10g", "nvidia.com/gpu.present": "true" });
    const chartValues = plannedOne(result, "kubernetes:helm.sh/v4:Chart", "cluster-gpu-device-plugin").inputs.values as Record<string, unknown>;
    expect(chartValues.nodeSelector).toEqual({ "example.com/accelerator": "a10g" });
  });
});

describe("the EKS kubeconfig", () => {
  it("fetches a token with aws eks get-token for the cluster and region, and is a secret", async () => {
    const kubeconfig = eksKubeconfig({ name: "ai-assistant-prod", endpoint: "https://ABC.gr7.us-west-2.eks.amazonaws.com", certificateAuthority: "Q0E=", region: "us-west-2" });
    expect(await pulumi.isSecret(kubeconfig)).toBe(true);
    const text = await new Promise<string>((resolve) => kubeconfig.apply(resolve));
    const parsed = JSON.parse(text);
    expect(parsed.clusters[0].cluster).toEqual({ server: "https://ABC.gr7.us-west-2.eks.amazonaws.com", "certificate-authority-data": "Q0E=" });
    expect(parsed.users[0].user.exec).toMatchObject({
      command: "aws",
      args: ["eks", "get-token", "--cluster-name", "ai-assistant-prod", "--region", "us-west-2", "--output", "json"],
    });
    expect(text).not.toMatch(/token"\s*:/);
  });
});
