import { spawnSync } from "child_process";
import { readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";
import { digestsFrom, PromoteError } from "../../tools/promote/digests";
import { withImages } from "../../tools/promote/stack-file-edit";
import { compareStack } from "../../tools/diff/compare";
import { formatPath } from "../../tools/diff/fields";
import { objectOf, PROJECT_DIR, renderStack, renderStackDocument } from "../support/render";
import { ScratchRepo, scratchRepo } from "../support/scratch-repo";

const BACKEND = `ghcr.io/acme/ai-assistant-backend@sha256:${"a".repeat(64)}`;
const FRONTEND = `ghcr.io/acme/ai-assistant-frontend@sha256:${"b".repeat(64)}`;
const OUTPUTS = { phase: "mock", imageDigests: { backend: BACKEND, frontend: FRONTEND } };
const PROD = readFileSync(join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8");


/** How the prod stack file names a workload's image today: built from this repository, pushed to ECR. */
const buildBlock = (workload: string) => `    image:\n      build:\n        context: .\n        dockerfile: services/${workload}/Dockerfile\n`;

describe("writing digests into a copy of the prod stack file", () => {
  it("given prod builds both images, when digests are promoted, then only the two image values change: every comment, key and line else stays byte for byte", () => {
    expect(PROD).toContain(buildBlock("frontend"));
    expect(PROD).toContain(buildBlock("backend"));
    const { text, changes } = withImages(PROD, "Pulumi.prod.yaml", { backend: BACKEND, frontend: FRONTEND });
    expect(text).toBe(PROD.replace(buildBlock("frontend"), `    image: ${FRONTEND}\n`).replace(buildBlock("backend"), `    image: ${BACKEND}\n`));
    expect(changes).toEqual([
      { workload: "backend", before: JSON.stringify({ build: { context: ".", dockerfile: "services/backend/Dockerfile" } }), after: BACKEND },
      { workload: "frontend", before: JSON.stringify({ build: { context: ".", dockerfile: "services/frontend/Dockerfile" } }), after: FRONTEND },
    ]);
  });

  it("given a published reference with a comment above it, when a digest is promoted, then the reference is replaced and the comment kept", () => {
    const published = PROD.replace(buildBlock("backend"), "    # the 0.1.0 release\n    image: ghcr.io/acme/ai-assistant-backend:0.1.0\n");
    const { text, changes } = withImages(published, "Pulumi.prod.yaml", { backend: BACKEND });
    expect(text).toBe(PROD.replace(buildBlock("backend"), `    # the 0.1.0 release\n    image: ${BACKEND}\n`));
    expect(changes).toEqual([{ workload: "backend", before: "ghcr.io/acme/ai-assistant-backend:0.1.0", after: BACKEND }]);
  });

  it("adds the image to a stack file that left it at the default", () => {
    const noBackend = "config:\n  # a comment\n  ai-assistant:production: true\n";
    const { text } = withImages(noBackend, "Pulumi.x.yaml", { backend: BACKEND });
    expect(text).toBe(`config:\n  # a comment\n  ai-assistant:production: true\n  ai-assistant:backend:\n    image: ${BACKEND}\n`);
  });

  it("the prod render then runs exactly those digests", async () => {
    const { text } = withImages(PROD, "Pulumi.prod.yaml", { backend: BACKEND, frontend: FRONTEND });
    const result = await renderStackDocument(parse(text).config, "prod");
    expect(objectOf(result, "Deployment", "backend").spec.template.spec.containers[0].image).toBe(BACKEND);
    expect(objectOf(result, "Deployment", "frontend").spec.template.spec.containers[0].image).toBe(FRONTEND);
    expect(result.outputs.imageDigests).toEqual({ backend: BACKEND, frontend: FRONTEND });
  });
});

describe("the diff of promoting the committed prod stack", () => {
  it("lists the image changes and nothing else: the two Deployments' images (and the version label that names them), the builds no longer made, the digests output", async () => {
    const before = await renderStack("prod");
    const { text } = withImages(PROD, "Pulumi.prod.yaml", { backend: BACKEND, frontend: FRONTEND });
    const after = await renderStackDocument(parse(text).config, "prod");
    const diff = compareStack("prod", before, after);

    const updates = diff.resources.filter((r) => r.change !== "remove");
    expect(updates.map((r) => `${r.change} ${r.name}`).sort()).toEqual(["update Deployment ai-assistant/backend", "update Deployment ai-assistant/frontend"]);
    for (const update of updates) {
      const workload = update.name.split("/")[1];
      expect(update.fields.map((f) => formatPath(f.path)).sort()).toEqual([
        'metadata.labels["app.kubernetes.io/version"]',
        'spec.template.metadata.labels["app.kubernetes.io/version"]',
        `spec.template.spec.containers[${workload}].image`,
      ]);
      expect(update.fields.find((f) => formatPath(f.path).endsWith(".image"))?.after).toBe(workload === "backend" ? BACKEND : FRONTEND);
      expect(update.risks).toEqual([]);
    }
    // The builds are no longer made; the ECR repositories (and the images in them) stay.
    expect(diff.resources.filter((r) => r.change === "remove").map((r) => r.name).sort()).toEqual(["docker:index/image:Image images-backend", "docker:index/image:Image images-frontend"]);
    expect(diff.outputs.map((o) => formatPath(o.path)).sort()).toEqual(["imageDigests.backend", "imageDigests.frontend"]);
  });
});

describe("dev's outputs", () => {
  it("accepts repository@sha256 digests per workload", () => {
    expect(digestsFrom(OUTPUTS, "dev")).toEqual({ references: { backend: BACKEND, frontend: FRONTEND }, local: [] });
  });

  it("notes images in a registry only dev's machine reaches (a kind cluster's local registry)", () => {
    const local = `localhost:5001/ai-assistant/backend@sha256:${"c".repeat(64)}`;
    expect(digestsFrom({ imageDigests: { backend: local } }, "dev").local).toEqual(["backend"]);
  });

  it.each([
    [{ phase: "mock" }, "dev's stack outputs have no image digests (imageDigests is null)"],
    [{ imageDigests: {} }, "dev's stack outputs have no image digests (imageDigests is {})"],
    [{ imageDigests: { backend: "ghcr.io/acme/backend:1.0.0" } }, 'dev\'s imageDigests.backend is not repository@sha256:<64 hex digits>: found "ghcr.io/acme/backend:1.0.0"'],
    [{ imageDigests: { backend: "ghcr.io/acme/backend@sha256:abc" } }, "dev's imageDigests.backend is not repository@sha256:<64 hex digits>"],
    [{ imageDigests: { worker: BACKEND } }, "dev's imageDigests.worker names no workload of this program"],
  ])("refuses %j in one line", (outputs, message) => {
    expect(() => digestsFrom(outputs, "dev")).toThrow(PromoteError);
    expect(() => digestsFrom(outputs, "dev")).toThrow(message);
  });
});

describe("npm run promote on a scratch copy of the repository", () => {
  let repo: ScratchRepo;
  let clone: string;
  const promote = (...args: string[]) => spawnSync(process.execPath, ["-r", "./tools/register.js", "tools/promote.ts", ...args], { cwd: clone, encoding: "utf8" });
  const outputsFile = (outputs: unknown) => {
    const file = join(clone, "..", `outputs-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(outputs));
    return file;
  };

  beforeAll(() => {
    repo = scratchRepo();
    clone = repo.dir;
  });
  afterAll(() => repo.remove());

  it("pins dev's digests into Pulumi.prod.yaml and prints prod's diff", () => {
    const before = readFileSync(join(clone, "Pulumi.prod.yaml"), "utf8");
    const run = promote("--from", "dev", "--to", "prod", "--outputs", outputsFile(OUTPUTS));
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const after = readFileSync(join(clone, "Pulumi.prod.yaml"), "utf8");
    expect(after).toBe(before.replace(buildBlock("frontend"), `    image: ${FRONTEND}\n`).replace(buildBlock("backend"), `    image: ${BACKEND}\n`));
    expect(run.stdout).toContain(`Pulumi.prod.yaml: backend.image {"build":{"context":".","dockerfile":"services/backend/Dockerfile"}} -> ${BACKEND}`);
    expect(run.stdout).toContain("## What promoting dev into prod changes");
    // Before, prod ran the image it built and pushed to its ECR repository, by digest.
    expect(run.stdout).toMatch(new RegExp(`\`spec\\.template\\.spec\\.containers\\[backend\\]\\.image\`: \`"[^"]+/backend@sha256:[0-9a-f]{64}"\` -> \`"${BACKEND.replace(/[.]/g, "\\.")}"\``));
  });

  it.each([
    [["--to", "dev"], { imageDigests: { backend: BACKEND } }, "Pulumi.dev.yaml is not a production stack (ai-assistant:production is not true)"],
    [["--to", "prod"], { phase: "mock" }, "dev's stack outputs have no image digests"],
    [["--to", "prod"], { imageDigests: { backend: "sha256:123" } }, "dev's imageDigests.backend is not repository@sha256:<64 hex digits>"],
  ])("refuses %j with one line, and writes nothing", (target, outputs, message) => {
    const files = ["Pulumi.dev.yaml", "Pulumi.prod.yaml"].map((f) => readFileSync(join(clone, f), "utf8"));
    const from = target[1] === "dev" ? "prod" : "dev";
    const run = promote("--from", from, ...target, "--outputs", outputsFile(outputs));
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain(message.replace(/^dev/, from));
    expect(["Pulumi.dev.yaml", "Pulumi.prod.yaml"].map((f) => readFileSync(join(clone, f), "utf8"))).toEqual(files);
  });
});
