// A stand-in for docker, kind, kubectl and pulumi: each call is appended to $STUB_LOG as one JSON line (command,
// arguments, stdin, the Pulumi environment), and answers from a small model of the machine kept in $STUB_STATE, so
// the kind script can be run start to finish, twice, and torn down, with nothing real touched.
// $STUB_FAIL ("kind create") makes the calls whose command line starts with it fail.
const fs = require("fs");
const path = require("path");

const [command, ...args] = process.argv.slice(2);
const stdin = process.stdin.isTTY ? "" : readStdin();
const env = process.env;
const statePath = env.STUB_STATE;
const state = fs.existsSync(statePath)
  ? JSON.parse(fs.readFileSync(statePath, "utf8"))
  : { registry: "absent", registryOnKind: false, clusters: [], hosts: {}, configMap: null, stacks: [], secrets: {}, deployed: false };

fs.appendFileSync(
  env.STUB_LOG,
  JSON.stringify({ command, args, stdin: stdin || undefined, backend: command === "pulumi" ? env.PULUMI_BACKEND_URL : undefined, passphrase: command === "pulumi" ? env.PULUMI_CONFIG_PASSPHRASE : undefined }) + "\n",
);

function readStdin() {
  try {
    return fs.readFileSync(0, "utf8");
  } catch {
    return "";
  }
}
function done(code = 0, out = "", err = "") {
  fs.writeFileSync(statePath, JSON.stringify(state));
  if (out) process.stdout.write(out);
  if (err) process.stderr.write(err);
  process.exit(code);
}
const line = [command, ...args].join(" ");
if (env.STUB_FAIL && line.startsWith(env.STUB_FAIL)) done(1, "", `ERROR: failed to create cluster: simulated failure of ${env.STUB_FAIL}\n`);

function stackFile() {
  return path.join(process.cwd(), "Pulumi.dev.yaml");
}
function editStackFile(edit) {
  const { parseDocument } = require("yaml"); // loaded only here: most calls never edit a file
  const document = parseDocument(fs.readFileSync(stackFile(), "utf8"));
  edit(document);
  fs.writeFileSync(stackFile(), document.toString({ flowCollectionPadding: false, lineWidth: 0 }));
}

const on = (...prefix) => prefix.every((word, i) => args[i] === word);
const node = (name) => `${name}-control-plane`;

switch (command) {
  case "docker":
    if (on("inspect", "-f", "{{.State.Running}}")) {
      if (state.registry === "absent") done(1, "", `Error: No such object: ${args[3]}\n`);
      done(0, `${state.registry === "running"}\n`);
    }
    if (on("inspect", "-f", "{{json .NetworkSettings.Networks.kind}}")) done(0, state.registryOnKind ? '{"NetworkID":"stub"}\n' : "null\n");
    if (on("run")) {
      if (state.registry !== "absent") done(125, "", "docker: Error response from daemon: Conflict. The container name is already in use.\n");
      state.registry = "running";
      done(0, "0123456789ab\n");
    }
    if (on("start")) (state.registry = "running"), done(0);
    if (on("network", "connect", "kind")) {
      if (state.registryOnKind) done(1, "", "Error response from daemon: endpoint with name kind-registry already exists in network kind\n");
      state.registryOnKind = true;
      done(0);
    }
    if (on("rm", "-f")) (state.registry = "absent"), (state.registryOnKind = false), done(0);
    if (on("exec")) {
      const [target, ...rest] = args[1] === "-i" ? args.slice(2) : args.slice(1);
      if (!state.clusters.some((name) => node(name) === target)) done(1, "", `Error: No such container: ${target}\n`);
      if (rest[0] === "cat") return state.hosts[rest[1]] === undefined ? done(1, "", `cat: ${rest[1]}: No such file or directory\n`) : done(0, state.hosts[rest[1]]);
      if (rest[0] === "mkdir") done(0);
      if (rest[0] === "cp") (state.hosts[rest[2]] = stdin), done(0);
    }
    break;
  case "kind":
    if (on("get", "clusters")) done(0, state.clusters.map((name) => `${name}\n`).join(""), state.clusters.length ? "" : "No kind clusters found.\n");
    if (on("get", "nodes", "--name")) done(0, state.clusters.includes(args[3]) ? `${node(args[3])}\n` : "");
    if (on("create", "cluster", "--name")) {
      if (state.clusters.includes(args[3])) done(1, "", `ERROR: failed to create cluster: node(s) already exist for a cluster with the name "${args[3]}"\n`);
      state.clusters.push(args[3]);
      done(0);
    }
    if (on("delete", "cluster", "--name")) {
      state.clusters = state.clusters.filter((name) => name !== args[3]);
      state.hosts = {};
      state.configMap = null;
      state.deployed = false;
      done(0);
    }
    break;
  case "kubectl": {
    const rest = args.slice(2);
    if (!state.clusters.length) done(1, "", "error: context was not found\n");
    if (rest.includes("get") && rest.includes("local-registry-hosting")) {
      return state.configMap === null ? done(1, "", 'Error from server (NotFound): configmaps "local-registry-hosting" not found\n') : done(0, state.configMap);
    }
    if (rest[0] === "apply") (state.configMap = JSON.parse(stdin).data["localRegistryHosting.v1"]), done(0, "configmap/local-registry-hosting created\n");
    if (rest.includes("rollout")) return state.deployed ? done(0, `deployment "${rest[rest.indexOf("status") + 1].split("/")[1]}" successfully rolled out\n`) : done(1, "", "error: deployments.apps not found\n");
    break;
  }
  case "pulumi":
    if (!env.PULUMI_BACKEND_URL || !env.PULUMI_BACKEND_URL.startsWith("file://")) done(255, "", "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions\n");
    if (on("stack", "ls", "--json")) done(0, JSON.stringify(state.stacks.map((name) => ({ name }))));
    if (on("stack", "select")) {
      if (!state.stacks.includes(args[2])) {
        if (!args.includes("--create")) done(255, "", `error: no stack named '${args[2]}' found\n`);
        if (env.PULUMI_CONFIG_PASSPHRASE === undefined) done(255, "", "error: passphrase must be set with PULUMI_CONFIG_PASSPHRASE\n");
        state.stacks.push(args[2]);
        editStackFile((document) => document.set("encryptionsalt", "v1:c3R1YnNhbHQ=:v1:stub:stub"));
      }
      done(0);
    }
    if (on("stack", "rm")) (state.stacks = state.stacks.filter((name) => name !== args[2])), (state.deployed = false), done(0);
    if (on("config", "get")) return state.secrets[args[2]] === undefined ? done(255, "", `error: configuration key '${args[2]}' not found for stack 'dev'\n`) : done(0, `${state.secrets[args[2]]}\n`);
    if (on("config", "set", "--secret")) {
      state.secrets[args[3]] = stdin;
      editStackFile((document) => {
        const config = document.get("config");
        if (require("yaml").isMap(config)) config.set(args[3], document.createNode({ secure: "v1:stubciphertext" }));
      });
      done(0);
    }
    if (on("up")) {
      if (!state.clusters.length) done(255, "", "error: configured Kubernetes cluster is unreachable\n");
      state.deployed = true;
      done(0, "Resources:\n    + 60 created\n");
    }
    break;
}
done(64, "", `stub: no model for \`${line}\`\n`);
