import { parseStackConfig } from "../../../config/load";
import { SECRET_KEYS } from "../../../config/schema";
import { everySecret } from "../../support/config";
import type { RenderResult } from "../../../tools/render";
import { EC2_NODE_CLASS_SPEC, NODE_POOL_SPEC, shapeProblems } from "../../support/crd-shapes";
import { managedPoliciesByRole, planned, plannedOne } from "../../support/eks";
import { K8sObject, objectOf, objectsOf, renderConfig, renderStack, stackFileSettings } from "../../support/render";

const MANAGED = (path: string) => `arn:aws:iam::aws:policy/${path}`;

describe("the prod stack's GPU capacity (Karpenter)", () => {
  let result: RenderResult;
  let pool: K8sObject;
  let nodeClass: K8sObject;
  beforeAll(async () => {
    result = await renderStack("prod");
    pool = objectOf(result, "NodePool", "gpu");
    nodeClass = objectOf(result, "EC2NodeClass", "gpu");
  });

  it("has no fixed GPU node group: GPU nodes come from the NodePool", () => {
    expect(planned(result, "aws:eks/nodeGroup:NodeGroup").map((group) => group.name)).toEqual(["cluster-nodes-system"]);
  });

  it("installs Karpenter's official chart, pinned, in kube-system, on the managed system node group", () => {
    const chart = plannedOne(result, "kubernetes:helm.sh/v4:Chart", "cluster-karpenter-chart");
    expect(chart.inputs).toMatchObject({ chart: "oci://public.ecr.aws/karpenter/karpenter", version: "1.14.1", namespace: "kube-system", name: "karpenter" });
    const values = chart.inputs.values as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(values.settings).toEqual({ clusterName: "ai-assistant-prod", interruptionQueue: "ai-assistant-prod-karpenter" });
    expect(values.nodeSelector).toEqual({ "kubernetes.io/os": "linux", "ai-assistant.io/pool": "system" });
    expect(values.replicas).toBe(2);
    expect(values.controller.resources).toEqual({ requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } });
    expect(values.serviceAccount).toEqual({ name: "karpenter", annotations: { "eks.amazonaws.com/role-arn": expect.stringMatching(/^arn:aws:iam::\d{12}:role\/cluster-karpenter-controller$/) } });
    // The chart installs after the system nodes exist (through the Kubernetes provider) and after its role and queue.
    expect(chart.dependencies).toEqual(expect.arrayContaining([
      plannedOne(result, "aws:iam/rolePolicy:RolePolicy", "cluster-karpenter-controller").urn,
      plannedOne(result, "aws:sqs/queue:Queue", "cluster-karpenter-interruption").urn,
    ]));
  });

  it("gives the controller an IRSA role trusted by kube-system:karpenter only, with Karpenter's documented policy scoped to this cluster", () => {
    const trust = JSON.parse(String(plannedOne(result, "aws:iam/role:Role", "cluster-karpenter-controller").inputs.assumeRolePolicy)).Statement[0];
    expect(Object.entries(trust.Condition.StringEquals)).toEqual(expect.arrayContaining([[expect.stringMatching(/:sub$/), ["system:serviceaccount:kube-system:karpenter"]]]));
    expect(managedPoliciesByRole(result)["cluster-karpenter-controller"]).toEqual([]);
    const statements = JSON.parse(String(plannedOne(result, "aws:iam/rolePolicy:RolePolicy", "cluster-karpenter-controller").inputs.policy)).Statement as { Sid: string; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, unknown>> }[];
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(Object.keys(bySid).sort()).toEqual([
      "AllowAPIServerEndpointDiscovery", "AllowInstanceProfileReadActions", "AllowInterruptionQueueActions", "AllowPassingInstanceRole", "AllowPricingReadActions",
      "AllowRegionalReadActions", "AllowSSMReadActions", "AllowScopedDeletion", "AllowScopedEC2InstanceAccessActions", "AllowScopedEC2InstanceActionsWithTags",
      "AllowScopedEC2LaunchTemplateAccessActions", "AllowScopedInstanceProfileActions", "AllowScopedInstanceProfileCreationActions", "AllowScopedInstanceProfileTagActions",
      "AllowScopedResourceCreationTagging", "AllowScopedResourceTagging", "AllowUnscopedInstanceProfileListAction",
    ]);
    // It may pass the Karpenter node role and nothing else, read its own queue, and terminate only this cluster's nodes.
    expect(bySid.AllowPassingInstanceRole.Resource).toBe("arn:aws:iam::123456789012:role/cluster-karpenter-node");
    expect(bySid.AllowInterruptionQueueActions.Resource).toBe("arn:aws:sqs:us-west-2:123456789012:ai-assistant-prod-karpenter");
    expect(bySid.AllowScopedDeletion.Condition).toEqual({
      StringEquals: { "aws:ResourceTag/kubernetes.io/cluster/ai-assistant-prod": "owned" },
      StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" },
    });
    expect(bySid.AllowAPIServerEndpointDiscovery.Resource).toBe("arn:aws:eks:us-west-2:123456789012:cluster/ai-assistant-prod");
    // No write action is granted on "*".
    const unscoped = statements.filter((s) => s.Resource === "*").flatMap((s) => [s.Action].flat());
    expect(unscoped.every((action) => /:(Describe|Get|List)/.test(action))).toBe(true);
  });

  it("gives the nodes it launches a role of their own, and lets them join with an EC2_LINUX access entry", () => {
    expect(managedPoliciesByRole(result)["cluster-karpenter-node"]).toEqual([MANAGED("AmazonEC2ContainerRegistryPullOnly"), MANAGED("AmazonEKSWorkerNodePolicy")]);
    expect(plannedOne(result, "aws:eks/accessEntry:AccessEntry", "cluster-karpenter-node").inputs).toEqual({
      clusterName: "ai-assistant-prod",
      principalArn: "arn:aws:iam::123456789012:role/cluster-karpenter-node",
      type: "EC2_LINUX",
    });
    expect(nodeClass.spec.role).toBe("cluster-karpenter-node");
  });

  it("feeds spot interruptions, rebalance recommendations, state changes and scheduled maintenance into an encrypted, TLS-only queue", () => {
    const queue = plannedOne(result, "aws:sqs/queue:Queue", "cluster-karpenter-interruption").inputs;
    expect(queue).toMatchObject({ name: "ai-assistant-prod-karpenter", messageRetentionSeconds: 300, sqsManagedSseEnabled: true });
    const policy = JSON.parse(String(planned(result, "aws:sqs/queuePolicy:QueuePolicy")[0].inputs.policy)).Statement;
    expect(policy).toEqual([
      expect.objectContaining({ Effect: "Allow", Principal: { Service: ["events.amazonaws.com", "sqs.amazonaws.com"] }, Action: "sqs:SendMessage" }),
      expect.objectContaining({ Effect: "Deny", Action: "sqs:*", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
    ]);
    const patterns = planned(result, "aws:cloudwatch/eventRule:EventRule").map((rule) => JSON.parse(String(rule.inputs.eventPattern)));
    expect(patterns).toEqual(expect.arrayContaining([
      { source: ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"] },
      { source: ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"] },
      { source: ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"] },
      { source: ["aws.health"], "detail-type": ["AWS Health Event"] },
    ]));
    const targets = planned(result, "aws:cloudwatch/eventTarget:EventTarget").map((target) => target.inputs.arn);
    expect(targets).toHaveLength(patterns.length);
    expect(new Set(targets)).toEqual(new Set(["arn:aws:sqs:us-west-2:123456789012:ai-assistant-prod-karpenter"]));
  });

  it("has a NodePool and an EC2NodeClass whose fields the Karpenter 1.14 CRDs accept", () => {
    expect(pool.apiVersion).toBe("karpenter.sh/v1");
    expect(nodeClass.apiVersion).toBe("karpenter.k8s.aws/v1");
    expect(shapeProblems(pool.spec, NODE_POOL_SPEC)).toEqual([]);
    // The offline render's IDs are `<resource name>-id`; AWS's look like subnet-0abc.
    const subnet = { id: "subnet-0aaa111" };
    expect(shapeProblems({ ...nodeClass.spec, subnetSelectorTerms: [subnet] }, EC2_NODE_CLASS_SPEC)).toEqual([]);
    expect(shapeProblems(nodeClass.spec, EC2_NODE_CLASS_SPEC)).toEqual(['spec.subnetSelectorTerms[0].id: "cluster-network-private-0-id" does not match /^subnet-[0-9a-z]+$/']);
  });

  it("the CRD shape check itself rejects a misspelt policy and an unknown field", () => {
    const broken = { ...pool.spec, disruption: { consolidationPolicy: "WhenIdle", consolidateAfter: "10m" }, minNodes: 1 };
    expect(shapeProblems(broken, NODE_POOL_SPEC)).toEqual(['spec.disruption.consolidationPolicy: "WhenIdle" is not one of WhenEmpty, WhenEmptyOrUnderutilized, Balanced', "spec.minNodes: not a field of the CRD"]);
  });

  it("launches GPU nodes tainted nvidia.com/gpu:NoSchedule, labelled for the model server, of the configured type and capacity, in the cache's zone", () => {
    const template = pool.spec.template;
    expect(template.spec.taints).toEqual([{ key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" }]);
    expect(template.metadata.labels).toEqual({ "ai-assistant.io/pool": "gpu", "nvidia.com/gpu.present": "true" });
    const deployment = objectOf(result, "Deployment", "model-server");
    expect(deployment.spec.template.spec.nodeSelector).toEqual({ "ai-assistant.io/pool": "gpu" });
    const requirement = (key: string) => template.spec.requirements.find((r: { key: string }) => r.key === key);
    expect(requirement("node.kubernetes.io/instance-type")).toEqual({ key: "node.kubernetes.io/instance-type", operator: "In", values: ["g5.xlarge"] });
    expect(requirement("karpenter.sh/capacity-type").values).toEqual(["on-demand"]);
    // The first private subnet's zone, the only subnet the node class offers: where the gp3 cache is created.
    expect(requirement("topology.kubernetes.io/zone").values).toEqual(["us-west-2a"]);
    expect(nodeClass.spec.subnetSelectorTerms).toEqual([{ id: "cluster-network-private-0-id" }]);
    expect(nodeClass.spec.securityGroupSelectorTerms).toEqual([{ id: expect.stringMatching(/^sg-/) }]);
    expect(template.spec.nodeClassRef).toEqual({ group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "gpu" });
  });

  it("caps the pool with limits on GPUs, CPU and memory, and removes a node 10 minutes after it went empty", () => {
    expect(pool.spec.limits).toEqual({ "nvidia.com/gpu": "2", cpu: "8", memory: "32Gi" });
    expect(pool.spec.disruption).toEqual({ consolidationPolicy: "WhenEmpty", consolidateAfter: "10m" });
  });

  it("boots the EKS AL2023 AMI by alias (its NVIDIA variant for GPU types), with an encrypted gp3 root disk and IMDSv2 only", () => {
    expect(nodeClass.spec.amiSelectorTerms).toEqual([{ alias: "al2023@latest" }]);
    expect(nodeClass.spec.amiFamily).toBeUndefined();
    expect(nodeClass.spec.blockDeviceMappings).toEqual([{ deviceName: "/dev/xvda", ebs: { volumeSize: "200Gi", volumeType: "gp3", encrypted: true, deleteOnTermination: true } }]);
    expect(nodeClass.spec.metadataOptions).toMatchObject({ httpTokens: "required", httpPutResponseHopLimit: 1 });
  });

  it("creates the NodePool and EC2NodeClass after the chart that brings their CRDs, and after the nodes' access entry", () => {
    const chart = plannedOne(result, "kubernetes:helm.sh/v4:Chart", "cluster-karpenter-chart").urn;
    const access = plannedOne(result, "aws:eks/accessEntry:AccessEntry", "cluster-karpenter-node").urn;
    for (const type of ["kubernetes:karpenter.sh/v1:NodePool", "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"]) {
      expect(planned(result, type)[0].dependencies).toEqual(expect.arrayContaining([chart, access]));
    }
  });
});

describe("the prod stack's CPU capacity for load peaks (Karpenter)", () => {
  let result: RenderResult;
  let pool: K8sObject;
  let nodeClass: K8sObject;
  beforeAll(async () => {
    result = await renderStack("prod");
    pool = objectOf(result, "NodePool", "cpu");
    nodeClass = objectOf(result, "EC2NodeClass", "cpu");
  });

  it("launches untainted CPU nodes, spot first and on-demand when spot has none, in every private subnet, within the configured limits", () => {
    expect(shapeProblems(pool.spec, NODE_POOL_SPEC)).toEqual([]);
    const template = pool.spec.template;
    // No taint: a backend or frontend pod the system pool has no room for lands here.
    expect(template.spec.taints).toBeUndefined();
    expect(template.metadata.labels).toEqual({ "ai-assistant.io/pool": "cpu" });
    const requirement = (key: string) => template.spec.requirements.find((r: { key: string }) => r.key === key);
    expect(requirement("node.kubernetes.io/instance-type").values).toEqual(["m6i.xlarge", "m6i.2xlarge"]);
    expect(requirement("karpenter.sh/capacity-type").values).toEqual(["on-demand", "spot"]);
    expect(requirement("topology.kubernetes.io/zone")).toBeUndefined();
    expect(nodeClass.spec.subnetSelectorTerms).toEqual([{ id: "cluster-network-private-0-id" }, { id: "cluster-network-private-1-id" }]);
    expect(pool.spec.limits).toEqual({ cpu: "16", memory: "64Gi" });
    expect(pool.spec.disruption).toEqual({ consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "5m" });
    expect(nodeClass.spec.metadataOptions).toMatchObject({ httpTokens: "required", httpPutResponseHopLimit: 1 });
  });

  it("pins nothing the peak needs to the system pool: the backend and frontend select no pool", () => {
    for (const name of ["backend", "frontend"]) expect(objectOf(result, "Deployment", name).spec.template.spec.nodeSelector).toBeUndefined();
  });

  it("is not made when the stack turns it off", async () => {
    const settings = stackFileSettings("prod") as Record<string, Record<string, unknown>>;
    const cluster = settings.cluster as { karpenter: Record<string, unknown> };
    const off = await renderConfig({
      ...settings,
      ...Object.fromEntries(SECRET_KEYS.filter((key) => key !== "huggingFaceToken" && key !== "alertPagerDutyRoutingKey" && key !== "oidcClientSecret" && key !== "clientApiKeys").map((key) => [key, { secure: "x" }])),
      frontend: { ...settings.frontend, expose: { type: "ClusterIP" } },
      backend: { ...settings.backend, autoscaling: { minReplicas: 2, maxReplicas: 2 } },
      cluster: { ...cluster, karpenter: { ...cluster.karpenter, cpuPool: { enabled: false } } },
    }, "prod");
    expect(off.kubernetesObjects.map(({ object }) => `${(object as K8sObject).kind}/${(object as K8sObject).metadata.name}`)).not.toContain("NodePool/cpu");
  });
});

describe("GPU capacity variants", () => {
  const prod = stackFileSettings("prod");
  const prodCluster = prod.cluster as Record<string, unknown>;

  it("with spot and on-demand, several types, an existing VPC and a pinned AMI: all of it reaches the NodePool and EC2NodeClass", async () => {
    const result = await renderConfig({
      ...prod,
      cluster: {
        ...prodCluster,
        network: { type: "existing", vpcId: "vpc-0abc123", privateSubnetIds: ["subnet-0aaa111", "subnet-0bbb222"], publicSubnetIds: ["subnet-0ccc333", "subnet-0ddd444"] },
        karpenter: { amiVersion: "v20260801", gpuPool: { instanceTypes: ["g6.xlarge", "g6e.xlarge"], capacityTypes: ["spot", "on-demand"], diskSizeGiB: 300, consolidateAfter: "30m" } },
      },
    }, "prod");
    const pool = objectOf(result, "NodePool", "gpu");
    const values = (key: string) => pool.spec.template.spec.requirements.find((r: { key: string }) => r.key === key).values;
    expect(values("node.kubernetes.io/instance-type")).toEqual(["g6.xlarge", "g6e.xlarge"]);
    expect(values("karpenter.sh/capacity-type")).toEqual(["spot", "on-demand"]);
    expect(values("topology.kubernetes.io/zone")).toEqual(["us-west-2a"]);
    expect(pool.spec.disruption.consolidateAfter).toBe("30m");
    const nodeClass = objectOf(result, "EC2NodeClass", "gpu");
    expect(nodeClass.spec.subnetSelectorTerms).toEqual([{ id: "subnet-0aaa111" }]);
    expect(nodeClass.spec.amiSelectorTerms).toEqual([{ alias: "al2023@v20260801" }]);
    expect(nodeClass.spec.blockDeviceMappings[0].ebs.volumeSize).toBe("300Gi");
    expect(shapeProblems(pool.spec, NODE_POOL_SPEC)).toEqual([]);
  });

  it("with GPU nodes in two zones and an EFS cache: the NodePool offers both zones and both private subnets", async () => {
    const localModel = prod.localModel as Record<string, unknown>;
    const result = await renderConfig({
      ...prod,
      cluster: { ...prodCluster, storage: { efs: true }, karpenter: { ...(prodCluster.karpenter as object), gpuPool: { ...((prodCluster.karpenter as { gpuPool: object }).gpuPool), zones: 2 } } },
      localModel: { ...localModel, cache: { ...(localModel.cache as object), storageClass: "efs", accessMode: "ReadWriteMany" } },
    }, "prod");
    const pool = objectOf(result, "NodePool", "gpu");
    expect(pool.spec.template.spec.requirements.find((r: { key: string }) => r.key === "topology.kubernetes.io/zone").values).toEqual(["us-west-2a", "us-west-2b"]);
    expect(objectOf(result, "EC2NodeClass", "gpu").spec.subnetSelectorTerms).toEqual([{ id: "cluster-network-private-0-id" }, { id: "cluster-network-private-1-id" }]);
    expect(objectsOf(result, "PersistentVolumeClaim").find((claim) => claim.metadata.name.startsWith("model-server-cache"))!.spec).toMatchObject({ storageClassName: "efs", accessModes: ["ReadWriteMany"] });
  });

  it("with Karpenter off and the fixed GPU node group on: no chart, queue or NodePool", async () => {
    // Without Karpenter nothing grows the system pool: the peak must fit it beside the knowledge database (two backend replicas, fixed).
    const result = await renderConfig({ ...prod, backend: { ...(prod.backend as object), autoscaling: { minReplicas: 2, maxReplicas: 2 } }, cluster: { ...prodCluster, karpenter: { enabled: false }, gpuNodes: { enabled: true } } }, "prod");
    expect(planned(result, "aws:eks/nodeGroup:NodeGroup").map((group) => group.name).sort()).toEqual(["cluster-nodes-gpu", "cluster-nodes-system"]);
    expect(planned(result, "kubernetes:karpenter.sh/v1:NodePool")).toEqual([]);
    expect(planned(result, "aws:sqs/queue:Queue")).toEqual([]);
  });
});

describe("GPU capacity config rules", () => {
  const parse = (settings: Record<string, unknown>) => {
    const values = Object.fromEntries(Object.entries(settings).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]));
    // Every secret set, so that only the rule under test can speak.
    const secrets = everySecret();
    return parseStackConfig({ values: { ...secrets, ...values }, secretKeys: new Set() }, "prod");
  };
  const prod = stackFileSettings("prod");
  const withCluster = (cluster: Record<string, unknown>) => ({ ...prod, cluster: { ...(prod.cluster as Record<string, unknown>), ...cluster } });
  const problem = (settings: Record<string, unknown>) => {
    try {
      parse(settings);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error("expected the config to be rejected");
  };

  it("defaults: Karpenter on (chart 1.14.1, al2023@latest, g5.xlarge on-demand, 200 GiB, 2 GPUs, 10m), the fixed GPU group off", () => {
    const cluster = parse({ phase: "mock", monitoring: { enabled: false }, cluster: { type: "eks" } }).cluster;
    expect(cluster).toMatchObject({
      gpuNodes: { enabled: false },
      karpenter: {
        enabled: true,
        chartVersion: "1.14.1",
        amiVersion: "latest",
        gpuPool: { instanceTypes: ["g5.xlarge"], capacityTypes: ["on-demand"], diskSizeGiB: 200, limits: { gpus: 2, cpu: 16, memoryGiB: 64 }, consolidateAfter: "10m" },
      },
    });
  });

  it("refuses a GPU model server with neither Karpenter nor a fixed GPU group", () => {
    // Without Karpenter the backend's peak must fit the fixed system pool beside the knowledge database: two replicas, fixed.
    const peakFits = { backend: { ...(prod.backend as object), autoscaling: { minReplicas: 2, maxReplicas: 2 } } };
    expect(() => parse({ ...withCluster({ karpenter: { enabled: false }, gpuNodes: { enabled: true } }), ...peakFits })).not.toThrow();
    expect(problem(withCluster({ karpenter: { enabled: false } }))).toContain(
      "ai-assistant:cluster.karpenter.enabled: expected GPU capacity for the model server: cluster.karpenter.enabled true (nodes on demand) or cluster.gpuNodes.enabled true (a fixed node group); found false",
    );
  });

  it("refuses GPU nodes in several zones with a gp3 cache, which attaches in one zone only, and more zones than the network has", () => {
    const gpuPool = (zones: number) => ({ karpenter: { gpuPool: { zones } } });
    expect(problem(withCluster(gpuPool(2)))).toContain(
      "ai-assistant:localModel.cache.storageClass: expected an efs cache (storageClass efs, accessMode ReadWriteMany) with GPU nodes in 2 zones (cluster.karpenter.gpuPool.zones)",
    );
    expect(problem(withCluster(gpuPool(3)))).toContain("ai-assistant:cluster.karpenter.gpuPool.zones: expected at most the 2 zones the cluster's private subnets are in; found 3");
  });

  it("refuses limits below one pod's GPUs", () => {
    const local = { ...(prod.localModel as Record<string, unknown>), gpu: { count: 4 } };
    expect(problem({ ...withCluster({ karpenter: { gpuPool: { limits: { gpus: 2 } } } }), localModel: local })).toContain(
      "ai-assistant:cluster.karpenter.gpuPool.limits.gpus: expected at least the 4 GPUs one model-server pod requests (localModel.gpu.count); found 2",
    );
  });

  it("refuses an unpriced or non-GPU instance type, a capacity type twice, a bad duration or AMI version", () => {
    expect(problem(withCluster({ karpenter: { gpuPool: { instanceTypes: ["g5.xlarge", "g9.xlarge"] } } }))).toContain("ai-assistant:cluster.karpenter.gpuPool.instanceTypes[1]: expected an EC2 instance type with a us-west-2 price");
    expect(problem(withCluster({ karpenter: { gpuPool: { instanceTypes: ["m6i.xlarge"] } } }))).toContain("ai-assistant:cluster.karpenter.gpuPool.instanceTypes[0]: expected a GPU instance type of the g5, g6 or g6e families");
    expect(problem(withCluster({ karpenter: { gpuPool: { capacityTypes: ["spot", "spot"] } } }))).toContain("ai-assistant:cluster.karpenter.gpuPool.capacityTypes: expected each capacity type once");
    expect(problem(withCluster({ karpenter: { gpuPool: { consolidateAfter: "10 minutes" } } }))).toContain("ai-assistant:cluster.karpenter.gpuPool.consolidateAfter: expected a duration such as 30s, 10m or 1h");
    expect(problem(withCluster({ karpenter: { amiVersion: "2026-08-01" } }))).toContain("ai-assistant:cluster.karpenter.amiVersion: expected latest or an AMI release such as v20260801");
  });
});
