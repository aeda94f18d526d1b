import { readFileSync } from "fs";
import { join } from "path";
import type { CostEstimate } from "../../../tools/cost/estimate";
import { embeddedCostTable } from "../../../tools/cost/doc-table";
import { costTable } from "../../../tools/cost/format";
import { costOfConfig, costOfStack } from "../../support/cost";
import { OLLAMA } from "../../support/configs";
import { planned } from "../../support/eks";
import { PROJECT_DIR, stackFileSettings } from "../../support/render";

const cents = (usd: number) => Math.round(usd * 100);

/** The prod stack file with its cluster settings changed. */
function prodWith(cluster: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const settings = stackFileSettings("prod");
  return { ...settings, cluster: { ...(settings.cluster as Record<string, unknown>), ...cluster }, ...extra };
}

describe("the prod stack's estimate", () => {
  let cost: CostEstimate;
  beforeAll(async () => {
    ({ cost } = await costOfStack("prod"));
  });

  it("prices what the EKS stack creates, at us-west-2 prices of 2026-11, and adds up to its total", () => {
    expect(cost).toMatchObject({ region: "us-west-2", pricesAsOf: "2026-11", scope: "stack" });
    const types = cost.items.map((item) => item.type);
    expect(types).toEqual(expect.arrayContaining([
      "EKS cluster-hour (standard support)",
      "EC2 g5.xlarge on-demand instance-hour",
      "EC2 m6i.xlarge on-demand instance-hour",
      "NAT gateway-hour",
      "public IPv4 address-hour",
      "KMS key-month",
      "CloudWatch Logs GB ingested",
      "EBS gp3 GiB-month",
    ]));
    expect(cents(cost.total)).toBe(cost.items.reduce((sum, item) => sum + cents(item.monthlyUsd), 0));
    expect(cost.min).toBeLessThanOrEqual(cost.total);
    expect(cost.total).toBeLessThanOrEqual(cost.max);
  });

  it("prices the model cache and the Prometheus and Grafana volumes on the stack's gp3 class", () => {
    const volumes = cost.items.filter((item) => item.type === "EBS gp3 GiB-month").map((item) => [item.resource, item.quantity]);
    expect(volumes).toEqual(expect.arrayContaining([
      [expect.stringMatching(/^PersistentVolumeClaim ai-assistant\/model-server-cache-[0-9a-f]{6}$/), 100],
      ["monitoring-kube-prometheus-stack (prometheus volume)", 100],
      ["monitoring-kube-prometheus-stack (grafana volume)", 10],
    ]));
  });

  it("is the table docs/prod-on-aws.md embeds (regenerate it with npm run cost -- --stack prod --write docs/prod-on-aws.md)", () => {
    const doc = readFileSync(join(PROJECT_DIR, "docs", "prod-on-aws.md"), "utf8");
    expect(embeddedCostTable(doc, "prod")).toBe(costTable(cost));
  });

  /** The prod stack with its Karpenter GPU pool changed. */
  const prodPool = (pool: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const cluster = stackFileSettings("prod").cluster as { karpenter: { gpuPool: Record<string, unknown> } };
    return prodWith({ karpenter: { ...cluster.karpenter, gpuPool: { ...cluster.karpenter.gpuPool, ...pool } } }, extra);
  };

  it("prices the Karpenter GPU NodePool at cost.gpuHoursPerDay (12 h in prod) for its model server, and its limits (2 nodes) around the clock at most", () => {
    const gpu = cost.items.filter((item) => item.resource === "NodePool gpu");
    expect(gpu).toEqual([
      { resource: "NodePool gpu", type: "EC2 g5.xlarge on-demand instance-hour", quantity: 365, unitPrice: 1.006, monthlyUsd: 367.19 },
      { resource: "NodePool gpu", type: "EBS gp3 GiB-month (node root volumes)", quantity: 100, unitPrice: 0.08, monthlyUsd: 8 },
    ]);
    // Asleep all month at the minimum (scale-to-zero): no GPU node; at the maximum two nodes (limits: 2 GPUs, 8 CPU, 32 GiB).
    const withoutGpu = cost.items.filter((item) => item.resource !== "NodePool gpu").reduce((sum, item) => sum + cents(item.monthlyUsd), 0) / 100;
    expect(cost.min).toBeCloseTo(withoutGpu, 2);
    expect(cost.max - cost.total).toBeGreaterThan(2 * 730 * 1.006 - 367.19 - 1);
  });

  it("costs less with g6.xlarge GPU nodes than with g5.xlarge", async () => {
    const { cost: g6 } = await costOfConfig(prodPool({ instanceTypes: ["g6.xlarge"] }), "prod");
    expect(g6.items.map((item) => item.type)).toContain("EC2 g6.xlarge on-demand instance-hour");
    expect(g6.total).toBeLessThan(cost.total);
    expect(cost.total - g6.total).toBeCloseTo((1.006 - 0.8048) * 365, 1);
  });

  it("prices a pool that allows spot at the spot discount (Karpenter prefers spot, falls back to on-demand)", async () => {
    const { result, cost: spot } = await costOfConfig(prodPool({ capacityTypes: ["spot", "on-demand"] }, { cost: { gpuHoursPerDay: 12, spotDiscount: 0.6 } }), "prod");
    const pool = result.kubernetesObjects.map(({ object }) => object as { kind: string; spec: { template: { spec: { requirements: { key: string; values: string[] }[] } } } }).find((o) => o.kind === "NodePool" && (o as unknown as { metadata: { name: string } }).metadata.name === "gpu")!;
    expect(pool.spec.template.spec.requirements.find((r) => r.key === "karpenter.sh/capacity-type")!.values).toEqual(["spot", "on-demand"]);
    const gpu = spot.items.find((item) => item.resource === "NodePool gpu" && item.type.startsWith("EC2"))!;
    expect(gpu).toMatchObject({ type: "EC2 g5.xlarge spot instance-hour", unitPrice: 0.4024, monthlyUsd: 146.88 });
  });

  it("runs a fixed GPU node group, when switched on, as SPOT capacity priced at the spot discount", async () => {
    const { result, cost: spot } = await costOfConfig(
      prodWith({ gpuNodes: { enabled: true, instanceTypes: ["g5.xlarge"], minSize: 1, desiredSize: 1, maxSize: 2, capacityType: "spot" } }, { cost: { spotDiscount: 0.6, gpuHoursPerDay: 24 } }),
      "prod",
    );
    expect(planned(result, "aws:eks/nodeGroup:NodeGroup", "cluster-nodes-gpu")[0].inputs.capacityType).toBe("SPOT");
    expect(planned(result, "aws:eks/nodeGroup:NodeGroup", "cluster-nodes-system")[0].inputs.capacityType).toBe("ON_DEMAND");
    const gpu = spot.items.find((item) => item.resource === "cluster-nodes-gpu" && item.type.startsWith("EC2"))!;
    expect(gpu).toMatchObject({ type: "EC2 g5.xlarge spot instance-hour", unitPrice: 0.4024, monthlyUsd: 293.75 });
  });
});

describe("a stack on an existing cluster", () => {
  it("dev adds nothing priced (no volumes, no load balancer), and says it prices only its additions", async () => {
    const { cost } = await costOfStack("dev");
    expect(cost).toMatchObject({ scope: "additions", total: 0, min: 0, max: 0, items: [] });
    expect(cost.notes[0]).toMatch(/^Only what the stack adds to an existing cluster/);
  });

  it("prices the volumes and load balancer it adds, in the cost.region it names", async () => {
    const { cost } = await costOfConfig({
      ...OLLAMA,
      frontend: { expose: { type: "LoadBalancer", annotations: { "service.beta.kubernetes.io/aws-load-balancer-type": "external" } } },
      cost: { region: "us-east-1" },
    });
    expect(cost).toMatchObject({ scope: "additions", region: "us-east-1" });
    expect(cost.items.map((item) => [item.resource, item.type])).toEqual(expect.arrayContaining([
      [expect.stringMatching(/^PersistentVolumeClaim assistant-test\//), "EBS gp3 GiB-month"],
      ["Service assistant-test/frontend", "NLB-hour"],
    ]));
    expect(cost.items.filter((item) => /^(EKS|EC2|NAT|KMS|CloudWatch)/.test(item.type))).toEqual([]);
    expect(cents(cost.total)).toBe(cost.items.reduce((sum, item) => sum + cents(item.monthlyUsd), 0));
  });
});
