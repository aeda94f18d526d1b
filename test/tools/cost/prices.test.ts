import { readFileSync } from "fs";
import { join } from "path";
import { hasInstancePrice, inExtendedSupport, isGpuInstanceType, PRICED_REGIONS, PRICES_AS_OF, pricesFor } from "../../../tools/cost/prices";

describe("the price tables", () => {
  it("are dated with the month their sources were looked up in, and cover us-east-1 and us-west-2", () => {
    // The date users read beside every estimate: the month the header of prices.ts says the figures were checked.
    expect(PRICES_AS_OF).toBe("2026-11");
    expect(readFileSync(join(__dirname, "../../../tools/cost/prices.ts"), "utf8")).toContain(`(looked up ${PRICES_AS_OF}`);
    expect(PRICED_REGIONS).toEqual(expect.arrayContaining(["us-east-1", "us-west-2"]));
  });

  it("carry the brief's us-east-1 GPU prices and the stacks' default node types in every region", () => {
    expect(pricesFor("us-east-1").ec2).toMatchObject({ "g5.xlarge": 1.006, "g6.xlarge": 0.8048, "g6e.xlarge": 1.861 });
    for (const region of PRICED_REGIONS) {
      for (const type of ["m6i.large", "g5.xlarge", "g6.xlarge", "g6e.xlarge", "m7i.large", "c6i.xlarge"]) expect(hasInstancePrice(region, type)).toBe(true);
      for (const price of Object.values(pricesFor(region).ec2)) expect(price).toBeGreaterThan(0);
    }
  });

  it("tell GPU instance types from CPU ones", () => {
    expect(["g5.xlarge", "g6e.12xlarge", "p5.48xlarge"].map(isGpuInstanceType)).toEqual([true, true, true]);
    expect(["m6i.large", "c7i.xlarge", "t3.medium"].map(isGpuInstanceType)).toEqual([false, false, false]);
  });

  it("bill a Kubernetes version at the extended-support rate once its standard support ended before the month", () => {
    expect(inExtendedSupport("1.33", "2026-11")).toBe(true); // standard support ended 2026-07-29
    expect(inExtendedSupport("1.34", "2026-11")).toBe(false); // ends 2026-12-02
    expect(inExtendedSupport("1.34", "2027-01")).toBe(true);
    expect(inExtendedSupport("1.36", "2026-11")).toBe(false); // newer than the calendar: standard
    expect(inExtendedSupport("1.27", "2026-11")).toBe(true); // older than the calendar: extended
  });
});
