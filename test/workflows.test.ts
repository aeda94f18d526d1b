/**
 * Every workflow in .github/workflows/, parsed by GitHub's own parser (@actions/workflow-parser), and the security
 * properties checked on what it parsed: no `pull_request_target`, actions pinned by full commit SHA with the
 * version beside it, least-privilege permissions on every job, untrusted code without write access or secrets.
 */
import { spawnSync } from "child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { PROJECT_DIR } from "./support/render";

const WORKFLOWS = join(PROJECT_DIR, ".github", "workflows");

interface Parsed {
  file: string;
  errors: string[];
  events: string[];
  uses: { job: string; uses: string }[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  document: Record<string, any>;
}

function parseWorkflows(files: string[]): Parsed[] {
  const run = spawnSync(
    process.execPath,
    ["--import", "./test/support/workflow-parser/register.mjs", "test/support/workflow-parser/parse-workflows.mjs", ...files],
    { cwd: PROJECT_DIR, encoding: "utf8" },
  );
  if (run.status !== 0) throw new Error(`the workflow parser failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Parsed[];
}

const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(WORKFLOWS, f));
const parsed = parseWorkflows(files);
const byName = (file: string) => parsed.find((p) => p.file === file)!;
const jobsOf = (workflow: Parsed) => Object.entries(workflow.document.jobs as Record<string, Record<string, unknown>>);

describe("GitHub's workflow parser", () => {
  it("finds the workflows: pull requests, their comment, dev deploy, promotion, prod deploy, releases", () => {
    expect(parsed.map((p) => p.file).sort()).toEqual(["deploy-dev.yml", "deploy-prod.yml", "pr-comment.yml", "promote.yml", "pull-request.yml", "release.yml"]);
  });

  it.each(files.map((f) => [f.split("/").pop()!]))("parses %s without an error", (file) => {
    expect(byName(file).errors).toEqual([]);
  });

  it("reports the errors of a broken workflow (so a clean parse means something)", () => {
    const dir = mkdtempSync(join(tmpdir(), "workflow-"));
    const broken = join(dir, "broken.yml");
    writeFileSync(broken, "on: push\njobs:\n  build:\n    steps:\n      - uses: actions/checkout@v4\n        whith: {}\n");
    expect(parseWorkflows([broken])[0].errors.length).toBeGreaterThan(0);
  });
});

describe("security properties of what was parsed", () => {
  it("no workflow runs on pull_request_target", () => {
    for (const workflow of parsed) expect(workflow.events).not.toContain("pull_request_target");
  });

  it("every action is pinned by a full commit SHA, with its version in a comment on the same line", () => {
    for (const workflow of parsed) {
      const text = readFileSync(join(WORKFLOWS, workflow.file), "utf8");
      expect(workflow.uses.length).toBeGreaterThan(0);
      for (const { uses } of workflow.uses) {
        expect(uses).toMatch(/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/);
        const line = text.split("\n").find((l) => l.includes(`uses: ${uses}`));
        expect(line).toMatch(/ # v\d+\.\d+\.\d+$/);
      }
    }
  });

  it("one action, one pin: the same SHA and version wherever an action is used", () => {
    const pins = new Map<string, Set<string>>();
    for (const workflow of parsed) {
      const text = readFileSync(join(WORKFLOWS, workflow.file), "utf8");
      for (const match of text.matchAll(/uses: ([^@\s]+)@(\S+ # \S+)/g)) pins.set(match[1], new Set([...(pins.get(match[1]) ?? []), match[2]]));
    }
    for (const [action, versions] of pins) expect({ action, versions: [...versions] }).toEqual({ action, versions: [expect.any(String)] });
  });

  it("grants nothing at the top and sets permissions on every job", () => {
    for (const workflow of parsed) {
      expect(workflow.document.permissions).toEqual({});
      for (const [id, job] of jobsOf(workflow)) expect({ job: `${workflow.file}:${id}`, permissions: typeof job.permissions }).toEqual({ job: `${workflow.file}:${id}`, permissions: "object" });
    }
  });

  it("the pull request's own code runs read-only and without secrets", () => {
    const pr = byName("pull-request.yml");
    expect(pr.events).toEqual(["pull_request"]);
    for (const id of ["test", "offline-diff"]) {
      expect(pr.document.jobs[id].permissions).toEqual({ contents: "read" });
      expect(JSON.stringify(pr.document.jobs[id])).not.toContain("secrets.");
    }
    // The preview job gets secrets, and only for pull requests from this repository.
    expect(pr.document.jobs.preview.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
    expect(pr.uses).toContainEqual({ job: "preview", uses: expect.stringMatching(/^pulumi\/actions@/) });
  });

  it("the comment workflow posts from the trusted side and never checks out or runs the pull request's code", () => {
    const comment = byName("pr-comment.yml");
    expect(comment.events).toEqual(["workflow_run"]);
    expect(comment.document.on.workflow_run.workflows).toEqual([byName("pull-request.yml").document.name]);
    expect(comment.uses.map((u) => u.uses.split("@")[0])).toEqual(["actions/download-artifact", "actions/github-script"]);
    expect(comment.document.jobs.comment.permissions).toEqual({ actions: "read", "pull-requests": "write" });
    const script = comment.document.jobs.comment.steps[1].with.script as string;
    expect(script).toContain("<!-- ai-assistant:offline-diff -->");
    expect(script).toContain("pr.head.sha !== run.head_sha");
    expect(script).toContain("65536");
  });

  it("prod deploys behind the production environment, from its stack file on main", () => {
    const prod = byName("deploy-prod.yml");
    expect(prod.document.jobs.up.environment).toBe("production");
    expect(prod.document.on.push).toEqual({ branches: ["main"], paths: ["Pulumi.prod.yaml"] });
  });

  it("dev deploys end to end on a kind cluster the job creates, on pull requests that touch the program and on main, with no secret", () => {
    const dev = byName("deploy-dev.yml");
    expect(dev.events.sort()).toEqual(["pull_request", "push", "workflow_dispatch"]);
    expect(dev.document.on.push).toEqual({ branches: ["main"] });
    expect(dev.document.on.pull_request.paths).toEqual(expect.arrayContaining(["index.ts", "Pulumi.dev.yaml", "components/**", "config/**", "lib/**", "services/**"]));
    const job = dev.document.jobs["kind-e2e"];
    expect(job.permissions).toEqual({ contents: "read" });
    // Pull requests run it: no secret, no environment, no shared cluster's kubeconfig.
    expect(JSON.stringify(dev.document)).not.toContain("secrets.");
    expect(job.environment).toBeUndefined();
    const runs = (job.steps as { run?: string; if?: string; name?: string }[]).filter((step) => step.run);
    const script = runs.map((step) => step.run).join("\n");
    // The cluster and registry Pulumi.dev.yaml expects: context kind-ai-assistant, registry localhost:5001.
    expect(script).toContain('kind create cluster --name "$KIND_CLUSTER"');
    expect(job.env.KIND_CLUSTER).toBe("ai-assistant");
    expect(script).toContain("-p 127.0.0.1:5001:5000");
    expect(script).toContain("docker network connect kind kind-registry");
    // Its own state and passphrase, then up, a chat request through a port-forward, and a destroy that always runs.
    expect(script).toContain('pulumi login "file://$RUNNER_TEMP/pulumi-state"');
    expect(script).toContain("pulumi up --yes --skip-preview --stack dev");
    expect(script).toContain("kubectl -n \"$NAMESPACE\" port-forward svc/frontend 3000:8080");
    expect(script).toContain("http://127.0.0.1:3000/v1/chat/completions");
    expect(script).toContain("jq -e '.choices[0].message.content | length > 0'");
    const destroy = runs.find((step) => step.run!.includes("pulumi destroy"))!;
    expect(destroy.if).toBe("always()");
    expect(destroy.run).toContain('kind delete cluster --name "$KIND_CLUSTER"');
    expect(runs.indexOf(destroy)).toBe(runs.length - 1);
    // On main it still keeps dev's outputs for promote.yml.
    expect(script).toContain("pulumi stack output --json --stack dev");
    expect(dev.uses.map((u) => u.uses.split("@")[0])).toEqual(["actions/checkout", "actions/setup-node", "pulumi/actions", "actions/upload-artifact"]);
  });

  it("promotion runs npm run promote and opens a pull request; releases sign, scan and publish digests", () => {
    expect(JSON.stringify(byName("promote.yml").document)).toContain("npm run --silent promote -- --from dev --to prod --outputs");
    expect(byName("promote.yml").events).toEqual(["workflow_dispatch", "workflow_run"]);
    const release = byName("release.yml");
    expect(release.document.on.push.tags).toEqual(["v[0-9]+.[0-9]+.[0-9]+"]);
    const text = JSON.stringify(release.document);
    for (const part of ["linux/amd64,linux/arm64", "cosign sign --yes", "image-digests.json", '"sbom":"true"', '"ignore-unfixed":"true"']) expect(text).toContain(part);
  });
});
