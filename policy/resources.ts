/**
 * What the rules read: resources as Pulumi's stack validation hands them over (type, name, URN, properties), and
 * the Kubernetes shapes inside them. Kept to plain data so that the rules run the same on a real preview and on
 * the offline render's plan.
 */

/** One resource of the stack. */
export interface StackResource {
  type: string;
  name: string;
  urn: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  props: Record<string, any>;
}

/** One problem a rule found, on a resource when it has one. */
export interface Violation {
  message: string;
  urn?: string;
}

/** How a rule reads the stack. */
export interface RuleContext {
  /** The production rules apply (set by policy config, or detected from the app namespace's label). */
  production: boolean;
}

/** One of the project's rules: a name, what it holds, and the check itself. */
export interface ProjectRule {
  name: string;
  description: string;
  validate(resources: StackResource[], context: RuleContext): Violation[];
}

/** The label the stack puts on a production stack's app namespace (components/app/namespace.ts). */
export const PRODUCTION_LABEL = "ai-assistant.io/production";
/** The label of every object of the assistant itself, as opposed to a chart's. */
export const PART_OF = { key: "app.kubernetes.io/part-of", value: "ai-assistant" } as const;

const WORKLOAD_TYPES: Record<string, (props: StackResource["props"]) => PodSpec | undefined> = {
  "kubernetes:apps/v1:Deployment": (props) => props.spec?.template?.spec,
  "kubernetes:apps/v1:StatefulSet": (props) => props.spec?.template?.spec,
  "kubernetes:apps/v1:DaemonSet": (props) => props.spec?.template?.spec,
  "kubernetes:apps/v1:ReplicaSet": (props) => props.spec?.template?.spec,
  "kubernetes:batch/v1:Job": (props) => props.spec?.template?.spec,
  "kubernetes:batch/v1:CronJob": (props) => props.spec?.jobTemplate?.spec?.template?.spec,
  "kubernetes:core/v1:Pod": (props) => props.spec,
  // An Argo Rollout with its own pod template; one with a workloadRef has none, and its Deployment is checked instead.
  "kubernetes:argoproj.io/v1alpha1:Rollout": (props) => props.spec?.template?.spec,
};

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string };
}

export interface Container {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  ports?: { hostPort?: number }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
}

export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: SecurityContext;
  volumes?: Record<string, unknown>[];
}

/** A workload that makes pods, with where it runs and what it is. */
export interface Workload {
  resource: StackResource;
  kind: string;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  pod: PodSpec;
}

export function workloads(resources: StackResource[]): Workload[] {
  return resources.flatMap((resource) => {
    const podOf = WORKLOAD_TYPES[resource.type];
    const pod = podOf?.(resource.props);
    if (!pod) return [];
    const metadata = resource.props.metadata ?? {};
    return [{ resource, kind: String(resource.props.kind), namespace: metadata.namespace ?? "default", name: metadata.name ?? resource.name, labels: metadata.labels ?? {}, pod }];
  });
}

export function containersOf(pod: PodSpec): Container[] {
  return [...(pod.initContainers ?? []), ...(pod.containers ?? []), ...(pod.ephemeralContainers ?? [])];
}

/** The assistant's own workloads (the charts' are held to their own makers' rules). */
export function isOwn(workload: Workload): boolean {
  return workload.labels[PART_OF.key] === PART_OF.value;
}

/** Kubernetes objects of one kind in the stack. */
export function objectsOfKind(resources: StackResource[], kind: string): StackResource[] {
  return resources.filter((resource) => resource.type.startsWith("kubernetes:") && resource.props.kind === kind);
}

export const describeWorkload = (workload: Workload) => `${workload.kind} ${workload.namespace}/${workload.name}`;

/** True when the stack marks itself production (the app namespace's label). */
export function detectProduction(resources: StackResource[]): boolean {
  return objectsOfKind(resources, "Namespace").some((namespace) => namespace.props.metadata?.labels?.[PRODUCTION_LABEL] === "true");
}
