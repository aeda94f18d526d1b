/**
 * The steps of `npm run kind -- up|down`, each one idempotent in the way kind's own local-registry script is
 * (kubernetes-sigs/kind site/static/examples/kind-with-registry.sh, read at commit 0f1d6c1c, the script that
 * site/content/docs/user/local-registry.md embeds, https://kind.sigs.k8s.io/docs/user/local-registry/): look first,
 * change only what is missing. Its five steps are steps 1-5 here: the `registry:3` container on 127.0.0.1:<port>,
 * the cluster with containerd's `config_path` patch (only needed by node images older than kind v0.27.0), a
 * `hosts.toml` per node aliasing `localhost:<port>` to `http://kind-registry:5000`, the registry on the `kind`
 * network, and KEP-1755's `local-registry-hosting` ConfigMap. A second `up` creates
 * nothing; `pulumi up` then finds nothing to change by itself.
 */
import { randomBytes } from "crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import { KindSettings, REGISTRY_CONTAINER, REGISTRY_IMAGE } from "./settings";
import { Runner } from "./shell";
import { withoutLocalSecrets } from "./stack-file-cleanup";

export interface StepContext {
  run: Runner;
  settings: KindSettings;
  projectDir: string;
  say: (line: string) => void;
}

export interface Step {
  title: string;
  /** How long the step usually takes, printed before it starts so a quiet minute does not look like a hang. */
  expected: string;
  /** Does the work; returns what happened, in a word or two ("created", "already there"). */
  run(context: StepContext): string;
}

/** The local file backend the script gives the stack: state stays in the checkout, no `pulumi login` changes. */
export const STATE_DIR = ".pulumi-state";
export const stateBackend = (projectDir: string) => `file://${join(projectDir, STATE_DIR)}`;

/** Where containerd on a kind node looks for `localhost:<port>`'s hosts.toml (kind's guide, step 3). */
const hostsDir = (port: number) => `/etc/containerd/certs.d/localhost:${port}`;
/** The registry as the nodes reach it: the registry container's name on the kind network, its port inside. */
const hostsToml = `[host."http://${REGISTRY_CONTAINER}:5000"]\n`;

/**
 * kind's guide creates clusters with containerd's registry config directory on; node images of kind v0.27.0 and
 * later have it on already, older ones need this patch.
 */
const clusterConfig = [
  "kind: Cluster",
  "apiVersion: kind.x-k8s.io/v1alpha4",
  "containerdConfigPatches:",
  "- |-",
  '  [plugins."io.containerd.grpc.v1.cri".registry]',
  '    config_path = "/etc/containerd/certs.d"',
  "",
].join("\n");

/** KEP-1755's ConfigMap, by which tools in the cluster learn where the local registry is (kind's guide, step 5). */
export function registryHostingValue(port: number): string {
  return `host: "localhost:${port}"\nhelp: "https://kind.sigs.k8s.io/docs/user/local-registry/"\n`;
}

function registryState({ run }: StepContext): "running" | "stopped" | "absent" {
  const inspect = run("docker", ["inspect", "-f", "{{.State.Running}}", REGISTRY_CONTAINER], { mayFail: true });
  if (inspect.status !== 0) return "absent";
  return inspect.stdout.trim() === "true" ? "running" : "stopped";
}

function clusterExists({ run, settings }: StepContext): boolean {
  return run("kind", ["get", "clusters"]).stdout.split("\n").map((line) => line.trim()).includes(settings.clusterName);
}

const kubectl = (settings: KindSettings, args: string[]) => ["--context", settings.context, ...args];
const pulumiArgs = (settings: KindSettings, args: string[]) => [...args, "--stack", settings.stack, "--non-interactive"];

export const UP_STEPS: Step[] = [
  {
    title: `the registry container ${REGISTRY_CONTAINER}`,
    expected: `seconds (up to a minute the first time, to pull ${REGISTRY_IMAGE})`,
    run(context) {
      const state = registryState(context);
      if (state === "running") return "already running";
      if (state === "stopped") {
        context.run("docker", ["start", REGISTRY_CONTAINER]);
        return "started again";
      }
      const port = context.settings.registryPort;
      // Published on 127.0.0.1 only: the registry has no authentication.
      context.run("docker", ["run", "-d", "--restart=always", "-p", `127.0.0.1:${port}:5000`, "--network", "bridge", "--name", REGISTRY_CONTAINER, REGISTRY_IMAGE]);
      return `created on localhost:${port}`;
    },
  },
  {
    title: "the kind cluster",
    expected: "1-2 minutes when it is created",
    run(context) {
      if (clusterExists(context)) return `${context.settings.clusterName} already exists`;
      context.run("kind", ["create", "cluster", "--name", context.settings.clusterName, "--config", "-"], { input: clusterConfig, live: true });
      return `${context.settings.clusterName} created (context ${context.settings.context})`;
    },
  },
  {
    title: `containerd on each node: localhost:<port> is ${REGISTRY_CONTAINER}`,
    expected: "seconds",
    run(context) {
      const { run, settings } = context;
      const dir = hostsDir(settings.registryPort);
      const nodes = run("kind", ["get", "nodes", "--name", settings.clusterName]).stdout.split("\n").map((line) => line.trim()).filter(Boolean);
      const written: string[] = [];
      for (const node of nodes) {
        const current = run("docker", ["exec", node, "cat", `${dir}/hosts.toml`], { mayFail: true });
        if (current.status === 0 && current.stdout === hostsToml) continue;
        run("docker", ["exec", node, "mkdir", "-p", dir]);
        run("docker", ["exec", "-i", node, "cp", "/dev/stdin", `${dir}/hosts.toml`], { input: hostsToml });
        written.push(node);
      }
      return written.length === 0 ? `set on all ${nodes.length} node(s) already` : `written on ${written.join(", ")}`;
    },
  },
  {
    title: `${REGISTRY_CONTAINER} on the kind network`,
    expected: "a second",
    run({ run }) {
      const network = run("docker", ["inspect", "-f", "{{json .NetworkSettings.Networks.kind}}", REGISTRY_CONTAINER]);
      if (network.stdout.trim() !== "null") return "already connected";
      run("docker", ["network", "connect", "kind", REGISTRY_CONTAINER]);
      return "connected";
    },
  },
  {
    title: "the local-registry-hosting ConfigMap (kube-public)",
    expected: "seconds",
    run({ run, settings }) {
      const value = registryHostingValue(settings.registryPort);
      const current = run("kubectl", kubectl(settings, ["-n", "kube-public", "get", "configmap", "local-registry-hosting", "-o", "jsonpath={.data.localRegistryHosting\\.v1}"]), { mayFail: true });
      if (current.status === 0 && current.stdout === value) return "already there";
      const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "local-registry-hosting", namespace: "kube-public" }, data: { "localRegistryHosting.v1": value } };
      run("kubectl", kubectl(settings, ["apply", "-f", "-"]), { input: JSON.stringify(configMap) });
      return "applied";
    },
  },
  {
    title: `the Pulumi stack on a local file backend (${STATE_DIR}/)`,
    expected: "seconds",
    run({ run, settings, projectDir }) {
      mkdirSync(join(projectDir, STATE_DIR), { recursive: true });
      const known = run("pulumi", ["stack", "ls", "--json", "--non-interactive"], { mayFail: true });
      const exists = known.status === 0 && (JSON.parse(known.stdout || "[]") as { name: string }[]).some((stack) => stack.name === settings.stack);
      // `--create` on a new stack also writes its `encryptionsalt` into Pulumi.<stack>.yaml (see docs/kind.md).
      run("pulumi", ["stack", "select", settings.stack, ...(exists ? [] : ["--create"]), "--non-interactive"]);
      return exists ? `${settings.stack} selected` : `${settings.stack} created (encryptionsalt written to Pulumi.${settings.stack}.yaml)`;
    },
  },
  {
    title: "Grafana's admin password (a stack secret)",
    expected: "seconds",
    run({ run, settings }) {
      const key = "ai-assistant:grafanaAdminPassword";
      if (run("pulumi", pulumiArgs(settings, ["config", "get", key]), { mayFail: true }).status === 0) return "already set";
      run("pulumi", pulumiArgs(settings, ["config", "set", "--secret", key]), { input: randomBytes(18).toString("base64url") });
      return `generated; read it with: pulumi config get ${key} --stack ${settings.stack}`;
    },
  },
  {
    title: "pulumi up",
    expected: "5-10 minutes the first time (two image builds, the monitoring images); a minute or two after",
    run({ run, settings }) {
      // --refresh: after a `down` that kept the state, the objects it lists are gone with the old cluster.
      run("pulumi", pulumiArgs(settings, ["up", "--yes", "--refresh", "--skip-preview"]), { live: true });
      return "done";
    },
  },
  {
    title: "rollout of the frontend and the backend",
    expected: "under a minute (pulumi up waited for them already)",
    run({ run, settings }) {
      for (const deployment of ["backend", "frontend"]) {
        run("kubectl", kubectl(settings, ["-n", settings.namespace, "rollout", "status", `deployment/${deployment}`, "--timeout=5m"]), { live: true });
      }
      return "both ready";
    },
  },
];

export interface DownOptions {
  /** Also remove the stack's Pulumi state and what `up` wrote into the stack file. */
  state: boolean;
}

export function downSteps({ state }: DownOptions): Step[] {
  const steps: Step[] = [
    {
      title: "the kind cluster (and everything deployed on it)",
      expected: "about 10 seconds",
      run(context) {
        if (!clusterExists(context)) return `${context.settings.clusterName} was not there`;
        context.run("kind", ["delete", "cluster", "--name", context.settings.clusterName], { live: true });
        return `${context.settings.clusterName} deleted`;
      },
    },
    {
      title: `the registry container ${REGISTRY_CONTAINER} (and the images pushed to it)`,
      expected: "a few seconds",
      run(context) {
        if (registryState(context) === "absent") return "was not there";
        context.run("docker", ["rm", "-f", REGISTRY_CONTAINER]);
        return "removed";
      },
    },
  ];
  if (!state) return steps;
  return [
    ...steps,
    {
      title: `the stack's Pulumi state (${STATE_DIR}/) and its local secrets in the stack file`,
      expected: "seconds",
      run({ run, settings, projectDir }) {
        const removed: string[] = [];
        if (existsSync(join(projectDir, STATE_DIR))) {
          const known = run("pulumi", ["stack", "ls", "--json", "--non-interactive"], { mayFail: true });
          if (known.status === 0 && (JSON.parse(known.stdout || "[]") as { name: string }[]).some((stack) => stack.name === settings.stack)) {
            // --force: the resources it lists went with the cluster; --preserve-config: the stack file is committed.
            run("pulumi", ["stack", "rm", settings.stack, "--yes", "--force", "--preserve-config", "--non-interactive"]);
            removed.push(`stack ${settings.stack}`);
          }
          rmSync(join(projectDir, STATE_DIR), { recursive: true, force: true });
          removed.push(`${STATE_DIR}/`);
        }
        const file = join(projectDir, `Pulumi.${settings.stack}.yaml`);
        const cleaned = withoutLocalSecrets(readFileSync(file, "utf8"));
        if (cleaned.removed.length > 0) {
          writeFileSync(file, cleaned.text);
          removed.push(...cleaned.removed.map((key) => `${key} from Pulumi.${settings.stack}.yaml`));
        }
        return removed.length === 0 ? "nothing was there" : `removed ${removed.join(", ")}`;
      },
    },
  ];
}
