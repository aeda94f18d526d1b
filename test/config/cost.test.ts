import { parse as parseConfig, problemsWith } from "../support/config";

const BASE = { phase: "mock", monitoring: { enabled: false } };

const parse = (settings: Record<string, unknown>) => parseConfig({ ...BASE, ...settings }, "test");
/** The whole message of a rejected config. */
const message = (settings: Record<string, unknown>) => problemsWith({ ...BASE, ...settings }, "test");

describe("cost config", () => {
  it("defaults to GPU nodes around the clock, a 50% spot discount and four model-server canaries a month", () => {
    expect(parse({}).cost).toEqual({ gpuHoursPerDay: 24, spotDiscount: 0.5, modelServerCanariesPerMonth: 4 });
  });

  it.each([
    ["gpuHoursPerDay", { gpuHoursPerDay: 8 }, { gpuHoursPerDay: 25 }, "cost.gpuHoursPerDay: expected 0 to 24 hours a day; found 25"],
    ["spotDiscount", { spotDiscount: 0.7 }, { spotDiscount: 1 }, "cost.spotDiscount: expected a fraction from 0 to 0.9; found 1"],
    ["modelServerCanariesPerMonth", { modelServerCanariesPerMonth: 0 }, { modelServerCanariesPerMonth: 1.5 }, "cost.modelServerCanariesPerMonth: expected a whole number of releases; found 1.5"],
    ["region", { region: "us-east-1" }, { region: "eu-west-9" }, 'cost.region: expected one of us-east-1, us-west-2; found "eu-west-9"'],
  ])("%s: accepts a valid value and names the key of an invalid one", (_key, valid, invalid, expected) => {
    expect(() => parse({ cost: valid })).not.toThrow();
    expect(message({ cost: invalid })).toContain(`ai-assistant:${expected}`);
  });

  it("refuses cost.region on an EKS stack, which is priced in cluster.region", () => {
    expect(message({ cluster: { type: "eks" }, cost: { region: "us-east-1" } })).toContain(
      'ai-assistant:cost.region: expected no cost.region on an EKS stack (it is priced in cluster.region); found "us-east-1"',
    );
  });
});

describe("node instance types and regions the estimate cannot price", () => {
  it("refuses an instance type without a price, naming the file, the key, what was expected and what was found", () => {
    const text = message({ cluster: { type: "eks", gpuNodes: { instanceTypes: ["g5.xlarge", "g9.xlarge"] } } });
    expect(text).toBe(
      "Invalid configuration in Pulumi.test.yaml (1 problem):\n" +
        "  - ai-assistant:cluster.gpuNodes.instanceTypes[1]: expected an EC2 instance type with a us-west-2 price in tools/cost/prices.ts " +
        '(families c6i, c7i, g5, g6, g6e, m6a, m6i, m7a, m7i, t3); found "g9.xlarge"',
    );
  });

  it("checks the system pool too, and accepts every priced type", () => {
    expect(message({ cluster: { type: "eks", systemNodes: { instanceTypes: ["m5.large"] } } })).toContain("ai-assistant:cluster.systemNodes.instanceTypes[0]: expected an EC2 instance type");
    expect(() => parse({ cluster: { type: "eks", systemNodes: { instanceTypes: ["m7i.xlarge", "c6i.large"] }, gpuNodes: { instanceTypes: ["g6e.2xlarge", "g6.xlarge"] } } })).not.toThrow();
  });

  it("refuses a region without prices", () => {
    expect(message({ cluster: { type: "eks", region: "eu-west-1" } })).toContain(
      'ai-assistant:cluster.region: expected a region the cost estimate has prices for (us-east-1, us-west-2; add one in tools/cost/prices.ts); found "eu-west-1"',
    );
  });

  it("takes a capacity type per node pool: on-demand (the default) or spot", () => {
    const cluster = parse({ cluster: { type: "eks", gpuNodes: { capacityType: "spot" } } }).cluster;
    expect(cluster).toMatchObject({ systemNodes: { capacityType: "on-demand" }, gpuNodes: { capacityType: "spot" } });
    expect(message({ cluster: { type: "eks", gpuNodes: { capacityType: "SPOT" } } })).toContain('ai-assistant:cluster.gpuNodes.capacityType: expected "on-demand" or "spot"; found "SPOT"');
  });
});
