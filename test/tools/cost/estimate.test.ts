import { CostEstimate, CostSettings, estimateCost } from "../../../tools/cost/estimate";
import { HOURS_PER_MONTH, pricesFor } from "../../../tools/cost/prices";
import { PRICERS } from "../../../tools/cost/stack-cost";
import type { PlannedResource } from "../../../tools/render";

const SETTINGS: CostSettings = { region: "us-east-1", gpuHoursPerDay: 24, spotDiscount: 0.5, modelServerCanariesPerMonth: 4, scope: "stack" };
const PRICES = pricesFor("us-east-1");

/** A plan entry as the render writes it; only type, name and inputs matter to the estimate. */
function planned(type: string, name: string, inputs: Record<string, unknown>): PlannedResource {
  return { type, name, urn: `urn:pulumi:test::ai-assistant::${type}::${name}`, custom: true, inputs };
}

const k8s = (kind: string, name: string, body: Record<string, unknown>, annotations?: Record<string, string>) =>
  planned(`kubernetes:x/v1:${kind}`, name, { apiVersion: "v1", kind, metadata: { name, namespace: "app", ...(annotations ? { annotations } : {}) }, ...body });

const nodeGroup = (name: string, instanceTypes: string[], scaling: { minSize: number; desiredSize: number; maxSize: number }, extra: Record<string, unknown> = {}) =>
  planned("aws:eks/nodeGroup:NodeGroup", name, { instanceTypes, capacityType: "ON_DEMAND", diskSize: 50, scalingConfig: scaling, ...extra });

const pvc = (name: string, size: string, storageClassName?: string) =>
  k8s("PersistentVolumeClaim", name, { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: size } }, ...(storageClassName ? { storageClassName } : {}) } });

const storageClass = (name: string, provisioner: string, parameters: Record<string, string>, isDefault = false) =>
  planned("kubernetes:storage.k8s.io/v1:StorageClass", name, {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name, ...(isDefault ? { annotations: { "storageclass.kubernetes.io/is-default-class": "true" } } : {}) },
    provisioner,
    parameters,
  });

const estimate = (resources: PlannedResource[], settings: Partial<CostSettings> = {}) => estimateCost(resources, { ...SETTINGS, ...settings }, PRICERS);

function item(result: CostEstimate, resource: string, type: string) {
  const found = result.items.filter((i) => i.resource === resource && i.type === type);
  if (found.length !== 1) throw new Error(`expected one item ${resource} / ${type}, found ${found.length} in ${JSON.stringify(result.items.map((i) => [i.resource, i.type]))}`);
  return found[0];
}

const cents = (usd: number) => Math.round(usd * 100);

/** Every resource kind the stacks create, in one plan. */
const FULL_PLAN = [
  planned("aws:eks/cluster:Cluster", "cluster", { name: "c1", version: "1.35", enabledClusterLogTypes: ["api", "audit"] }),
  nodeGroup("system", ["m6i.large"], { minSize: 2, desiredSize: 2, maxSize: 4 }),
  nodeGroup("gpu", ["g5.xlarge"], { minSize: 0, desiredSize: 1, maxSize: 2 }, { diskSize: 200 }),
  planned("aws:ec2/natGateway:NatGateway", "nat-0", {}),
  planned("aws:ec2/eip:Eip", "nat-ip-0", { domain: "vpc" }),
  planned("aws:kms/key:Key", "secrets", {}),
  planned("aws:cloudwatch/logGroup:LogGroup", "control-plane", { name: "/aws/eks/c1/cluster", retentionInDays: 30 }),
  planned("aws:ecr/repository:Repository", "backend-repo", {}),
  planned("aws:efs/fileSystem:FileSystem", "shared", {}),
  storageClass("gp3", "ebs.csi.aws.com", { type: "gp3" }, true),
  storageClass("efs", "efs.csi.aws.com", { provisioningMode: "efs-ap" }),
  pvc("weights", "100Gi", "gp3"),
  pvc("shared-weights", "50Gi", "efs"),
  k8s("Service", "frontend-nlb", { spec: { type: "LoadBalancer" } }, { "service.beta.kubernetes.io/aws-load-balancer-type": "external" }),
  k8s("Ingress", "frontend", { spec: { ingressClassName: "alb" } }),
  planned("kubernetes:helm.sh/v4:Chart", "monitoring", {
    chart: "kube-prometheus-stack",
    values: {
      prometheus: { prometheusSpec: { storageSpec: { volumeClaimTemplate: { spec: { resources: { requests: { storage: "40Gi" } } } } } } },
      grafana: { persistence: { enabled: true, type: "pvc", size: "5Gi" } },
    },
  }),
];

describe("the cost estimate of a plan", () => {
  const result = estimate(FULL_PLAN);

  it("prices the control plane by the hour at the standard-support rate", () => {
    expect(item(result, "cluster", "EKS cluster-hour (standard support)")).toEqual({
      resource: "cluster", type: "EKS cluster-hour (standard support)", quantity: HOURS_PER_MONTH, unitPrice: 0.1, monthlyUsd: 73,
    });
  });

  it("prices each node group's instances at desired size, and their gp2 root volumes for the same hours", () => {
    expect(item(result, "system", "EC2 m6i.large on-demand instance-hour")).toMatchObject({ quantity: 2 * 730, unitPrice: 0.096, monthlyUsd: 140.16 });
    expect(item(result, "system", "EBS gp2 GiB-month (node root volumes)")).toMatchObject({ quantity: 100, unitPrice: 0.1, monthlyUsd: 10 });
    expect(item(result, "gpu", "EC2 g5.xlarge on-demand instance-hour")).toMatchObject({ quantity: 730, unitPrice: 1.006, monthlyUsd: 734.38 });
    expect(item(result, "gpu", "EBS gp2 GiB-month (node root volumes)")).toMatchObject({ quantity: 200, monthlyUsd: 20 });
  });

  it("prices the NAT gateway and its public IPv4 address by the hour, and says NAT traffic is left out", () => {
    expect(item(result, "nat-0", "NAT gateway-hour")).toMatchObject({ quantity: 730, unitPrice: 0.045, monthlyUsd: 32.85 });
    expect(item(result, "nat-ip-0", "public IPv4 address-hour")).toMatchObject({ quantity: 730, unitPrice: 0.005, monthlyUsd: 3.65 });
    expect(result.notes.join("\n")).toContain("NAT gateway data processing");
  });

  it("prices the KMS key, the ECR repository (assumed 1 GB) and the control-plane logs by their log types and retention", () => {
    expect(item(result, "secrets", "KMS key-month")).toMatchObject({ quantity: 1, monthlyUsd: 1 });
    expect(item(result, "backend-repo", "ECR GB-month")).toMatchObject({ quantity: 1, unitPrice: 0.1, monthlyUsd: 0.1 });
    expect(item(result, "control-plane", "CloudWatch Logs GB ingested")).toMatchObject({ quantity: 2, unitPrice: 0.5, monthlyUsd: 1 });
    // 2 GB a month kept for 30 days: just under two GB-months (a month is 730/24 days).
    expect(item(result, "control-plane", "CloudWatch Logs GB-month stored").quantity).toBeCloseTo(2 * (30 / (730 / 24)), 4);
  });

  it("prices claims by their storage class: gp3 on EBS, an EFS class on EFS", () => {
    expect(item(result, "PersistentVolumeClaim app/weights", "EBS gp3 GiB-month")).toMatchObject({ quantity: 100, unitPrice: 0.08, monthlyUsd: 8 });
    expect(item(result, "PersistentVolumeClaim app/shared-weights", "EFS Standard GB-month")).toMatchObject({ quantity: 50, unitPrice: 0.3, monthlyUsd: 15 });
  });

  it("prices an NLB Service and an ALB Ingress by the hour plus one assumed capacity unit", () => {
    expect(item(result, "Service app/frontend-nlb", "NLB-hour")).toMatchObject({ quantity: 730, unitPrice: 0.0225, monthlyUsd: 16.43 });
    expect(item(result, "Service app/frontend-nlb", "NLB NLCU-hour")).toMatchObject({ quantity: 730, unitPrice: 0.006, monthlyUsd: 4.38 });
    expect(item(result, "Ingress app/frontend", "ALB-hour")).toMatchObject({ quantity: 730, unitPrice: 0.0225, monthlyUsd: 16.43 });
    expect(item(result, "Ingress app/frontend", "ALB LCU-hour")).toMatchObject({ quantity: 730, unitPrice: 0.008, monthlyUsd: 5.84 });
  });

  it("prices the volumes kube-prometheus-stack creates from its values, on the default storage class", () => {
    expect(item(result, "monitoring (prometheus volume)", "EBS gp3 GiB-month")).toMatchObject({ quantity: 40, monthlyUsd: 3.2 });
    expect(item(result, "monitoring (grafana volume)", "EBS gp3 GiB-month")).toMatchObject({ quantity: 5, monthlyUsd: 0.4 });
  });

  it("has a total that is exactly the sum of the items, between the minimum and the maximum", () => {
    expect(cents(result.total)).toBe(result.items.reduce((sum, i) => sum + cents(i.monthlyUsd), 0));
    expect(result.min).toBeLessThanOrEqual(result.total);
    expect(result.total).toBeLessThanOrEqual(result.max);
    // min: the GPU pool at 0 nodes; max: 2 more system nodes (50 GiB disks) and 1 more GPU node (200 GiB).
    expect(result.total - result.min).toBeCloseTo(734.38 + 20, 2);
    expect(result.max - result.total).toBeCloseTo(2 * 70.08 + 2 * 5 + 734.38 + 20, 2);
    expect(result).toMatchObject({ pricesAsOf: "2026-11", region: "us-east-1", scope: "stack" });
  });

  it("costs every item as quantity times unit price, to the cent", () => {
    for (const i of result.items) expect(i.monthlyUsd).toBe(Math.round(i.quantity * i.unitPrice * 100) / 100);
  });
});

describe("cost settings and variants", () => {
  const gpuPool = [nodeGroup("system", ["m6i.large"], { minSize: 2, desiredSize: 2, maxSize: 2 }), nodeGroup("gpu", ["g5.xlarge"], { minSize: 1, desiredSize: 1, maxSize: 2 })];

  it("prices GPU nodes for their hours a day at the expected size and around the clock at the maximum; CPU nodes always run", () => {
    const result = estimate(gpuPool, { gpuHoursPerDay: 8 });
    expect(item(result, "gpu", "EC2 g5.xlarge on-demand instance-hour").quantity).toBeCloseTo((8 * 730) / 24, 3);
    expect(item(result, "system", "EC2 m6i.large on-demand instance-hour").quantity).toBe(2 * 730);
    // Two system nodes and two GPU nodes around the clock, each with a 50 GiB gp2 disk.
    expect(result.max).toBeCloseTo(2 * 70.08 + 2 * 730 * 1.006 + 4 * 5, 2);
    expect(result.notes).toContain("GPU nodes run 8 h a day at the expected and minimum sizes, and around the clock at the maximum.");
    expect(result.total).toBeLessThan(estimate(gpuPool).total);
  });

  it("prices spot capacity at the spot discount off on-demand", () => {
    const spot = [nodeGroup("gpu", ["g6.xlarge"], { minSize: 1, desiredSize: 1, maxSize: 1 }, { capacityType: "SPOT" })];
    expect(item(estimate(spot, { spotDiscount: 0.6 }), "gpu", "EC2 g6.xlarge spot instance-hour").unitPrice).toBeCloseTo(0.8048 * 0.4, 6);
  });

  it("prices a Kubernetes version past standard support at the extended-support rate", () => {
    const result = estimate([planned("aws:eks/cluster:Cluster", "cluster", { name: "old", version: "1.31" })]);
    expect(item(result, "cluster", "EKS cluster-hour (Kubernetes 1.31, extended support)")).toMatchObject({ unitPrice: 0.6, monthlyUsd: 438 });
  });

  it("prices a node group's launch-template root volume (gp3) instead of diskSize", () => {
    const plan = [
      planned("aws:ec2/launchTemplate:LaunchTemplate", "gpu-nodes", { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: 300, volumeType: "gp3" } }] }),
      nodeGroup("gpu", ["g5.xlarge"], { minSize: 1, desiredSize: 1, maxSize: 1 }, { diskSize: undefined, launchTemplate: { id: "gpu-nodes-id", version: "1" } }),
    ];
    expect(item(estimate(plan), "gpu", "EBS gp3 GiB-month (node root volumes)")).toMatchObject({ quantity: 300, unitPrice: 0.08, monthlyUsd: 24 });
  });

  it("prices provisioned gp3 IOPS and throughput above the included 3,000 IOPS and 125 MiB/s", () => {
    const plan = [storageClass("fast", "ebs.csi.aws.com", { type: "gp3", iops: "6000", throughput: "250" }), pvc("db", "200Gi", "fast")];
    const result = estimate(plan);
    expect(item(result, "PersistentVolumeClaim app/db", "EBS gp3 IOPS-month above 3000")).toMatchObject({ quantity: 3000, unitPrice: PRICES.ebs.gp3IopsMonth, monthlyUsd: 15 });
    expect(item(result, "PersistentVolumeClaim app/db", "EBS gp3 MiB/s-month above 125")).toMatchObject({ quantity: 125, unitPrice: PRICES.ebs.gp3MiBpsMonth, monthlyUsd: 5 });
  });

  it("prices a StatefulSet's claim templates once per replica", () => {
    const plan = [k8s("StatefulSet", "redis", { spec: { replicas: 3, volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { resources: { requests: { storage: "10Gi" } } } }] } })];
    expect(item(estimate(plan), "StatefulSet app/redis (data)", "EBS gp3 GiB-month")).toMatchObject({ quantity: 30, monthlyUsd: 2.4 });
  });

  it("prices an S3 bucket at the assumed stored size, S3 Standard", () => {
    const result = estimate([planned("aws:s3/bucket:Bucket", "backups", {})]);
    expect(item(result, "backups", "S3 Standard GB-month")).toMatchObject({ quantity: 50, unitPrice: 0.023, monthlyUsd: 1.15 });
    expect(result.notes.join("\n")).toContain("S3: 50 GB stored per bucket");
  });

  it("prices a CloudNativePG Cluster's volumes once per instance, data and WAL, and no other kind called Cluster", () => {
    const cluster = (apiVersion: string) =>
      planned("kubernetes:postgresql.cnpg.io/v1:Cluster", "db", { apiVersion, kind: "Cluster", metadata: { name: "db", namespace: "app" }, spec: { instances: 3, storage: { size: "10Gi" }, walStorage: { size: "2Gi" } } });
    const result = estimate([cluster("postgresql.cnpg.io/v1")]);
    expect(item(result, "Cluster app/db (data volume)", "EBS gp3 GiB-month")).toMatchObject({ quantity: 30, monthlyUsd: 2.4 });
    expect(item(result, "Cluster app/db (WAL volume)", "EBS gp3 GiB-month")).toMatchObject({ quantity: 6 });
    expect(estimate([cluster("example.com/v1")]).items.filter((i) => i.resource.startsWith("Cluster"))).toEqual([]);
  });

  it("prices a LoadBalancer Service without the controller's annotations as the in-tree Classic LB", () => {
    expect(item(estimate([k8s("Service", "web", { spec: { type: "LoadBalancer" } })]), "Service app/web", "Classic LB-hour")).toMatchObject({ unitPrice: 0.025, monthlyUsd: 18.25 });
  });

  it("prices one ALB per ingress group, and an IngressClass of the ALB controller as ALB", () => {
    const group = { "alb.ingress.kubernetes.io/group.name": "public" };
    const plan = [
      planned("kubernetes:networking.k8s.io/v1:IngressClass", "shared-alb", { apiVersion: "networking.k8s.io/v1", kind: "IngressClass", metadata: { name: "shared-alb" }, spec: { controller: "ingress.k8s.aws/alb" } }),
      k8s("Ingress", "a", { spec: { ingressClassName: "shared-alb" } }, group),
      k8s("Ingress", "b", { spec: { ingressClassName: "shared-alb" } }, group),
    ];
    const albs = estimate(plan).items.filter((i) => i.type === "ALB-hour");
    expect(albs).toEqual([expect.objectContaining({ resource: "ALB group public", quantity: 730 })]);
  });

  it("prices an Ingress without a class as ALB when the plan's default IngressClass is the ALB controller's", () => {
    const plan = [
      planned("kubernetes:networking.k8s.io/v1:IngressClass", "alb", {
        apiVersion: "networking.k8s.io/v1", kind: "IngressClass",
        metadata: { name: "alb", annotations: { "ingressclass.kubernetes.io/is-default-class": "true" } },
        spec: { controller: "ingress.k8s.aws/alb" },
      }),
      k8s("Ingress", "web", { spec: {} }),
    ];
    expect(item(estimate(plan), "Ingress app/web", "ALB-hour")).toMatchObject({ quantity: 730 });
  });

  it("does not price an Ingress of another controller, and says whose load balancer that is", () => {
    const result = estimate([k8s("Ingress", "frontend", { spec: { ingressClassName: "nginx" } })]);
    expect(result.items).toEqual([]);
    expect(result.notes).toContain("Ingress app/frontend uses ingress class nginx: its load balancer belongs to that controller and is not priced here.");
  });

  it("refuses to price a node type it has no price for rather than counting it as $0", () => {
    expect(() => estimate([nodeGroup("gpu", ["x9.huge"], { minSize: 1, desiredSize: 1, maxSize: 1 })])).toThrow("no us-east-1 price for instance type x9.huge");
  });
});

describe("a stack on an existing cluster", () => {
  it("prices only what it adds (volumes, load balancers) and says so", () => {
    const result = estimate(FULL_PLAN, { scope: "additions" });
    expect(result.scope).toBe("additions");
    expect(new Set(result.items.map((i) => /^[A-Z0-9]+/i.exec(i.type)![0]))).toEqual(new Set(["EBS", "EFS", "NLB", "ALB"]));
    expect(result.items.map((i) => i.resource)).not.toContain("cluster");
    expect(result.items.filter((i) => i.type.startsWith("EC2"))).toEqual([]);
    expect(result.notes[0]).toMatch(/^Only what the stack adds to an existing cluster/);
  });

  it("prices a claim on a storage class the plan does not create as gp3, with a note", () => {
    const result = estimate([pvc("cache", "20Gi", "local-path")], { scope: "additions" });
    expect(item(result, "PersistentVolumeClaim app/cache", "EBS gp3 GiB-month")).toMatchObject({ quantity: 20, monthlyUsd: 1.6 });
    expect(result.notes).toContain("Volumes on the existing cluster's storage classes are priced as EBS gp3.");
  });
});
