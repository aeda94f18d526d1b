/**
 * The e2e harness runs the images "as the pods would" by converting the rendered Deployments (test/e2e/lib/pod.ts).
 * A conversion that dropped a setting would let an image pass the e2e that the cluster then refuses or breaks, so
 * the conversion itself is checked here, in the fast suite, against the dev render and hand-made variations.
 */
import { dockerCpus, dockerMemory, dockerRunArgs, podRun } from "./lib/pod";
import { objectOf, renderStack } from "../support/render";
import type { RenderResult } from "../../tools/render";

let dev: RenderResult;
beforeAll(async () => {
  dev = await renderStack("dev");
  // The dev stack's one expected warning (no Alertmanager receiver) is returned by the render, not printed.
  expect(dev.warnings).toEqual([expect.stringMatching(/Alertmanager has no receiver/)]);
});

/* eslint-disable @typescript-eslint/no-explicit-any */
/** A copy of the dev render whose `deployment`'s pod spec `edit` has changed. */
function withPod(deployment: string, edit: (pod: any) => void): RenderResult {
  const copy: RenderResult = JSON.parse(JSON.stringify(dev));
  const object = copy.kubernetesObjects.map((o) => o.object as any).find((o) => o.kind === "Deployment" && o.metadata.name === deployment);
  edit(object.spec.template.spec);
  return copy;
}

test("the backend pod becomes docker run arguments carrying each security setting, its emptyDir and its ConfigMap", () => {
  const pod = podRun(dev, "backend");
  const args = dockerRunArgs(pod, "e2e-backend", "img:tag", { PORT: "40000" });
  const joined = args.join(" ");
  expect(joined).toContain("--user 10001:10001");
  expect(joined).toContain("--group-add 10001");
  expect(args).toContain("--read-only");
  expect(joined).toContain("--cap-drop ALL");
  expect(joined).toContain("--security-opt no-new-privileges");
  expect(joined).toMatch(/--tmpfs \/tmp:rw,nosuid,nodev,mode=2777,gid=10001,size=128m/);
  // envFrom the rendered ConfigMap, then the port the harness picks over the pod's 8080.
  const settings = objectOf(dev, "ConfigMap", "backend-settings").data;
  expect(Object.keys(settings).length).toBeGreaterThan(0);
  for (const [key, value] of Object.entries(settings)) expect(args).toContain(`${key}=${value}`);
  expect(args).toContain("PORT=40000");
  expect(args).not.toContain("PORT=8080");
  expect(joined).toContain("--memory 256m");
  expect(joined).toContain("--cpus 0.5");
  expect(args[args.length - 1]).toBe("img:tag");
  expect(pod.probes.map((p) => `${p.kind} ${p.path}`)).toEqual(["startup /healthz", "readiness /readyz", "liveness /healthz"]);
});

test("the container's own securityContext wins over the pod's", () => {
  const pod = podRun(withPod("frontend", (spec) => (spec.containers[0].securityContext.runAsUser = 20002)), "frontend");
  expect(pod.user).toBe("20002:10001");
});

test("a setting Docker would silently drop fails the conversion instead", () => {
  expect(() => podRun(withPod("backend", (spec) => spec.volumes.push({ name: "data", persistentVolumeClaim: { claimName: "x" } }) && spec.containers[0].volumeMounts.push({ name: "data", mountPath: "/data" })), "backend")).toThrow(/data, which is not an emptyDir/);
  expect(() => podRun(withPod("backend", (spec) => (spec.containers[0].securityContext.capabilities.add = ["NET_ADMIN"])), "backend")).toThrow(/adds capabilities/);
  expect(() => podRun(withPod("backend", (spec) => spec.containers[0].env.push({ name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } })), "backend")).toThrow(/POD_IP comes from/);
});

test("a writable root or kept capabilities show in the arguments (the e2e's process checks would then fail)", () => {
  const pod = podRun(withPod("backend", (spec) => {
    spec.containers[0].securityContext.readOnlyRootFilesystem = false;
    spec.containers[0].securityContext.capabilities.drop = [];
    spec.containers[0].securityContext.allowPrivilegeEscalation = true;
  }), "backend");
  const args = dockerRunArgs(pod, "e2e-backend", "img:tag", {});
  expect(args).not.toContain("--read-only");
  expect(args).not.toContain("--cap-drop");
  expect(args).not.toContain("no-new-privileges");
});

test("quantities convert to Docker's units", () => {
  expect(dockerMemory("128Mi")).toBe("128m");
  expect(dockerMemory("1Gi")).toBe("1g");
  expect(() => dockerMemory("1.5G")).toThrow(/not one the harness converts/);
  expect(dockerCpus("250m")).toBe("0.25");
  expect(dockerCpus("2")).toBe("2");
});
