import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { compareStack, StackDiff } from "../../tools/diff/compare";
import { commentBody, COMMENT_MARKER } from "../../tools/diff/comment";
import { formatPath } from "../../tools/diff/fields";
import { diffMarkdown } from "../../tools/diff/markdown";
import { Plan } from "../../tools/diff/plan";
import { monthlyCost } from "../../tools/diff/sections";
import { mayRenderDifferently } from "../../tools/diff/sides";
import { renderStack } from "../support/render";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let prod: Plan;
let dev: Plan;

beforeAll(async () => {
  const [p, d] = [await renderStack("prod"), await renderStack("dev")];
  prod = { stack: "prod", outputs: p.outputs, resources: p.resources };
  dev = { stack: "dev", outputs: d.outputs, resources: d.resources };
});

/** A copy of `plan` with `change` applied to the inputs of the resource of `type` named `name`. */
function edited(plan: Plan, type: string, name: string, change: (inputs: Inputs, resource: Plan["resources"][number]) => void): Plan {
  const copy: Plan = JSON.parse(JSON.stringify(plan));
  const resource = copy.resources.find((r) => r.type === type && r.name === name);
  if (!resource) throw new Error(`no ${type} ${name} in the plan`);
  change(resource.inputs as Inputs, resource);
  return copy;
}

const paths = (diff: StackDiff) => diff.resources.flatMap((r) => r.fields.map((f) => `${r.name} ${formatPath(f.path)}`));

describe("given two identical renders", () => {
  it("nothing changed, and the markdown is the one line `no changes`", () => {
    const diff = compareStack("prod", prod, JSON.parse(JSON.stringify(prod)));
    expect(diff.status).toBe("unchanged");
    expect(diff.resources).toEqual([]);
    expect(diffMarkdown([diff, compareStack("dev", dev, dev)], "main")).toBe("no changes (against main)");
  });
});

describe("given one field changed", () => {
  const after = () => edited(dev, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "backend", (inputs) => (inputs.spec.maxReplicas = 3));

  it("shows exactly that field, before -> after, under its component", () => {
    const diff = compareStack("dev", dev, after());
    expect(paths(diff)).toEqual(["HorizontalPodAutoscaler ai-assistant-dev/backend spec.maxReplicas"]);
    expect(diff.resources[0]).toMatchObject({ change: "update", component: "backend", risks: [] });
    expect(diff.resources[0].fields[0]).toMatchObject({ before: 2, after: 3 });
    const text = diffMarkdown([diff], "main");
    expect(text).toContain("#### backend");
    expect(text).toContain("`spec.maxReplicas`: `2` -> `3`");
  });

  it("matches containers and env by name, so a new variable is one field and not a shifted list", () => {
    const changed = edited(dev, "kubernetes:apps/v1:Deployment", "backend", (inputs) =>
      inputs.spec.template.spec.containers[0].env.unshift({ name: "LOG_LEVEL", value: "debug" }),
    );
    expect(paths(compareStack("dev", dev, changed))).toEqual(["Deployment ai-assistant-dev/backend spec.template.spec.containers[backend].env[LOG_LEVEL]"]);
  });
});

describe("replacements are flagged where the provider replaces", () => {
  it("a cache storage-class change replaces the PersistentVolumeClaim, and says its data goes", () => {
    const after = edited(prod, "kubernetes:core/v1:PersistentVolumeClaim", "model-server-cache", (inputs) => (inputs.spec.storageClassName = "efs"));
    const claim = compareStack("prod", prod, after).resources.find((r) => r.type === "kubernetes:core/v1:PersistentVolumeClaim")!;
    expect(claim.change).toBe("replace");
    expect(claim.fields[0].verdict).toMatchObject({ kind: "replace" });
    expect(claim.risks.map((r) => r.kind)).toEqual(["replace"]);
    expect(diffMarkdown([compareStack("prod", prod, after)], "main")).toMatch(/⚠️ replace: PersistentVolumeClaim ai-assistant\/model-server-cache-[0-9a-f]{6} is replaced: spec.storageClassName cannot change in place/);
  });

  it("a claim's access modes replace it too; a Deployment's replica count does not", () => {
    const modes = edited(prod, "kubernetes:core/v1:PersistentVolumeClaim", "model-server-cache", (inputs) => (inputs.spec.accessModes = ["ReadWriteMany"]));
    expect(compareStack("prod", prod, modes).resources[0].change).toBe("replace");
    const replicas = edited(dev, "kubernetes:apps/v1:Deployment", "frontend", (inputs) => (inputs.spec.replicas = 2));
    expect(compareStack("dev", dev, replicas).resources[0]).toMatchObject({ change: "update", risks: [] });
  });

  it("a Deployment selector change replaces the Deployment", () => {
    const after = edited(dev, "kubernetes:apps/v1:Deployment", "backend", (inputs) => (inputs.spec.selector.matchLabels.tier = "api"));
    expect(compareStack("dev", dev, after).resources[0]).toMatchObject({ change: "replace" });
  });

  it("a claim that shrinks is refused; one that grows on an expandable class is an update", () => {
    const shrink = edited(prod, "kubernetes:core/v1:PersistentVolumeClaim", "model-server-cache", (inputs) => (inputs.spec.resources.requests.storage = "50Gi"));
    const shrunk = compareStack("prod", prod, shrink).resources[0];
    expect(shrunk.risks).toEqual([expect.objectContaining({ kind: "refused", message: expect.stringContaining("a claim cannot shrink (100Gi -> 50Gi)") })]);
    const grow = edited(prod, "kubernetes:core/v1:PersistentVolumeClaim", "model-server-cache", (inputs) => (inputs.spec.resources.requests.storage = "200Gi"));
    const grown = compareStack("prod", prod, grow).resources[0];
    expect(grown).toMatchObject({ change: "update", risks: [] });
    expect(grown.fields[0].verdict).toEqual({ kind: "note", reason: "grows in place: StorageClass gp3 allows volume expansion" });
  });

  it("an EKS node group's instance types replace it; its scaling does not", () => {
    const types = edited(prod, "aws:eks/nodeGroup:NodeGroup", "cluster-nodes-system", (inputs) => (inputs.instanceTypes = ["m7i.xlarge"]));
    expect(compareStack("prod", prod, types).resources[0]).toMatchObject({ change: "replace" });
    const scaling = edited(prod, "aws:eks/nodeGroup:NodeGroup", "cluster-nodes-system", (inputs) => (inputs.scalingConfig.maxSize = 5));
    expect(compareStack("prod", prod, scaling).resources[0]).toMatchObject({ change: "update" });
  });

  it("an EKS cluster's role and a subnet's CIDR replace them; the cluster's version is an update", () => {
    const role = edited(prod, "aws:eks/cluster:Cluster", "cluster", (inputs) => (inputs.roleArn = "arn:aws:iam::123456789012:role/other"));
    expect(compareStack("prod", prod, role).resources[0].change).toBe("replace");
    const cidr = edited(prod, "aws:ec2/subnet:Subnet", "cluster-network-private-0", (inputs) => (inputs.cidrBlock = "10.0.64.0/19"));
    expect(compareStack("prod", prod, cidr).resources[0].change).toBe("replace");
    const version = edited(prod, "aws:eks/cluster:Cluster", "cluster", (inputs) => (inputs.version = "1.36"));
    expect(compareStack("prod", prod, version).resources[0].change).toBe("update");
  });

  it("ConfigMap data changes replace it, as pulumi-kubernetes does without enableConfigMapMutable", () => {
    const after = edited(dev, "kubernetes:core/v1:ConfigMap", "backend-settings", (inputs) => (inputs.data.LLM_FALLBACK = "mock"));
    expect(compareStack("dev", dev, after).resources[0].change).toBe("replace");
    const mutable = edited(after, "pulumi:providers:kubernetes", "cluster", (inputs) => (inputs.enableConfigMapMutable = "true"));
    const base = edited(dev, "pulumi:providers:kubernetes", "cluster", (inputs) => (inputs.enableConfigMapMutable = "true"));
    expect(compareStack("dev", base, mutable).resources[0].change).toBe("update");
  });
});

describe("canary delivery (Argo Rollouts)", () => {
  const ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout";
  const TEMPLATE = "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate";

  it("shows a step's weight and an analysis threshold as the fields they are, under their component", () => {
    const steps = edited(prod, ROLLOUT, "backend", (inputs) => (inputs.spec.strategy.canary.steps[2].setWeight = 25));
    const thresholds = edited(steps, TEMPLATE, "backend-canary", (inputs) => {
      const metric = inputs.spec.metrics.find((m: { name: string }) => m.name === "error-ratio");
      metric.failureCondition = metric.failureCondition.replace("0.05", "0.02");
    });
    const diff = compareStack("prod", prod, thresholds);
    expect(paths(diff).sort()).toEqual(["AnalysisTemplate ai-assistant/backend-canary spec.metrics[error-ratio].failureCondition", "Rollout ai-assistant/backend spec.strategy.canary.steps[2].setWeight"]);
    expect(diff.resources.every((r) => r.change === "update" && r.component === "backend")).toBe(true);
    const text = diffMarkdown([diff], "main");
    expect(text).toContain(
      "`spec.strategy.canary.steps[2].setWeight`: `50` -> `25` — canary steps now 10% -> analysis (backend-canary) -> 25% -> analysis (backend-canary) -> 100% (were 10% -> analysis (backend-canary) -> 50% -> analysis (backend-canary) -> 100%)",
    );
    expect(text).toContain('`spec.metrics[error-ratio].failureCondition`: `"len(result) > 0 && result[0] > 0.05"` -> `"len(result) > 0 && result[0] > 0.02"`');
  });

  it("a Rollout's selector change is refused (its CRD makes it immutable); a new image shows on the Deployment it references", () => {
    const selector = compareStack("prod", prod, edited(prod, ROLLOUT, "frontend", (inputs) => (inputs.spec.selector.matchLabels.tier = "web")));
    expect(selector.resources[0].fields[0].verdict).toEqual({ kind: "refused", reason: "refused by the API server: the CRD makes spec.selector immutable (delete the object first, or keep the selector)" });
    const image = compareStack("prod", prod, edited(prod, "kubernetes:apps/v1:Deployment", "backend", (inputs) => (inputs.spec.template.spec.containers[0].image = "ghcr.io/acme/backend@sha256:" + "e".repeat(64))));
    expect(paths(image)).toEqual(["Deployment ai-assistant/backend spec.template.spec.containers[backend].image"]);
  });
});

describe("what can hurt beyond replacement", () => {
  it("deleting a stateful object is flagged; deleting a stateless one is not", () => {
    const withoutClaim: Plan = { ...prod, resources: prod.resources.filter((r) => r.type !== "kubernetes:core/v1:PersistentVolumeClaim") };
    // In prod the claim is retained on delete: the cluster keeps it, so no data is at risk.
    expect(compareStack("prod", prod, withoutClaim).resources[0].risks).toEqual([]);
    const notRetained = edited(prod, "kubernetes:core/v1:PersistentVolumeClaim", "model-server-cache", (_inputs, resource) => delete resource.retainOnDelete);
    const deleted = compareStack("prod", notRetained, withoutClaim).resources[0];
    expect(deleted).toMatchObject({ change: "remove", risks: [expect.objectContaining({ kind: "stateful-delete" })] });
    const withoutHpa: Plan = { ...dev, resources: dev.resources.filter((r) => r.type !== "kubernetes:autoscaling/v2:HorizontalPodAutoscaler") };
    expect(compareStack("dev", dev, withoutHpa).resources.flatMap((r) => r.risks)).toEqual([]);
  });

  it("dropping retainOnDelete or protect is flagged", () => {
    const dropped = edited(prod, "kubernetes:core/v1:PersistentVolumeClaim", "model-server-cache", (_inputs, resource) => delete resource.retainOnDelete);
    const claim = compareStack("prod", prod, dropped).resources[0];
    expect(claim.fields.map((f) => formatPath(f.path))).toEqual(["(options).retainOnDelete"]);
    expect(claim.risks).toEqual([expect.objectContaining({ kind: "protection-dropped", message: expect.stringContaining("retainOnDelete dropped from PersistentVolumeClaim ai-assistant/model-server-cache") })]);
  });
});

describe("Helm charts", () => {
  it("show the chart version and each changed values path, and say their objects are not shown", () => {
    const after = edited(prod, "kubernetes:helm.sh/v4:Chart", "monitoring-kube-prometheus-stack", (inputs) => {
      inputs.version = "92.2.0";
      inputs.values.prometheus.prometheusSpec.retention = "60d";
    });
    const diff = compareStack("prod", prod, after);
    expect(paths(diff)).toEqual([
      "kubernetes:helm.sh/v4:Chart monitoring-kube-prometheus-stack values.prometheus.prometheusSpec.retention",
      "kubernetes:helm.sh/v4:Chart monitoring-kube-prometheus-stack version",
    ]);
    const text = diffMarkdown([diff], "main");
    expect(text).toContain("(chart kube-prometheus-stack 88.5.3 -> 92.2.0)");
    expect(text).toContain("Helm charts are not expanded offline");
  });
});

describe("the pull-request comment", () => {
  const big = (stack: string, plan: Plan): StackDiff => {
    const after = edited(plan, "kubernetes:core/v1:Namespace", "namespace", (inputs) => {
      for (let i = 0; i < 3000; i++) inputs.metadata.labels[`example.com/note-${i}`] = "x".repeat(20);
    });
    return compareStack(stack, plan, after);
  };

  it("starts with its marker and fits in one comment, whole when it can", () => {
    const body = commentBody({ base: "main", stacks: [compareStack("dev", dev, dev)] }, { fullDiffAt: "the run's offline-diff artifact" });
    expect(body.split("\n")[0]).toBe(COMMENT_MARKER);
    expect(body).toContain("no changes");
  });

  it("cuts each stack to its share of 65,536 characters and says where the full diff is", () => {
    const stacks = [big("dev", dev), big("prod", prod)];
    const body = commentBody({ base: "main", stacks }, { fullDiffAt: "https://github.com/o/r/actions/runs/1" });
    expect(body.length).toBeLessThanOrEqual(65536);
    expect(body).toContain("### Stack `dev`");
    expect(body).toContain("### Stack `prod`");
    expect(body).toMatch(/more lines of stack `dev` are cut to fit a comment; the full diff is in https:\/\/github.com\/o\/r\/actions\/runs\/1/);
    expect(body).toMatch(/more lines of stack `prod` are cut/);
  });
});

describe("sections from other render files", () => {
  const folder = (cost?: { total: number }) => {
    const dir = mkdtempSync(join(tmpdir(), "render-"));
    if (cost) writeFileSync(join(dir, "cost.json"), JSON.stringify(cost));
    return dir;
  };

  it("given cost.json on both sides, shows the monthly cost before -> after and the delta", () => {
    expect(monthlyCost(folder({ total: 1203.5 }), folder({ total: 1937.25 }))).toBe("monthly cost: $1,203.50 -> $1,937.25 (+$733.75 a month)");
    expect(monthlyCost(folder({ total: 100 }), folder({ total: 40 }))).toBe("monthly cost: $100.00 -> $40.00 (-$60.00 a month)");
  });

  it("given no cost.json, or the same cost, adds nothing", () => {
    expect(monthlyCost(folder(), folder())).toBeUndefined();
    expect(monthlyCost(folder({ total: 10 }), folder({ total: 10 }))).toBeUndefined();
  });
});

describe("which stacks need rendering at all", () => {
  it("a stack's own file, the program or a build context changes its render", () => {
    expect(mayRenderDifferently("dev", ["Pulumi.dev.yaml"])).toBe(true);
    expect(mayRenderDifferently("prod", ["components/app/backend.ts"])).toBe(true);
    expect(mayRenderDifferently("prod", ["services/backend/src/server.ts"])).toBe(true);
    expect(mayRenderDifferently("dev", ["tools/render.ts"])).toBe(true);
  });

  it("another stack's file, tests, docs, workflows and the diff tools do not", () => {
    expect(mayRenderDifferently("prod", ["Pulumi.dev.yaml", "test/stacks.test.ts", "README.md", "docs/monitoring.md", ".github/workflows/release.yml", "tools/diff/compare.ts", "tools/promote.ts"])).toBe(false);
  });
});

describe("resource options", () => {
  it("a changed option the plan records (customTimeouts, say) shows as (options).<name>", () => {
    const after = edited(prod, "kubernetes:apps/v1:Deployment", "model-server", (_inputs, resource) => {
      (resource as unknown as Record<string, unknown>).customTimeouts = { create: "30m", update: "50m" };
    });
    expect(paths(compareStack("prod", prod, after))).toEqual(["Deployment ai-assistant/model-server (options).customTimeouts.create"]);
  });
});
