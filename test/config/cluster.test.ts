import { EksClusterConfig } from "../../config/cluster";
import { ImageSource } from "../../config/image-build";
import { GPU_NODE_LABEL } from "../../lib/gpu";
import { parse as parseConfig, problemsWith } from "../support/config";
import { PINNED_IMAGES } from "../support/configs";

const BASE = { phase: "mock", monitoring: { enabled: false } };

/** Parses settings as the engine hands them over (JSON text per key); throws the config message on failure. */
const parse = (settings: Record<string, unknown>) => parseConfig({ ...BASE, ...settings }, "test");

function eks(cluster: Record<string, unknown> = {}): EksClusterConfig {
  const parsed = parse({ cluster: { type: "eks", ...cluster } }).cluster;
  if (parsed.type !== "eks") throw new Error("expected an eks cluster");
  return parsed;
}

/** The problem lines of a failed parse, without the heading. */
const problem = (settings: Record<string, unknown>) => problemsWith({ ...BASE, ...settings }, "test").split("\n").slice(1).join("\n");

describe("eks cluster config", () => {
  it("defaults to a Kubernetes version in EKS standard support, a single NAT gateway, 30 days of logs and no EFS", () => {
    expect(eks()).toMatchObject({
      region: "us-west-2",
      kubernetesVersion: "1.35",
      network: { type: "new", cidrBlock: "10.0.0.0/16", availabilityZones: 2, natGateways: "single" },
      logRetentionDays: 30,
      storage: { efs: false },
      // The newest nvidia-device-plugin in its published index (gh-pages index.yaml, 2026-08-20); 0.20.1 is not there.
      devicePlugin: { chartVersion: "0.20.0" },
      registry: { untaggedImageExpiryDays: 14 },
      systemNodes: { instanceTypes: ["m6i.xlarge"], minSize: 2 },
      adminPrincipals: [],
      publicAccessCidrs: ["0.0.0.0/0"],
    });
  });

  it.each([
    ["network.natGateways", { network: { type: "new", natGateways: "per-zone" } }, { network: { type: "new", natGateways: "two" } }, 'cluster.network.natGateways: expected "single" or "per-zone"'],
    ["network.cidrBlock", { network: { type: "new", cidrBlock: "10.1.4.0/22" } }, { network: { type: "new", cidrBlock: "10.1.4.0/24" } }, "cluster.network.cidrBlock: expected an IPv4 CIDR from /16 to /22"],
    ["logRetentionDays", { logRetentionDays: 90 }, { logRetentionDays: 31 }, "cluster.logRetentionDays: expected one of CloudWatch's retention periods (1, 3, 5, 7, 14, 30, 60, 90,"],
    ["storage.efs", { storage: { efs: true } }, { storage: { efs: "yes" } }, "cluster.storage.efs: expected true or false"],
    ["devicePlugin.chartVersion", { devicePlugin: { chartVersion: "0.19.1" } }, { devicePlugin: { chartVersion: "0.20" } }, "cluster.devicePlugin.chartVersion: expected an exact chart version such as 0.20.0"],
    [
      "adminPrincipals",
      { adminPrincipals: ["arn:aws:iam::246813579024:role/ci-deployer", "arn:aws:iam::246813579024:user/alice"] },
      { adminPrincipals: ["ci-deployer"] },
      "cluster.adminPrincipals[0]: expected an IAM role or user ARN such as arn:aws:iam::<account>:role/ci-deployer",
    ],
    [
      "adminPrincipals (example account)",
      { adminPrincipals: ["arn:aws:iam::246813579024:role/admin"] },
      { adminPrincipals: ["arn:aws:iam::123456789012:role/ci-deployer"] },
      "cluster.adminPrincipals[0]: expected the ARN of your own IAM role or user: account 123456789012 is an example from AWS's documentation",
    ],
    ["publicAccessCidrs", { publicAccessCidrs: ["203.0.113.0/24"] }, { publicAccessCidrs: ["203.0.113.0"] }, "cluster.publicAccessCidrs[0]: expected an IPv4 CIDR such as 203.0.113.0/24"],
    ["publicAccessCidrs empty", { publicAccessCidrs: ["198.51.100.7/32"] }, { publicAccessCidrs: [] }, "cluster.publicAccessCidrs: expected at least one CIDR"],
    ["registry.untaggedImageExpiryDays", { registry: { untaggedImageExpiryDays: 7 } }, { registry: { untaggedImageExpiryDays: 0 } }, "cluster.registry.untaggedImageExpiryDays: expected at least 1 day"],
  ])("%s: accepts a valid value and names the key of an invalid one", (_key, valid, invalid, message) => {
    expect(() => eks(valid)).not.toThrow();
    expect(problem({ cluster: { type: "eks", ...invalid } })).toContain(`ai-assistant:${message}`);
  });
});

describe("existing cluster config", () => {
  it("installs no metrics-server unless told the cluster lacks one, expects kube-proxy, and is not shared", () => {
    expect(parse({ cluster: { type: "kubeconfig" } }).cluster).toEqual({
      type: "kubeconfig",
      metricsServer: { install: false, kubeletInsecureTls: false },
      kubeProxy: true,
      controlPlaneMetrics: true,
      shared: false,
      keda: { install: true, chartVersion: "2.20.2" },
    });
  });

  it.each([
    ["metricsServer.install", { metricsServer: { install: true } }, { metricsServer: { install: "yes" } }, "cluster.metricsServer.install: expected true or false"],
    ["metricsServer.kubeletInsecureTls", { metricsServer: { kubeletInsecureTls: true } }, { metricsServer: { kubeletInsecureTls: 1 } }, "cluster.metricsServer.kubeletInsecureTls: expected true or false"],
    ["kubeProxy", { kubeProxy: false }, { kubeProxy: "no" }, "cluster.kubeProxy: expected true or false"],
    ["shared", { shared: true }, { shared: "yes" }, "cluster.shared: expected true or false"],
    ["kubernetesVersion", { kubernetesVersion: "1.31" }, { kubernetesVersion: "1.31.2" }, "cluster.kubernetesVersion: expected a Kubernetes minor version such as 1.35"],
    ["controlPlaneMetrics", { controlPlaneMetrics: false }, { controlPlaneMetrics: "off" }, "cluster.controlPlaneMetrics: expected true or false"],
  ])("%s: accepts a valid value and names the key of an invalid one", (_key, valid, invalid, message) => {
    expect(() => parse({ cluster: { type: "kubeconfig", ...valid } })).not.toThrow();
    expect(problem({ cluster: { type: "kubeconfig", ...invalid } })).toContain(`ai-assistant:${message}`);
  });

  it("refuses monitoring on a cluster other stacks share, saying which cluster-wide parts would collide", () => {
    const message = problem({ cluster: { type: "kubeconfig", shared: true }, monitoring: { enabled: true }, grafanaAdminPassword: "pw" });
    expect(message).toContain("ai-assistant:monitoring.enabled: expected monitoring.enabled false on a shared cluster (cluster.shared true)");
    expect(message).toContain("CRDs and node-exporter's host port 9100");
    expect(() => parse({ cluster: { type: "kubeconfig", shared: true } })).not.toThrow();
  });
});

describe("kubeconfig cluster config", () => {
  const kubeconfig = (cluster: Record<string, unknown>) => parse({ cluster: { type: "kubeconfig", ...cluster } }).cluster;

  it("pushes builds nowhere unless a registry is named, and names its repositories ai-assistant/<workload> by default", () => {
    expect(kubeconfig({})).not.toHaveProperty("registry");
    expect(kubeconfig({ registry: { server: "localhost:5001" } })).toMatchObject({ registry: { server: "localhost:5001", repositoryPrefix: "ai-assistant" } });
  });

  it.each([
    ["registry.server", { registry: { server: "registry.example.com:5000" } }, { registry: { server: "kind-registry" } }, "cluster.registry.server: expected a registry host with an optional port, such as localhost:5001"],
    ["registry.server", { registry: { server: "localhost" } }, { registry: { server: "https://localhost:5001" } }, "cluster.registry.server: expected a registry host with an optional port"],
    ["registry.repositoryPrefix", { registry: { server: "localhost:5001", repositoryPrefix: "team/assistant" } }, { registry: { server: "localhost:5001", repositoryPrefix: "Team" } }, "cluster.registry.repositoryPrefix: expected a repository path such as ai-assistant"],
  ])("%s: accepts a valid value and names the key of an invalid one", (_key, valid, invalid, message) => {
    expect(() => kubeconfig(valid)).not.toThrow();
    expect(problem({ cluster: { type: "kubeconfig", ...invalid } })).toContain(`ai-assistant:${message}`);
  });
});

describe("workload images", () => {
  const backendImage = (image: unknown): ImageSource => parse({ backend: { image } }).backend.image;

  it("accepts a build with defaults for the Dockerfile and the platform", () => {
    expect(backendImage({ build: { context: "test/fixtures/app" } })).toEqual({
      build: { context: "test/fixtures/app", dockerfile: "Dockerfile", platforms: ["linux/amd64"] },
    });
  });

  it("still accepts both registry reference forms", () => {
    expect(backendImage("ghcr.io/acme/backend:1.4.2")).toEqual({ repository: "ghcr.io/acme/backend", tag: "1.4.2" });
    expect(backendImage({ repository: "ghcr.io/acme/backend", tag: "1.4.2" })).toEqual({ repository: "ghcr.io/acme/backend", tag: "1.4.2" });
  });

  it("names all three forms when a value is none of them", () => {
    expect(problem({ backend: { image: 5 } })).toContain("ai-assistant:backend.image: expected an image reference string, {repository, tag, digest} or {build: {context, …}}");
  });

  it.each([
    ["a context that is not a directory", { context: "test/fixtures/missing" }, "backend.image.build.context: expected a build context directory (relative to the project) such as . (the repository root)"],
    ["two platforms", { context: "test/fixtures/app", platforms: ["linux/amd64", "linux/arm64"] }, "backend.image.build.platforms: expected one platform: an image built by @pulumi/docker has a single platform"],
    ["an unknown platform", { context: "test/fixtures/app", platforms: ["windows/amd64"] }, "backend.image.build.platforms[0]: expected linux/amd64 or linux/arm64"],
    ["an unknown key", { context: "test/fixtures/app", tag: "v1" }, "backend.image.build.tag: expected a known key"],
  ])("rejects a build with %s, at the key that is wrong", (_case, build, message) => {
    expect(problem({ backend: { image: { build } } })).toContain(`ai-assistant:${message}`);
  });
});

describe("production image rules", () => {
  const production = { production: true, frontend: PINNED_IMAGES.frontend };

  it("accept a build when the stack creates an EKS cluster (the build goes to its ECR)", () => {
    expect(parse({ ...production, cluster: { type: "eks" }, backend: { image: { build: { context: "test/fixtures/app" } } } }).backend.image).toMatchObject({ build: { context: "test/fixtures/app" } });
  });

  it("reject a build on an existing cluster without a registry, where it would never leave the machine that ran it", () => {
    expect(problem({ ...production, backend: { image: { build: { context: "test/fixtures/app" } } } })).toContain(
      "ai-assistant:backend.image: expected a published image in a production stack that pushes its builds nowhere",
    );
  });

  it("accept a build on an existing cluster with a registry (the build is pushed there)", () => {
    const cluster = { type: "kubeconfig", registry: { server: "registry.example.com" } };
    expect(parse({ ...production, cluster, backend: { image: { build: { context: "test/fixtures/app" } } } }).backend.image).toMatchObject({ build: { context: "test/fixtures/app" } });
  });

  it.each([["ghcr.io/acme/backend:latest"], ["ghcr.io/acme/backend"], ["ghcr.io/acme/backend:1.0.0"]])("still reject the registry image %s, which names no digest", (image) => {
    expect(problem({ ...production, cluster: { type: "eks" }, backend: { image } })).toContain(
      "ai-assistant:backend.image: expected an image pinned by digest",
    );
  });
});

describe("the model server's GPU node selector", () => {
  it("defaults to the label the EKS GPU node group carries", () => {
    const parsed = parse({ localModel: { engine: "ollama", models: ["llama3.2:3b"] } });
    expect(parsed.localModel?.gpu.nodeSelector).toEqual({ [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value });
  });
});
