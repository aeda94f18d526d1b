import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { PROJECT_DIR } from "../../support/render";

function renderCli(...args: string[]) {
  return spawnSync(process.execPath, ["-r", "./tools/register.js", "tools/render-cli.ts", ...args], { cwd: PROJECT_DIR, encoding: "utf8" });
}

describe("npm run render and the cost estimate", () => {
  it("prints one line with the monthly range, the expected total and the prices' date, and writes cost.json", () => {
    const out = mkdtempSync(join(tmpdir(), "render-cost-"));
    const run = renderCli("--stack", "prod", "--out", out);
    expect(run.stderr).toBe("");
    const cost = JSON.parse(readFileSync(join(out, "cost.json"), "utf8"));
    expect(Object.keys(cost)).toEqual(expect.arrayContaining(["total", "min", "max", "items", "pricesAsOf"]));
    expect(Object.keys(cost.items[0]).sort()).toEqual(["monthlyUsd", "quantity", "resource", "type", "unitPrice"]);
    const usd = (value: number) => `$${Math.round(value).toLocaleString("en-US")}`;
    expect(run.stdout.split("\n").find((line) => line.startsWith("estimated "))).toBe(
      `estimated ${usd(cost.min)}/month (min) - ${usd(cost.max)}/month (max), ${usd(cost.total)}/month expected, us-west-2 prices of 2026-11`,
    );
  });

  it("replaces an earlier cost.json, so a folder never holds the estimate of another render", () => {
    const out = mkdtempSync(join(tmpdir(), "render-cost-"));
    expect(renderCli("--stack", "prod", "--out", out).status).toBe(0);
    writeFileSync(join(out, "cost.json"), "{\"total\": 1}\n");
    expect(renderCli("--stack", "dev", "--out", out).status).toBe(0);
    expect(JSON.parse(readFileSync(join(out, "cost.json"), "utf8"))).toMatchObject({ total: 0, scope: "additions" });
  });
});
