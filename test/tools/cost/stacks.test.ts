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

  it("costs less with g6.xlarge GPU nodes than with g5.xlarge", async () => {
    const { cost: g6 } = await costOfConfig(prodWith({ gpuNodes: { instanceTypes: ["g6.xlarge"], minSize: 1, desiredSize: 1, maxSize: 2 } }), "prod");
    expect(g6.items.map((item) => item.type)).toContain("EC2 g6.xlarge on-demand instance-hour");
    expect(g6.total).toBeLessThan(cost.total);
    expect(cost.total - g6.total).toBeCloseTo((1.006 - 0.8048) * 730, 2);
  });

  it("runs spot GPU nodes as SPOT capacity and prices them at the spot discount", async () => {
    const { result, cost: spot } = await costOfConfig(
      prodWith({ gpuNodes: { instanceTypes: ["g5.xlarge"], minSize: 1, desiredSize: 1, maxSize: 2, capacityType: "spot" } }, { cost: { spotDiscount: 0.6 } }),
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
