import { spawnSync } from "child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parseAllDocuments } from "yaml";
import { PROJECT_DIR } from "../support/render";

function renderCli(...args: string[]) {
  const run = spawnSync(process.execPath, ["-r", "./tools/register.js", "tools/render-cli.ts", ...args], { cwd: PROJECT_DIR, encoding: "utf8" });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("npm run render", () => {
  it("writes the dev stack's Kubernetes objects as YAML and every resource to plan.json, into a new folder", () => {
    const out = join(mkdtempSync(join(tmpdir(), "render-")), "nested", "dev");
    const run = renderCli("--stack", "dev", "--out", out);
    // dev configures no Alertmanager receiver, and the render says so, on one line.
    expect(run.stderr).toBe(
      "warning: monitoring: Alertmanager has no receiver, so alerts reach no one; name slack or pagerduty in ai-assistant:monitoring.alertReceivers and set its secret (alertSlackWebhookUrl, alertPagerDutyRoutingKey)\n",
    );
    expect(run.status).toBe(0);
    // dev sets no Grafana password yet: the render says what to set before `pulumi up`, and nothing it does not need.
    expect(run.stdout).toContain("to set before `pulumi up`:");
    expect(run.stdout).toContain("pulumi config set --secret ai-assistant:grafanaAdminPassword <value> --stack dev");
    expect(run.stdout).not.toContain("ai-assistant:apiKey");
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

  it("lists prod's certificate among what to set before `pulumi up`: the committed file holds no example ARN", () => {
    const out = mkdtempSync(join(tmpdir(), "render-prod-"));
    const run = renderCli("--stack", "prod", "--out", out);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("  ai-assistant:frontend.expose.certificateArn (the ACM certificate the ALB serves the chat's host with): pulumi config set --path");
    expect(readFileSync(join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8")).not.toMatch(/certificateArn:\s*arn:/);
    expect(readFileSync(join(out, "frontend.yaml"), "utf8")).toContain('alb.ingress.kubernetes.io/certificate-arn: "<to set: ai-assistant:frontend.expose.certificateArn>"');
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
    expect(run.stderr).toContain(`Invalid configuration in ${file}`);
    expect(run.stderr).toContain('ai-assistant:backend.replicas: expected a whole number; found "many"');
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(readdirSync(dir)).not.toContain("out");
  });

  it("exits 1 with a plain message for a stack that has no file", () => {
    const run = renderCli("--stack", "nowhere");
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^There is no stack file .*Pulumi\.nowhere\.yaml\.\n$/);
  });

  describe("--out never deletes a file it did not write", () => {
    it("given a folder holding other files, it refuses and leaves them alone", () => {
      const dir = mkdtempSync(join(tmpdir(), "out-"));
      writeFileSync(join(dir, "Pulumi.dev.yaml"), "config: {}\n");
      writeFileSync(join(dir, "notes.yaml"), "mine: true\n");
      const run = renderCli("--stack", "dev", "--out", dir);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`Not rendering into ${dir}: it holds files the render did not write`);
      expect(run.stderr).not.toMatch(/^\s+at /m);
      expect(readdirSync(dir).sort()).toEqual(["Pulumi.dev.yaml", "notes.yaml"]);
    });

    it("given the project folder (`--out .`), the stack files stay", () => {
      const before = readFileSync(join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8");
      const run = spawnSync(process.execPath, ["-r", "./tools/register.js", "tools/render-cli.ts", "--stack", "dev", "--out", "."], { cwd: PROJECT_DIR, encoding: "utf8" });
      expect(run.status).toBe(1);
      expect(readFileSync(join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8")).toBe(before);
      expect(existsSync(join(PROJECT_DIR, "plan.json"))).toBe(false);
    });

    it("given a folder it rendered before, it replaces only what its manifest lists", () => {
      const dir = mkdtempSync(join(tmpdir(), "out-"));
      expect(renderCli("--stack", "prod", "--out", dir).status).toBe(0);
      expect(readdirSync(dir)).toEqual(expect.arrayContaining(["local-models.yaml", "cluster.yaml", ".render-manifest.json"]));
      writeFileSync(join(dir, "notes.txt"), "mine\n");
      expect(renderCli("--stack", "dev", "--out", dir).status).toBe(0);
      const files = readdirSync(dir);
      // prod's files went (the manifest listed them); the user's file stayed; dev's files are there.
      expect(files).not.toContain("local-models.yaml");
      expect(files).toEqual(expect.arrayContaining(["notes.txt", "backend.yaml", "plan.json"]));
      expect(JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")).stack).toBe("dev");
    });

  });

  describe("--stack-file", () => {
    const dir = mkdtempSync(join(tmpdir(), "stack-file-"));
    const file = join(dir, "candidate.yaml");
    writeFileSync(file, "config:\n  ai-assistant:phase: hosted-api\n  ai-assistant:monitoring:\n    enabled: false\n");

    it("without --stack is refused with the usage, and writes nothing", () => {
      const run = renderCli("--stack-file", file, "--out", join(dir, "out"));
      expect(run.status).toBe(2);
      expect(run.stderr).toContain("--stack-file needs --stack <name>");
      expect(run.stderr).toContain("usage: npm run render");
      expect(existsSync(join(dir, "out"))).toBe(false);
    });

    it("with --stack, every config message names that file", () => {
      const run = renderCli("--stack", "candidate", "--stack-file", file, "--out", join(dir, "out"));
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`Invalid configuration in ${file}`);
      expect(run.stderr).not.toContain("Pulumi.candidate.yaml");
    });
  });

  it("an unknown option prints what was wrong and the usage, never a stack trace", () => {
    const run = renderCli("--stak", "dev");
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("Unknown option '--stak'");
    expect(run.stderr).toContain("usage: npm run render");
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  describe("secrets a stack does not set", () => {
    // A required one listed with its command: the first test above, on dev.
    it("none are listed when the stack sets them all", () => {
      const dir = mkdtempSync(join(tmpdir(), "stack-"));
      writeFileSync(join(dir, "all-set.yaml"), "config:\n  ai-assistant:phase: mock\n  ai-assistant:grafanaAdminPassword:\n    secure: AAABAGNpcGhlcg==\n");
      const run = renderCli("--stack", "allset", "--stack-file", join(dir, "all-set.yaml"), "--out", join(dir, "out"));
      expect(run.status).toBe(0);
      expect(run.stdout).not.toContain("to set before");
    });
  });
});
