import { spawnSync } from "child_process";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { PROJECT_DIR } from "../support/render";
import { withoutLocalSecrets } from "../../tools/kind/stack-file-cleanup";

/**
 * `npm run kind` against stand-ins for docker, kind, kubectl and pulumi (test/support/kind-stubs/stub.js) that record
 * every call and model the machine: the script's logic on a fresh machine, run twice, torn down, and failing.
 */
const STUB = join(PROJECT_DIR, "test/support/kind-stubs/stub.js");
const TOOLS = ["docker", "kind", "kubectl", "pulumi"];

interface Call {
  command: string;
  args: string[];
  stdin?: string;
  backend?: string;
  passphrase?: string;
}

let dir: string;
let project: string;
let bin: string;

function setUp() {
  dir = mkdtempSync(join(tmpdir(), "kind-script-"));
  project = join(dir, "project");
  bin = join(dir, "bin");
  mkdirSync(project);
  mkdirSync(bin);
  for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml"]) copyFileSync(join(PROJECT_DIR, file), join(project, file));
  for (const tool of TOOLS) stub(tool);
}
const tearDown = () => rmSync(dir, { recursive: true, force: true });

function stub(tool: string) {
  writeFileSync(join(bin, tool), `#!/bin/sh\nexec "${process.execPath}" "${STUB}" ${tool} "$@"\n`);
  chmodSync(join(bin, tool), 0o755);
}

function kind(args: string[], env: Record<string, string> = {}) {
  const log = join(dir, "calls.jsonl");
  writeFileSync(log, "");
  const result = spawnSync(process.execPath, ["-r", join(PROJECT_DIR, "tools/register.js"), join(PROJECT_DIR, "tools/kind.ts"), ...args], {
    cwd: project,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: bin, STUB_LOG: log, STUB_STATE: join(dir, "state.json"), PULUMI_CONFIG_PASSPHRASE: "correct horse", ...env },
  });
  const calls = readFileSync(log, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as Call);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls, lines: calls.map((call) => [call.command, ...call.args].join(" ")) };
}

const state = () => JSON.parse(readFileSync(join(dir, "state.json"), "utf8"));
/** Calls that change something (every other call only looks). */
const CHANGES = /^(docker (run|start|network connect|rm|exec -i|exec \S+ mkdir)|kind (create|delete)|kubectl .* apply|pulumi (stack select \S+ --create|stack rm|config set))/;

describe("npm run kind -- up on a fresh machine", () => {
  let up: ReturnType<typeof kind>;
  beforeAll(() => {
    setUp();
    up = kind(["up", "--no-forward"]);
  });
  afterAll(tearDown);

  it("creates the registry, the cluster, the registry config, the ConfigMap and the stack, deploys, and waits for the rollout", () => {
    expect(up.stderr).toBe("");
    expect(up.status).toBe(0);
    const changes = up.lines.filter((line) => CHANGES.test(line));
    expect(changes).toEqual([
      "docker run -d --restart=always -p 127.0.0.1:5001:5000 --network bridge --name kind-registry registry:3",
      "kind create cluster --name ai-assistant --config -",
      "docker exec ai-assistant-control-plane mkdir -p /etc/containerd/certs.d/localhost:5001",
      "docker exec -i ai-assistant-control-plane cp /dev/stdin /etc/containerd/certs.d/localhost:5001/hosts.toml",
      "docker network connect kind kind-registry",
      "kubectl --context kind-ai-assistant apply -f -",
      "pulumi stack select dev --create --non-interactive",
      "pulumi config set --secret ai-assistant:grafanaAdminPassword --stack dev --non-interactive",
    ]);
    const machine = state();
    expect(machine.hosts["/etc/containerd/certs.d/localhost:5001/hosts.toml"]).toBe('[host."http://kind-registry:5000"]\n');
    expect(machine.configMap).toBe('host: "localhost:5001"\nhelp: "https://kind.sigs.k8s.io/docs/user/local-registry/"\n');
    expect(up.calls.find((call) => call.command === "kind" && call.args[0] === "create")?.stdin).toContain('config_path = "/etc/containerd/certs.d"');
    // The generated Grafana password reaches pulumi on stdin, never on the command line.
    expect(machine.secrets["ai-assistant:grafanaAdminPassword"]).toMatch(/^[\w-]{24}$/);
    // pulumi up, then the rollouts, in that order, and only then the URL.
    const upAt = up.lines.indexOf("pulumi up --yes --refresh --skip-preview --stack dev --non-interactive");
    const rollouts = up.lines.filter((line) => line.includes("rollout status"));
    expect(upAt).toBeGreaterThan(-1);
    expect(rollouts).toEqual([
      "kubectl --context kind-ai-assistant -n ai-assistant-dev rollout status deployment/backend --timeout=5m",
      "kubectl --context kind-ai-assistant -n ai-assistant-dev rollout status deployment/frontend --timeout=5m",
    ]);
    expect(up.lines.indexOf(rollouts[0])).toBeGreaterThan(upAt);
    expect(up.stdout).toContain("http://localhost:3000");
    expect(up.stdout).toContain("kubectl --context kind-ai-assistant -n ai-assistant-dev port-forward svc/frontend 3000:8080");
  });

  it("gives every pulumi call the local file backend and the passphrase, and writes the salt into the stack file", () => {
    const pulumiCalls = up.calls.filter((call) => call.command === "pulumi");
    expect(pulumiCalls.length).toBeGreaterThan(0);
    for (const call of pulumiCalls) {
      expect(call.backend).toBe(`file://${join(project, ".pulumi-state")}`);
      expect(call.passphrase).toBe("correct horse");
    }
    expect(existsSync(join(project, ".pulumi-state"))).toBe(true);
    expect(readFileSync(join(project, "Pulumi.dev.yaml"), "utf8")).toMatch(/^encryptionsalt: /m);
  });

  it("prints each step's usual duration before it starts and its real one after", () => {
    expect(up.stdout).toMatch(/\[2\/9\] the kind cluster \(usually 1-2 minutes when it is created\)\n {4}ai-assistant created \(context kind-ai-assistant\) \(\d+ s\)/);
    expect(up.stdout).toMatch(/\[8\/9\] pulumi up \(usually 5-10 minutes the first time/);
    expect(up.stdout).toMatch(/Ready in \d+ s\./);
  });
});

describe("npm run kind -- up", () => {
  beforeEach(setUp);
  afterEach(tearDown);

  it("run a second time, changes nothing: every step finds its part there and pulumi up has nothing to do", () => {
    kind(["up", "--no-forward"]);
    const before = readFileSync(join(project, "Pulumi.dev.yaml"), "utf8");
    const again = kind(["up", "--no-forward"]);
    expect(again.status).toBe(0);
    expect(again.lines.filter((line) => CHANGES.test(line))).toEqual([]);
    expect(again.stdout).toContain("already running");
    expect(again.stdout).toContain("ai-assistant already exists");
    expect(readFileSync(join(project, "Pulumi.dev.yaml"), "utf8")).toBe(before);
  });

  it("starts a stopped registry instead of creating a second one (docker run would refuse the name)", () => {
    kind(["up", "--no-forward"]);
    const machine = state();
    writeFileSync(join(dir, "state.json"), JSON.stringify({ ...machine, registry: "stopped" }));
    const again = kind(["up", "--no-forward"]);
    expect(again.status).toBe(0);
    expect(again.lines.filter((line) => CHANGES.test(line))).toEqual(["docker start kind-registry"]);
  });

  it("when a step fails, stops there with the command, its error and what to do, and runs nothing after it", () => {
    const up = kind(["up", "--no-forward"], { STUB_FAIL: "kind create" });
    expect(up.status).toBe(1);
    expect(up.stderr).toContain("kind: up stopped at step 2/9, the kind cluster: `kind create cluster --name ai-assistant --config -` exited 1");
    expect(up.stderr).toContain("simulated failure of kind create");
    expect(up.stderr).toContain("The 7 step(s) after it did not run. Fix the cause and run `npm run kind -- up` again");
    expect(up.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(up.lines.some((line) => line.startsWith("pulumi") || line.startsWith("kubectl"))).toBe(false);
    // The next run resumes: the registry is reused, the cluster created.
    const resumed = kind(["up", "--no-forward"]);
    expect(resumed.status).toBe(0);
    expect(resumed.lines.filter((line) => CHANGES.test(line))[0]).toBe("kind create cluster --name ai-assistant --config -");
  });

  it("without PULUMI_CONFIG_PASSPHRASE and no terminal to ask on, stops before changing anything and says what to set", () => {
    const up = kind(["up", "--no-forward"], { PULUMI_CONFIG_PASSPHRASE: undefined as unknown as string });
    expect(up.status).toBe(1);
    expect(up.stderr).toContain("PULUMI_CONFIG_PASSPHRASE is not set and there is no terminal to ask on: export PULUMI_CONFIG_PASSPHRASE=");
    expect(up.calls).toEqual([]);
  });

  it("names the tools missing from PATH before running any", () => {
    rmSync(join(bin, "kind"));
    rmSync(join(bin, "pulumi"));
    const up = kind(["up"]);
    expect(up.status).toBe(1);
    expect(up.stderr).toBe("kind: not on PATH: kind, pulumi. Install them first (docs/kind.md lists where from).\n");
    expect(up.calls).toEqual([]);
  });

  it("refuses an unknown command with the usage", () => {
    const wrong = kind(["start"]);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain("kind: expected up or down, found start");
    expect(wrong.stderr).toContain("usage: npm run kind -- up");
  });
});

describe("npm run kind -- down", () => {
  beforeEach(setUp);
  afterEach(tearDown);

  it("removes the cluster and the registry, keeps the Pulumi state unless asked, and is a no-op when nothing is there", () => {
    kind(["up", "--no-forward"]);
    const down = kind(["down"]);
    expect(down.status).toBe(0);
    expect(down.lines.filter((line) => CHANGES.test(line))).toEqual(["kind delete cluster --name ai-assistant", "docker rm -f kind-registry"]);
    expect(state()).toMatchObject({ registry: "absent", clusters: [], stacks: ["dev"] });
    expect(down.stdout).toContain("npm run kind -- down --state");
    const again = kind(["down"]);
    expect(again.status).toBe(0);
    expect(again.lines.filter((line) => CHANGES.test(line))).toEqual([]);
  });

  it("with --state also removes the stack, its state folder and what up wrote into Pulumi.dev.yaml, leaving the file as committed", () => {
    const committed = readFileSync(join(project, "Pulumi.dev.yaml"), "utf8");
    kind(["up", "--no-forward"]);
    expect(readFileSync(join(project, "Pulumi.dev.yaml"), "utf8")).not.toBe(committed);
    const down = kind(["down", "--state"]);
    expect(down.status).toBe(0);
    expect(down.lines.filter((line) => CHANGES.test(line))).toEqual([
      "kind delete cluster --name ai-assistant",
      "docker rm -f kind-registry",
      "pulumi stack rm dev --yes --force --preserve-config --non-interactive",
    ]);
    expect(state()).toMatchObject({ registry: "absent", clusters: [], stacks: [] });
    expect(existsSync(join(project, ".pulumi-state"))).toBe(false);
    expect(readFileSync(join(project, "Pulumi.dev.yaml"), "utf8")).toBe(committed);
    // And up works again from there.
    expect(kind(["up", "--no-forward"]).status).toBe(0);
  });
});

describe("withoutLocalSecrets", () => {
  it("keeps a plain password (somebody's own setting) and every other key", () => {
    const text = "config:\n  ai-assistant:phase: mock\n  ai-assistant:grafanaAdminPassword: plain\n";
    expect(withoutLocalSecrets(text)).toEqual({ text, removed: [] });
  });
});
