import { cpSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ContainerImages } from "../../../components/images/container-images";
import { contextDigest } from "../../../components/images/context-digest";
import { MOCK_ECR_PASSWORD } from "../../../tools/mock-aws";
import { mocks } from "../../../tools/mock-cloud";
import { planned, plannedOne } from "../../support/eks";
import { objectOf, renderConfig } from "../../support/render";

const CONTEXT = "test/fixtures/app";
const DIGEST = `sha256:${"ab".repeat(32)}`;

/** A mock-phase stack whose backend is built from the fixture and whose frontend is pinned by digest. */
const imageStack = (cluster: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  phase: "mock",
  monitoring: { enabled: false },
  cluster,
  backend: { image: { build: { context: CONTEXT } } },
  frontend: { image: `ghcr.io/acme/frontend:1.2.0@${DIGEST}` },
  ...extra,
});

describe("images on an eks stack", () => {
  describe("in production", () => {
    let result: Awaited<ReturnType<typeof renderConfig>>;
    beforeAll(async () => {
      result = await renderConfig(imageStack({ type: "eks", registry: { untaggedImageExpiryDays: 7 } }, { production: true }), "prod");
    });

    it("creates an ECR repository per workload, built or pinned, scanned on push, with immutable tags, kept by a destroy", () => {
      // The pinned frontend keeps its repository too: moving between builds and promoted digests deletes none.
      const repositories = planned(result, "aws:ecr/repository:Repository");
      expect(repositories.map((r) => r.inputs)).toEqual([
        expect.objectContaining({ name: "ai-assistant/prod/backend", imageTagMutability: "IMMUTABLE", imageScanningConfiguration: { scanOnPush: true }, forceDelete: false }),
        expect.objectContaining({ name: "ai-assistant/prod/frontend", imageTagMutability: "IMMUTABLE", forceDelete: false }),
      ]);
      expect(repositories.map((r) => r.retainOnDelete)).toEqual([true, true]);
      expect(planned(result, "aws:ecr/lifecyclePolicy:LifecyclePolicy").map((p) => p.retainOnDelete)).toEqual([true, true]);
    });

    it("expires untagged images after the configured days", () => {
      const policy = JSON.parse(String(plannedOne(result, "aws:ecr/lifecyclePolicy:LifecyclePolicy", "images-backend").inputs.policy));
      expect(policy.rules).toEqual([
        expect.objectContaining({
          selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 },
          action: { type: "expire" },
        }),
      ]);
    });

    it("builds the context for the target platform and pushes it, tagged with a digest of the context", () => {
      const image = plannedOne(result, "docker:index/image:Image", "images-backend").inputs;
      const tag = contextDigest(CONTEXT, { dockerfile: "Dockerfile", platforms: ["linux/amd64"] });
      expect(image.imageName).toBe(`123456789012.dkr.ecr.us-west-2.amazonaws.com/ai-assistant/prod/backend:${tag}`);
      expect(image.build).toMatchObject({ context: CONTEXT, dockerfile: `${CONTEXT}/Dockerfile`, platform: "linux/amd64" });
      expect(image.skipPush).not.toBe(true);
      // Registry credentials go in whole as a secret (the password makes the object one), so the render masks them.
      expect(image.registry).toBe("[secret]");
    });

    it("runs the built image by the digest it was pushed with, and exports that digest", () => {
      const running = objectOf(result, "Deployment", "backend").spec.template.spec.containers[0].image;
      expect(running).toMatch(/^123456789012\.dkr\.ecr\.us-west-2\.amazonaws\.com\/ai-assistant\/prod\/backend@sha256:[0-9a-f]{64}$/);
      expect(result.outputs.imageDigests).toEqual({ backend: running, frontend: `ghcr.io/acme/frontend@${DIGEST}` });
    });

    it("passes a registry reference through untouched", () => {
      expect(objectOf(result, "Deployment", "frontend").spec.template.spec.containers[0].image).toBe(`ghcr.io/acme/frontend:1.2.0@${DIGEST}`);
      expect(planned(result, "docker:index/image:Image").map((i) => i.name)).toEqual(["images-backend"]);
    });

    it("labels what runs the image with its version (the build's tag, a reference's tag), and nothing else", () => {
      const tag = contextDigest(CONTEXT, { dockerfile: "Dockerfile", platforms: ["linux/amd64"] });
      const backend = objectOf(result, "Deployment", "backend");
      expect(backend.metadata.labels?.["app.kubernetes.io/version"]).toBe(tag);
      expect(backend.spec.template.metadata.labels["app.kubernetes.io/version"]).toBe(tag);
      expect(objectOf(result, "Deployment", "frontend").metadata.labels?.["app.kubernetes.io/version"]).toBe("1.2.0");
      // A Service, ConfigMap or policy runs no image: a version there would change it on every image move.
      const others = result.kubernetesObjects.map(({ object }) => object as { kind: string; metadata: { labels?: Record<string, string> } }).filter((o) => o.kind !== "Deployment");
      expect(others.filter((o) => o.metadata.labels?.["app.kubernetes.io/version"] !== undefined).map((o) => o.kind)).toEqual([]);
    });

    it("labels a workload pinned by digest alone with the digest's first 12 digits", async () => {
      const pinned = await renderConfig(imageStack({ type: "eks" }, { production: true, frontend: { image: `ghcr.io/acme/frontend@${DIGEST}` } }), "prod");
      expect(objectOf(pinned, "Deployment", "frontend").metadata.labels?.["app.kubernetes.io/version"]).toBe("ab".repeat(6));
    });

    it("never writes the registry password into the render", () => {
      expect(JSON.stringify(result)).not.toContain(MOCK_ECR_PASSWORD);
    });
  });

});

describe("images on an existing cluster", () => {
  it("builds locally, pushes nothing, and runs the local tag", async () => {
    const result = await renderConfig(imageStack({ type: "kubeconfig", context: "kind-ai-assistant" }), "dev");
    const tag = contextDigest(CONTEXT, { dockerfile: "Dockerfile", platforms: ["linux/amd64"] });
    expect(plannedOne(result, "docker:index/image:Image", "images-backend").inputs).toMatchObject({ imageName: `ai-assistant/backend:${tag}`, skipPush: true });
    expect(planned(result, "aws:ecr/repository:Repository")).toEqual([]);
    expect(objectOf(result, "Deployment", "backend").spec.template.spec.containers[0].image).toBe(`ai-assistant/backend:${tag}`);
    // A local image ID is no digest anyone could pull: only the pinned frontend is exported.
    expect(result.outputs.imageDigests).toEqual({ frontend: `ghcr.io/acme/frontend@${DIGEST}` });
  });
});

describe("images on an existing cluster with a registry (kind's local registry)", () => {
  it("pushes the build there, runs it by the pushed digest, and exports that digest", async () => {
    const result = await renderConfig(imageStack({ type: "kubeconfig", context: "kind-ai-assistant", registry: { server: "localhost:5001" } }), "dev");
    const tag = contextDigest(CONTEXT, { dockerfile: "Dockerfile", platforms: ["linux/amd64"] });
    const image = plannedOne(result, "docker:index/image:Image", "images-backend").inputs;
    expect(image).toMatchObject({ imageName: `localhost:5001/ai-assistant/backend:${tag}`, registry: { server: "localhost:5001" } });
    expect(image.skipPush).not.toBe(true);
    expect(planned(result, "aws:ecr/repository:Repository")).toEqual([]);
    const running = objectOf(result, "Deployment", "backend").spec.template.spec.containers[0].image;
    expect(running).toMatch(/^localhost:5001\/ai-assistant\/backend@sha256:[0-9a-f]{64}$/);
    expect(result.outputs.imageDigests).toEqual({ backend: running, frontend: `ghcr.io/acme/frontend@${DIGEST}` });
  });
});

describe("ContainerImages on its own", () => {
  beforeAll(() => pulumi.runtime.setMocks(mocks, "ai-assistant", "unit", false));
  const value = <T>(output: pulumi.Output<T>) => new Promise<T>((resolve) => output.apply(resolve));

  it("outside production, keeps ECR tags mutable and lets destroy empty the repository", async () => {
    const registry = { provider: new aws.Provider("aws", { region: "us-west-2" }), repositoryPrefix: "ai-assistant/staging", production: false, untaggedImageExpiryDays: 14 };
    const images = new ContainerImages("images", { images: { backend: { build: { context: CONTEXT, dockerfile: "Dockerfile", platforms: ["linux/amd64"] } } }, registry });
    const repository = images.repositories.backend;
    expect(await value(repository.name)).toBe("ai-assistant/staging/backend");
    expect(await value(repository.imageTagMutability)).toBe("MUTABLE");
    expect(await value(repository.forceDelete)).toBe(true);
  });

  it("refuses a build whose context has gone since the config was checked", () => {
    const images = { backend: { build: { context: "test/fixtures/missing", dockerfile: "Dockerfile", platforms: ["linux/amd64"] } } };
    expect(() => new ContainerImages("images", { images })).toThrow("expected the build context of backend (test/fixtures/missing) to be a directory");
  });
});

describe("the build tag", () => {
  it("changes with the context's files and build settings, and only with them", () => {
    const dir = mkdtempSync(join(tmpdir(), "context-"));
    try {
      cpSync(CONTEXT, dir, { recursive: true });
      const settings = { dockerfile: "Dockerfile", platforms: ["linux/amd64"] };
      const before = contextDigest(dir, settings);
      expect(contextDigest(dir, settings)).toBe(before);
      expect(contextDigest(dir, { ...settings, platforms: ["linux/arm64"] })).not.toBe(before);
      writeFileSync(join(dir, "index.html"), "<!doctype html><title>changed</title>\n");
      expect(contextDigest(dir, settings)).not.toBe(before);
      expect(before).toMatch(/^[0-9a-f]{12}$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
