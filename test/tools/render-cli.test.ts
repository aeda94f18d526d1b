import { spawnSync } from "child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parseAllDocuments } from "yaml";
import { PROJECT_DIR } from "../support/render";

function renderCli(...args: string[]) {
  const run = spawnSync(process.execPath, ["-r", "./tools/register.js", "tools/render-cli.ts", ...args], { cwd: PROJECT_DIR, encoding: "utf8" });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("npm run render", () => {
  it("writes the dev stack's Kubernetes objects as YAML and every resource to plan.json", () => {
    const out = mkdtempSync(join(tmpdir(), "render-"));
    const run = renderCli("--stack", "dev", "--out", out);
    // dev configures no Alertmanager receiver, and the render says so, on one line.
    expect(run.stderr).toBe(
      "warning: [runtime] monitoring: Alertmanager has no receiver, so alerts reach no one; name slack or pagerduty in ai-assistant:monitoring.alertReceivers and set its secret (alertSlackWebhookUrl, alertPagerDutyRoutingKey)\n",
    );
    expect(run.status).toBe(0);
    const files = readdirSync(out);
    expect(files).toEqual(expect.arrayContaining(["backend.yaml", "frontend.yaml", "namespace.yaml", "plan.json"]));
    const kinds = files
      .filter((f) => f.endsWith(".yaml"))
      .flatMap((f) => parseAllDocuments(readFileSync(join(out, f), "utf8")).map((d) => d.toJS().kind));
    expect(kinds).toEqual(expect.arrayContaining(["Namespace", "ConfigMap", "Deployment", "Service", "HorizontalPodAutoscaler"]));
    const plan = JSON.parse(readFileSync(join(out, "plan.json"), "utf8"));
    expect(plan).toMatchObject({ project: "ai-assistant", stack: "dev" });
    const entry = plan.resources.find((r: { type: string }) => r.type === "kubernetes:apps/v1:Deployment");
    expect(Object.keys(entry)).toEqual(expect.arrayContaining(["type", "name", "parent", "inputs"]));
  });

  it("renders the same stack to the same bytes twice, so renders diff cleanly on pull requests", () => {
    const [a, b] = [mkdtempSync(join(tmpdir(), "render-a-")), mkdtempSync(join(tmpdir(), "render-b-"))];
    expect(renderCli("--stack", "prod", "--out", a).status).toBe(0);
    expect(renderCli("--stack", "prod", "--out", b).status).toBe(0);
    for (const file of readdirSync(a)) expect(readFileSync(join(b, file), "utf8")).toBe(readFileSync(join(a, file), "utf8"));
  });

  it("exits 1 on invalid config with the message alone: file, key, expectation, finding, no stack trace", () => {
    const dir = mkdtempSync(join(tmpdir(), "stack-"));
    const file = join(dir, "Pulumi.broken.yaml");
    writeFileSync(file, "config:\n  ai-assistant:phase: mock\n  ai-assistant:backend:\n    replicas: many\n");
    const run = renderCli("--stack", "broken", "--stack-file", file, "--out", join(dir, "out"));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("Invalid configuration in Pulumi.broken.yaml");
    expect(run.stderr).toContain('ai-assistant:backend.replicas: expected a whole number; found "many"');
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(readdirSync(dir)).not.toContain("out");
  });

  it("exits 1 with a plain message for a stack that has no file", () => {
    const run = renderCli("--stack", "nowhere");
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^There is no stack file .*Pulumi\.nowhere\.yaml\.\n$/);
  });
});
