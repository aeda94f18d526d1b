/**
 * `npm run diff` on a scratch repository holding this working tree: real commits, real renders of both sides.
 */
import { spawnSync } from "child_process";
import { readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { ScratchRepo, scratchRepo } from "../support/scratch-repo";

let repo: ScratchRepo;
let clone: string;
const run = (command: string, args: string[]) => repo.run(command, args);

function diff(...args: string[]) {
  return spawnSync(process.execPath, ["-r", "./tools/register.js", "tools/diff.ts", ...args], { cwd: clone, encoding: "utf8" });
}

function editStackFile(stack: string, from: string, to: string) {
  const file = join(clone, `Pulumi.${stack}.yaml`);
  const text = readFileSync(file, "utf8");
  if (!text.includes(from)) throw new Error(`Pulumi.${stack}.yaml has no ${from}`);
  writeFileSync(file, text.replace(from, to));
}

beforeAll(() => {
  repo = scratchRepo();
  clone = repo.dir;
});

afterAll(() => repo.remove());

describe("npm run diff on a scratch repository", () => {
  it("given nothing changed, prints one line and exits 0", () => {
    const result = diff("--base", "HEAD", "--stack", "dev");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("no changes (against HEAD)\n");
  });

  it("given a commit that changes one field of a stack, shows exactly that field", () => {
    editStackFile("dev", "maxReplicas: 2", "maxReplicas: 3");
    run("git", ["commit", "-qam", "dev: one more backend replica at most"]);
    const result = diff("--base", "HEAD~1", "--stack", "dev", "--format", "json");
    expect(result.status).toBe(0);
    const { stacks } = JSON.parse(result.stdout);
    expect(stacks).toHaveLength(1);
    expect(stacks[0].resources).toEqual([
      expect.objectContaining({ change: "update", name: "HorizontalPodAutoscaler ai-assistant-dev/backend", fields: [{ path: ["spec", "maxReplicas"], before: 2, after: 3 }] }),
    ]);
  });

  it("given a cache storage-class change in the working tree, flags the claim's replacement", () => {
    editStackFile("prod", "storageClass: gp3", "storageClass: efs");
    const result = diff("--base", "HEAD", "--stack", "prod");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/PersistentVolumeClaim ai-assistant\/model-server-cache-[0-9a-f]{6} is replaced: spec.storageClassName cannot change in place/);
    expect(result.stdout).toContain('`spec.storageClassName`: `"gp3"` -> `"efs"`');
    run("git", ["checkout", "--", "Pulumi.prod.yaml"]);
  });

  it("given a base that is not a commit, exits 1 naming the side", () => {
    const result = diff("--base", "no-such-ref");
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("base side: no-such-ref is not a commit in this repository");
  });

  it("given a base whose config does not render, exits 1 saying which side failed and why", () => {
    editStackFile("dev", "maxReplicas: 3", "maxReplicas: lots");
    run("git", ["commit", "-qam", "broken"]);
    editStackFile("dev", "maxReplicas: lots", "maxReplicas: 3");
    const result = diff("--base", "HEAD", "--stack", "dev");
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^base \(HEAD at [0-9a-f]{7}\) failed to render stack dev \(exit 1\):\nInvalid configuration in Pulumi\.dev\.yaml/);
    expect(result.stderr).toContain("ai-assistant:backend.autoscaling.maxReplicas");
  });

  it("given a bad option, prints the usage and exits 2", () => {
    const result = diff("--format", "html");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("usage: npm run diff");
  });
});
