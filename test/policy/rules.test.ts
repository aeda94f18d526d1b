import { readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";
import { POLICIES } from "../../policy/policies";
import { detectProduction, StackResource } from "../../policy/resources";
import {
  digestsInProduction,
  networkPolicyPerNamespace,
  noLatestImages,
  noPlainHttpInProduction,
  requestsAndLimits,
  restrictedPodSecurity,
  retainedVolumesInProduction,
  RULES,
} from "../../policy/rules";
import type { RenderResult } from "../../tools/render";
import { PROJECT_DIR, renderStack } from "../support/render";

/** A render's plan as stack validation sees a stack: type, name, URN and properties of every resource. */
const stackResources = (result: RenderResult): StackResource[] =>
  result.resources.map(({ type, name, urn, inputs }) => ({ type, name, urn, props: structuredClone(inputs) }));

const byKind = (resources: StackResource[], kind: string, name: string) => {
  const found = resources.find((r) => r.type.startsWith("kubernetes:") && r.props.kind === kind && r.props.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};
const messages = (rule: (typeof RULES)[number], resources: StackResource[], production = true) => rule.validate(resources, { production }).map((v) => v.message);

let dev: RenderResult;
let prod: RenderResult;
beforeAll(async () => {
  dev = await renderStack("dev");
  prod = await renderStack("prod");
});

describe("the committed stacks", () => {
  it.each(RULES.map((rule) => [rule.name, rule]))("pass %s", (_, rule) => {
    expect(rule.validate(stackResources(dev), { production: detectProduction(stackResources(dev)) })).toEqual([]);
    expect(rule.validate(stackResources(prod), { production: detectProduction(stackResources(prod)) })).toEqual([]);
  });

  it("prod is recognised as production by its namespace's label, dev is not", () => {
    expect(detectProduction(stackResources(prod))).toBe(true);
    expect(detectProduction(stackResources(dev))).toBe(false);
  });

  it("dev, run from a tag as a workstation build would, fails the production rules it is not held to (so they do look at something)", () => {
    const resources = stackResources(dev);
    byKind(resources, "Deployment", "backend").props.spec.template.spec.containers[0].image = "ai-assistant/backend:dev";
    expect(messages(digestsInProduction, resources, false)).toEqual([]);
    expect(messages(digestsInProduction, resources)).toContain(
      "Deployment ai-assistant-dev/backend: container backend runs ai-assistant/backend:dev, a tag without a digest, in production",
    );
  });
});

describe("crafted violations each fail with their message", () => {
  let resources: StackResource[];
  beforeEach(() => {
    resources = stackResources(prod);
  });
  const backendPod = () => byKind(resources, "Deployment", "backend").props.spec.template.spec;

  it("restricted-pod-security: root, escalation, capabilities, host namespaces and hostPath", () => {
    const pod = backendPod();
    pod.hostNetwork = true;
    pod.volumes.push({ name: "host", hostPath: { path: "/" } });
    const container = pod.containers[0];
    container.securityContext = { ...container.securityContext, runAsNonRoot: false, allowPrivilegeEscalation: true, capabilities: { drop: [], add: ["SYS_ADMIN"] } };
    const found = messages(restrictedPodSecurity, resources);
    const prefix = "Deployment ai-assistant/backend: ";
    expect(found).toEqual(
      expect.arrayContaining([
        `${prefix}sets hostNetwork (Pod Security "restricted")`,
        `${prefix}mounts the hostPath volume host (Pod Security "restricted")`,
        `${prefix}container backend may escalate privileges (allowPrivilegeEscalation is not false) (Pod Security "restricted")`,
        `${prefix}container backend does not drop ALL capabilities (Pod Security "restricted")`,
        `${prefix}container backend adds capabilities SYS_ADMIN (Pod Security "restricted")`,
      ]),
    );
    // runAsNonRoot false on the container overrides the pod's true.
    expect(found).toContain(`${prefix}container backend may run as root (runAsNonRoot is not true) (Pod Security "restricted")`);
  });

  it("restricted-pod-security also holds a chart's pod in a restricted namespace, and not one in the privileged exporters' namespace", () => {
    const chartPod = (namespace: string): StackResource => ({
      type: "kubernetes:apps/v1:DaemonSet",
      name: "node-exporter",
      urn: `urn:pulumi:prod::ai-assistant::kubernetes:apps/v1:DaemonSet::${namespace}`,
      props: { kind: "DaemonSet", metadata: { name: "node-exporter", namespace, labels: { "app.kubernetes.io/managed-by": "Helm" } }, spec: { template: { spec: { hostPID: true, containers: [{ name: "x", image: "quay.io/x:1" }] } } } },
    });
    expect(messages(restrictedPodSecurity, [...resources, chartPod("monitoring")])).toContain('DaemonSet monitoring/node-exporter: sets hostPID (Pod Security "restricted")');
    expect(messages(restrictedPodSecurity, [...resources, chartPod("monitoring-exporters")])).toEqual([]);
  });

  it("holds an Argo Rollout's own pod template like a Deployment's, and the prod Rollouts' templates are their Deployments'", () => {
    for (const name of ["backend", "frontend"]) {
      const rollout = byKind(resources, "Rollout", name);
      expect(rollout.props.spec.template).toBeUndefined();
      expect(byKind(resources, "Deployment", rollout.props.spec.workloadRef.name).props.spec.template.spec.containers.length).toBeGreaterThan(0);
    }
    // The same Rollout with the Deployment's template inlined (and a flaw in it) is checked as a workload of its own.
    const rollout = byKind(resources, "Rollout", "backend");
    const template = structuredClone(byKind(resources, "Deployment", "backend").props.spec.template);
    template.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
    delete template.spec.containers[0].resources.limits.memory;
    rollout.props.spec = { ...rollout.props.spec, workloadRef: undefined, template };
    expect(messages(restrictedPodSecurity, resources)).toEqual(['Rollout ai-assistant/backend: container backend may escalate privileges (allowPrivilegeEscalation is not false) (Pod Security "restricted")']);
    expect(messages(requestsAndLimits, resources)).toEqual(["Rollout ai-assistant/backend: container backend sets no limits for memory"]);
  });

  it("requests-and-limits: a container without a memory limit", () => {
    delete backendPod().containers[0].resources.limits.memory;
    expect(messages(requestsAndLimits, resources)).toEqual(["Deployment ai-assistant/backend: container backend sets no limits for memory"]);
  });

  it("no-latest-images: latest, and an untagged image", () => {
    backendPod().containers[0].image = "ghcr.io/acme/backend:latest";
    byKind(resources, "Deployment", "frontend").props.spec.template.spec.containers[0].image = "ghcr.io/acme/frontend";
    expect(messages(noLatestImages, resources, false).sort()).toEqual([
      "Deployment ai-assistant/backend: container backend runs ghcr.io/acme/backend:latest, which names neither a pinned tag nor a digest",
      "Deployment ai-assistant/frontend: container frontend runs ghcr.io/acme/frontend, which names neither a pinned tag nor a digest",
    ]);
  });

  it("digests-in-production: a tag alone, in production only", () => {
    backendPod().containers[0].image = "ghcr.io/acme/backend:1.4.2";
    expect(messages(digestsInProduction, resources)).toEqual(["Deployment ai-assistant/backend: container backend runs ghcr.io/acme/backend:1.4.2, a tag without a digest, in production"]);
    expect(messages(digestsInProduction, resources, false)).toEqual([]);
  });

  it("network-policy-per-namespace: the default deny removed, or opened up", () => {
    const withoutDeny = resources.filter((r) => r.props.kind !== "NetworkPolicy" || r.props.metadata.name !== "default-deny");
    expect(messages(networkPolicyPerNamespace, withoutDeny)).toEqual([
      expect.stringMatching(/^namespace ai-assistant runs the assistant \((?:Deployment|StatefulSet) ai-assistant\/\S+\) without a default-deny NetworkPolicy/),
    ]);
    byKind(resources, "NetworkPolicy", "default-deny").props.spec.ingress = [{}];
    expect(messages(networkPolicyPerNamespace, resources)).toHaveLength(1);
  });

  it("no-plain-http-in-production: a LoadBalancer, an ALB without its certificate or redirect, an Ingress without TLS", () => {
    byKind(resources, "Service", "frontend").props.spec.type = "LoadBalancer";
    expect(messages(noPlainHttpInProduction, resources)).toEqual(["Service ai-assistant/frontend is a LoadBalancer, which serves without TLS, in production"]);
    byKind(resources, "Service", "frontend").props.spec.type = "ClusterIP";
    const ingress = byKind(resources, "Ingress", "frontend").props;
    delete ingress.metadata.annotations["alb.ingress.kubernetes.io/ssl-redirect"];
    expect(messages(noPlainHttpInProduction, resources)).toEqual([
      "Ingress ai-assistant/frontend is an ALB with an HTTP listener that does not redirect to HTTPS (alb.ingress.kubernetes.io/ssl-redirect), in production",
    ]);
    delete ingress.metadata.annotations["alb.ingress.kubernetes.io/certificate-arn"];
    expect(messages(noPlainHttpInProduction, resources)).toEqual(["Ingress ai-assistant/frontend is an ALB without a certificate (alb.ingress.kubernetes.io/certificate-arn), in production"]);
    ingress.spec.ingressClassName = "traefik";
    expect(messages(noPlainHttpInProduction, resources)).toEqual(["Ingress ai-assistant/frontend is an Ingress without TLS, in production"]);
    expect(messages(noPlainHttpInProduction, resources, false)).toEqual([]);
  });

  it("retained-volumes-in-production: a deleting StorageClass, and a claim on a class the stack does not retain", () => {
    byKind(resources, "StorageClass", "gp3").props.reclaimPolicy = "Delete";
    expect(messages(retainedVolumesInProduction, resources).sort()).toEqual([
      expect.stringMatching(/^PersistentVolumeClaim ai-assistant\/model-server-cache-[0-9a-f]{6} uses StorageClass gp3, which this stack does not make with reclaimPolicy Retain$/),
      "PersistentVolumeClaim ai-assistant/valkey-data uses StorageClass gp3, which this stack does not make with reclaimPolicy Retain",
      "StorageClass gp3 has reclaimPolicy Delete in production, so its volumes die with their claims",
    ]);
  });
});

describe("the policy pack", () => {
  it("is a nodejs policy pack whose entry point builds it from every rule", () => {
    expect(parse(readFileSync(join(PROJECT_DIR, "policy", "PulumiPolicy.yaml"), "utf8"))).toMatchObject({ runtime: "nodejs" });
    const manifest = JSON.parse(readFileSync(join(PROJECT_DIR, "policy", "package.json"), "utf8"));
    expect(manifest).toMatchObject({ name: "@ai-assistant/policy", main: "index.ts", dependencies: { "@pulumi/policy": "1.21.0" } });
    expect(readFileSync(join(PROJECT_DIR, "policy", "index.ts"), "utf8")).toContain('new PolicyPack("ai-assistant", { policies: POLICIES })');
    expect(POLICIES.map((policy) => policy.name)).toEqual(RULES.map((rule) => rule.name));
  });

  it("reports each violation through Pulumi's stack validation, with the resource's URN, and reads production from config or the stack", async () => {
    const resources = stackResources(prod);
    byKind(resources, "Deployment", "backend").props.spec.template.spec.containers[0].image = "ghcr.io/acme/backend:1.4.2";
    const digests = POLICIES.find((policy) => policy.name === "digests-in-production")!;
    const run = async (config: { production?: boolean }, stack: StackResource[]) => {
      const reported: [string, string | undefined][] = [];
      const args = { resources: stack, getConfig: () => config, stackTags: new Map(), notApplicable: () => { throw new Error("not applicable"); } };
      await digests.validateStack(args as never, (message, urn) => reported.push([message, urn]));
      return reported;
    };
    const backendUrn = byKind(resources, "Deployment", "backend").urn;
    expect(await run({}, resources)).toEqual([["Deployment ai-assistant/backend: container backend runs ghcr.io/acme/backend:1.4.2, a tag without a digest, in production", backendUrn]]);
    expect(await run({ production: false }, resources)).toEqual([]);
    const devFromTag = stackResources(dev);
    byKind(devFromTag, "Deployment", "backend").props.spec.template.spec.containers[0].image = "ai-assistant/backend:dev";
    expect(await run({}, devFromTag)).toEqual([]);
    expect((await run({ production: true }, devFromTag)).length).toBeGreaterThan(0);
  });
});
