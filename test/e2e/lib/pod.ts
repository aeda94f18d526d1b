/**
 * A rendered Deployment's pod, as `docker run` arguments: the settings the kubelet would apply to its one
 * container, taken from the render of a stack (tools/render.ts), so the images are tried the way the pods run
 * them. What Docker cannot express the way the pod says (another volume type, added capabilities, a second
 * container) fails the conversion instead of being dropped.
 *
 * | pod                                                    | docker run                                      |
 * |--------------------------------------------------------|-------------------------------------------------|
 * | runAsUser / runAsGroup (container over pod), fsGroup   | `--user uid:gid`, `--group-add fsGroup`         |
 * | readOnlyRootFilesystem                                 | `--read-only`                                   |
 * | capabilities.drop [ALL]                                | `--cap-drop ALL`                                |
 * | allowPrivilegeEscalation: false                        | `--security-opt no-new-privileges`              |
 * | seccompProfile RuntimeDefault                          | Docker's default profile (nothing to add)       |
 * | emptyDir mounts (sizeLimit)                            | `--tmpfs path:size=…,mode=2777,gid=fsGroup`     |
 * | env, envFrom / valueFrom of ConfigMaps and Secrets     | `--env`, values read from the rendered objects  |
 * | limits.cpu / limits.memory                             | `--cpus`, `--memory`                            |
 * | terminationGracePeriodSeconds (default 30)             | `--stop-timeout`                                |
 * | automountServiceAccountToken: false                    | nothing mounted                                 |
 *
 * On the host network two pods cannot both listen on 8080, so the container's port setting (PORT) is the one thing
 * the harness chooses: a free port of 127.0.0.1's host.
 */
import type { RenderResult } from "../../../tools/render";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface Probe {
  kind: "startup" | "readiness" | "liveness";
  path: string;
}

export interface PodRun {
  deployment: string;
  image: string;
  user: string;
  groups: string[];
  readOnlyRoot: boolean;
  dropAll: boolean;
  noNewPrivileges: boolean;
  tmpfs: { path: string; options: string }[];
  env: Record<string, string>;
  portEnv: string;
  probes: Probe[];
  /** How long the startup probe lets the container take: initialDelaySeconds + failureThreshold × periodSeconds. */
  startupBudgetSeconds?: number;
  cpus?: string;
  memory?: string;
  graceSeconds: number;
}

function objectNamed(render: RenderResult, kind: string, name: string): Json {
  const found = render.kubernetesObjects.map((o) => o.object as Json).filter((o) => o.kind === kind && o.metadata?.name === name);
  if (found.length !== 1) throw new Error(`expected one rendered ${kind} ${name}, found ${found.length}`);
  return found[0];
}

function dataOf(object: Json): Record<string, string> {
  if (object.kind === "ConfigMap") return { ...(object.data ?? {}) };
  const decoded = Object.fromEntries(Object.entries(object.data ?? {}).map(([k, v]) => [k, Buffer.from(String(v), "base64").toString("utf8")]));
  return { ...decoded, ...(object.stringData ?? {}) };
}

/** `256Mi` -> `256m` (Docker's units are binary); `500m` CPU -> `0.5`. */
export function dockerMemory(quantity: string): string {
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(quantity);
  if (!match) throw new Error(`memory quantity ${quantity} is not one the harness converts`);
  return `${match[1]}${{ Ki: "k", Mi: "m", Gi: "g", "": "b" }[match[2] ?? ""]}`;
}

export function dockerCpus(quantity: string): string {
  return quantity.endsWith("m") ? String(Number(quantity.slice(0, -1)) / 1000) : quantity;
}

export function podRun(render: RenderResult, deploymentName: string): PodRun {
  const deployment = objectNamed(render, "Deployment", deploymentName);
  const pod = deployment.spec.template.spec;
  if (pod.containers.length !== 1 || (pod.initContainers ?? []).length > 0) throw new Error(`${deploymentName}: the harness runs pods of one container`);
  const container = pod.containers[0];
  const podSecurity = pod.securityContext ?? {};
  const security = container.securityContext ?? {};
  const uid = security.runAsUser ?? podSecurity.runAsUser;
  const gid = security.runAsGroup ?? podSecurity.runAsGroup;
  if (uid === undefined || gid === undefined) throw new Error(`${deploymentName}: no runAsUser/runAsGroup to run with`);
  if ((security.capabilities?.add ?? []).length > 0) throw new Error(`${deploymentName}: adds capabilities`);

  const volumes = new Map<string, Json>((pod.volumes ?? []).map((v: Json) => [v.name, v]));
  const fsGroup = podSecurity.fsGroup;
  const tmpfs = (container.volumeMounts ?? []).map((mount: Json) => {
    const volume = volumes.get(mount.name);
    if (!volume?.emptyDir) throw new Error(`${deploymentName}: mounts ${mount.name}, which is not an emptyDir`);
    // kubelet makes an emptyDir 0777; with an fsGroup it is group-owned by it, setgid (pkg/volume/volume_linux.go).
    const options = ["rw", "nosuid", "nodev", `mode=${fsGroup !== undefined ? "2777" : "0777"}`];
    if (fsGroup !== undefined) options.push(`gid=${fsGroup}`);
    if (volume.emptyDir.sizeLimit) options.push(`size=${dockerMemory(volume.emptyDir.sizeLimit)}`);
    return { path: mount.mountPath, options: options.join(",") };
  });

  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    Object.assign(env, dataOf(objectNamed(render, from.configMapRef ? "ConfigMap" : "Secret", ref.name)));
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = String(variable.value);
    else if (variable.valueFrom?.configMapKeyRef || variable.valueFrom?.secretKeyRef) {
      const ref = variable.valueFrom.configMapKeyRef ?? variable.valueFrom.secretKeyRef;
      const value = dataOf(objectNamed(render, variable.valueFrom.configMapKeyRef ? "ConfigMap" : "Secret", ref.name))[ref.key];
      if (value === undefined && !ref.optional) throw new Error(`${deploymentName}: ${variable.name} refers to ${ref.name}/${ref.key}, which is not rendered`);
      if (value !== undefined) env[variable.name] = value;
    } else throw new Error(`${deploymentName}: ${variable.name} comes from ${JSON.stringify(variable.valueFrom)}, which the harness cannot set`);
  }

  const port = (container.ports ?? []).find((p: Json) => p.name === "http") ?? container.ports?.[0];
  const portEnv = Object.entries(env).find(([, value]) => value === String(port?.containerPort))?.[0];
  if (!portEnv) throw new Error(`${deploymentName}: no environment variable sets the container port ${port?.containerPort}`);
  const probes: Probe[] = (["startup", "readiness", "liveness"] as const)
    .filter((kind) => container[`${kind}Probe`]?.httpGet)
    .map((kind) => ({ kind, path: container[`${kind}Probe`].httpGet.path }));

  const startup = container.startupProbe;
  // Kubernetes defaults: periodSeconds 10, failureThreshold 3 (core/v1 Probe).
  const startupBudgetSeconds = startup ? (startup.initialDelaySeconds ?? 0) + (startup.failureThreshold ?? 3) * (startup.periodSeconds ?? 10) : undefined;

  return {
    deployment: deploymentName,
    image: container.image,
    user: `${uid}:${gid}`,
    groups: fsGroup !== undefined ? [String(fsGroup)] : [],
    readOnlyRoot: security.readOnlyRootFilesystem === true,
    dropAll: (security.capabilities?.drop ?? []).includes("ALL"),
    noNewPrivileges: security.allowPrivilegeEscalation === false,
    tmpfs,
    env,
    portEnv,
    probes,
    startupBudgetSeconds,
    cpus: container.resources?.limits?.cpu ? dockerCpus(container.resources.limits.cpu) : undefined,
    memory: container.resources?.limits?.memory ? dockerMemory(container.resources.limits.memory) : undefined,
    graceSeconds: pod.terminationGracePeriodSeconds ?? 30,
  };
}

/** `docker run -d` arguments for the pod, with `image` in place of the rendered reference. */
export function dockerRunArgs(run: PodRun, name: string, image: string, env: Record<string, string>): string[] {
  const args = ["run", "-d", "--name", name, "--network", "host", "--user", run.user];
  for (const group of run.groups) args.push("--group-add", group);
  if (run.readOnlyRoot) args.push("--read-only");
  if (run.dropAll) args.push("--cap-drop", "ALL");
  if (run.noNewPrivileges) args.push("--security-opt", "no-new-privileges");
  for (const mount of run.tmpfs) args.push("--tmpfs", `${mount.path}:${mount.options}`);
  for (const [key, value] of Object.entries({ ...run.env, ...env })) args.push("--env", `${key}=${value}`);
  if (run.cpus) args.push("--cpus", run.cpus);
  if (run.memory) args.push("--memory", run.memory);
  args.push("--stop-timeout", String(run.graceSeconds));
  args.push(image);
  return args;
}
