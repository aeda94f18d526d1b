/**
 * Zero-downtime drains in the render (issue 15, item 5): each app Deployment sleeps in preStop (the native sleep
 * action where the cluster's version has it, `sleep` in the container otherwise), its grace period covers preStop,
 * the server's drain and grace, and the frontend's readiness probe is the path that fails while it drains.
 */
import { DEFAULT_SHUTDOWN_DRAIN_SECONDS, DEFAULT_SHUTDOWN_GRACE_SECONDS, parseBackendEnv } from "../../../lib/backend-env";
import { hasNativeSleep, PRESTOP_SLEEP_SECONDS } from "../../../components/app/shutdown";
import { DEFAULT_SHUTDOWN_DRAIN_SECONDS as FRONTEND_DRAIN, DEFAULT_SHUTDOWN_GRACE_SECONDS as FRONTEND_GRACE } from "../../../services/frontend/src/settings";
import { MOCK } from "../../support/configs";
import { objectOf, renderConfig, renderStack } from "../../support/render";

const podOf = (result: Awaited<ReturnType<typeof renderConfig>>, name: string) => objectOf(result, "Deployment", name).spec.template.spec;

describe("the native sleep action", () => {
  it.each([
    [undefined, false],
    ["1.29", false],
    ["1.30", true],
    ["1.35", true],
    ["2.0", true],
  ])("given Kubernetes %s, then it is used: %s (on by default from 1.30)", (version, expected) => {
    expect(hasNativeSleep(version)).toBe(expected);
  });
});

describe.each([
  ["an existing cluster of unknown version", MOCK, { exec: { command: ["sleep", String(PRESTOP_SLEEP_SECONDS)] } }],
  ["an existing cluster of 1.29", { ...MOCK, cluster: { type: "kubeconfig", kubernetesVersion: "1.29" } }, { exec: { command: ["sleep", String(PRESTOP_SLEEP_SECONDS)] } }],
  ["an existing cluster of 1.32", { ...MOCK, cluster: { type: "kubeconfig", kubernetesVersion: "1.32" } }, { sleep: { seconds: PRESTOP_SLEEP_SECONDS } }],
])("given %s", (_what, config, preStop) => {
  let result: Awaited<ReturnType<typeof renderConfig>>;
  beforeAll(async () => (result = await renderConfig(config, "dev")));

  it.each(["frontend", "backend"])("then the %s sleeps in preStop, and its grace period covers preStop, drain and grace", (name) => {
    const spec = podOf(result, name);
    expect(spec.containers[0].lifecycle).toEqual({ preStop });
    expect(spec.terminationGracePeriodSeconds).toBeGreaterThan(PRESTOP_SLEEP_SECONDS + DEFAULT_SHUTDOWN_DRAIN_SECONDS + DEFAULT_SHUTDOWN_GRACE_SECONDS);
  });

  it("then the frontend is ready on /readyz (it fails while draining) and alive on /healthz", () => {
    const [container] = podOf(result, "frontend").containers;
    expect([container.readinessProbe.httpGet.path, container.livenessProbe.httpGet.path]).toEqual(["/readyz", "/healthz"]);
  });
});

describe("given the prod stack (EKS 1.35)", () => {
  it("then both Deployments use the native sleep action", async () => {
    const prod = await renderStack("prod");
    for (const name of ["frontend", "backend"]) expect(podOf(prod, name).containers[0].lifecycle).toEqual({ preStop: { sleep: { seconds: PRESTOP_SLEEP_SECONDS } } });
  });
});

describe("the servers' shutdown timing", () => {
  it("is the same in the backend's contract and the frontend's settings, which the grace period is sized from", () => {
    const backend = parseBackendEnv({ LLM_PROVIDER: "mock" });
    expect([backend.shutdownDrainMs / 1000, backend.shutdownGraceMs / 1000]).toEqual([DEFAULT_SHUTDOWN_DRAIN_SECONDS, DEFAULT_SHUTDOWN_GRACE_SECONDS]);
    expect([FRONTEND_DRAIN, FRONTEND_GRACE]).toEqual([DEFAULT_SHUTDOWN_DRAIN_SECONDS, DEFAULT_SHUTDOWN_GRACE_SECONDS]);
  });
});
