/**
 * The rules ai-assistant holds itself to, as plain functions over the stack's resources. `index.ts` makes them a
 * Pulumi policy pack (`pulumi preview --policy-pack policy`); the tests run each one against both stacks' renders
 * and against crafted violations.
 */
import { containersOf, describeWorkload, isOwn, objectsOfKind, ProjectRule, StackResource, Violation, Workload, workloads } from "./resources";

const violation = (workload: Workload, message: string): Violation => ({ message: `${describeWorkload(workload)}: ${message}`, urn: workload.resource.urn });

/** Namespaces the stack makes with Pod Security "restricted" enforced. */
function restrictedNamespaces(resources: StackResource[]): Set<string> {
  return new Set(
    objectsOfKind(resources, "Namespace")
      .filter((namespace) => namespace.props.metadata?.labels?.["pod-security.kubernetes.io/enforce"] === "restricted")
      .map((namespace) => String(namespace.props.metadata.name)),
  );
}

/** The Pod Security Standards "restricted" profile, field by field, on one workload's pods. */
function restrictedProblems(workload: Workload): string[] {
  const { pod } = workload;
  const problems: string[] = [];
  for (const field of ["hostNetwork", "hostPID", "hostIPC"] as const) if (pod[field]) problems.push(`sets ${field}`);
  for (const volume of pod.volumes ?? []) if ("hostPath" in volume) problems.push(`mounts the hostPath volume ${String(volume.name)}`);
  const podContext = pod.securityContext ?? {};
  if (podContext.runAsUser === 0) problems.push("runs as UID 0");
  for (const container of containersOf(pod)) {
    const context = container.securityContext ?? {};
    const where = `container ${container.name}`;
    if (!(context.runAsNonRoot ?? podContext.runAsNonRoot)) problems.push(`${where} may run as root (runAsNonRoot is not true)`);
    if (context.runAsUser === 0) problems.push(`${where} runs as UID 0`);
    if (context.privileged) problems.push(`${where} is privileged`);
    if (context.allowPrivilegeEscalation !== false) problems.push(`${where} may escalate privileges (allowPrivilegeEscalation is not false)`);
    if (!(context.capabilities?.drop ?? []).includes("ALL")) problems.push(`${where} does not drop ALL capabilities`);
    const added = (context.capabilities?.add ?? []).filter((capability) => capability !== "NET_BIND_SERVICE");
    if (added.length > 0) problems.push(`${where} adds capabilities ${added.join(", ")}`);
    const seccomp = context.seccompProfile?.type ?? podContext.seccompProfile?.type;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") problems.push(`${where} has no RuntimeDefault or Localhost seccomp profile`);
    if ((container.ports ?? []).some((port) => port.hostPort)) problems.push(`${where} uses a hostPort`);
  }
  return problems;
}

export const restrictedPodSecurity: ProjectRule = {
  name: "restricted-pod-security",
  description: 'Pods of the assistant, and every pod in a namespace the stack makes "restricted", meet the Pod Security Standards restricted profile.',
  validate(resources) {
    const restricted = restrictedNamespaces(resources);
    return workloads(resources)
      .filter((workload) => isOwn(workload) || restricted.has(workload.namespace))
      .flatMap((workload) => restrictedProblems(workload).map((problem) => violation(workload, `${problem} (Pod Security "restricted")`)));
  },
};

const SIZED = ["cpu", "memory", "ephemeral-storage"];

export const requestsAndLimits: ProjectRule = {
  name: "requests-and-limits",
  description: "Every container of the assistant requests and limits CPU, memory and ephemeral storage.",
  validate(resources) {
    return workloads(resources)
      .filter(isOwn)
      .flatMap((workload) =>
        containersOf(workload.pod).flatMap((container) =>
          (["requests", "limits"] as const).flatMap((kind) => {
            const missing = SIZED.filter((resource) => container.resources?.[kind]?.[resource] === undefined);
            return missing.length > 0 ? [violation(workload, `container ${container.name} sets no ${kind} for ${missing.join(", ")}`)] : [];
          }),
        ),
      );
  },
};

/** Tag and digest of an image reference (a colon after the last slash starts the tag). */
function imageParts(image: string): { tag?: string; digest?: string } {
  const [name, digest] = image.split("@");
  const lastSlash = name.lastIndexOf("/");
  const colon = name.indexOf(":", lastSlash + 1);
  return { tag: colon === -1 ? undefined : name.slice(colon + 1), digest };
}

export const noLatestImages: ProjectRule = {
  name: "no-latest-images",
  description: "No container runs a moving image: every image names a tag other than latest, or a digest.",
  validate(resources) {
    return workloads(resources).flatMap((workload) =>
      containersOf(workload.pod).flatMap((container) => {
        const { tag, digest } = imageParts(String(container.image ?? ""));
        if (digest) return [];
        if (tag === undefined || tag === "latest") {
          return [violation(workload, `container ${container.name} runs ${container.image ?? "no image"}, which names neither a pinned tag nor a digest`)];
        }
        return [];
      }),
    );
  },
};

export const digestsInProduction: ProjectRule = {
  name: "digests-in-production",
  description: "In production, every container of the assistant runs an image pinned by digest.",
  validate(resources, { production }) {
    if (!production) return [];
    return workloads(resources)
      .filter(isOwn)
      .flatMap((workload) =>
        containersOf(workload.pod)
          .filter((container) => !imageParts(String(container.image ?? "")).digest)
          .map((container) => violation(workload, `container ${container.name} runs ${container.image}, a tag without a digest, in production`)),
      );
  },
};

function isDefaultDeny(policy: StackResource): boolean {
  const spec = policy.props.spec ?? {};
  const types: string[] = spec.policyTypes ?? [];
  const everyPod = Object.keys(spec.podSelector?.matchLabels ?? {}).length === 0 && (spec.podSelector?.matchExpressions ?? []).length === 0;
  return everyPod && types.includes("Ingress") && types.includes("Egress") && (spec.ingress ?? []).length === 0 && (spec.egress ?? []).length === 0;
}

export const networkPolicyPerNamespace: ProjectRule = {
  name: "network-policy-per-namespace",
  description: "Every namespace the assistant runs in has a NetworkPolicy denying all ingress and egress by default.",
  validate(resources) {
    const guarded = new Set(objectsOfKind(resources, "NetworkPolicy").filter(isDefaultDeny).map((policy) => String(policy.props.metadata?.namespace)));
    const namespaces = new Map(workloads(resources).filter(isOwn).map((workload) => [workload.namespace, workload]));
    return [...namespaces]
      .filter(([namespace]) => !guarded.has(namespace))
      .map(([namespace, workload]) => ({
        message: `namespace ${namespace} runs the assistant (${describeWorkload(workload)}) without a default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules)`,
        urn: workload.resource.urn,
      }));
  },
};

const ALB = "alb.ingress.kubernetes.io";

/** Why an Ingress would serve plain HTTP, or undefined when it serves HTTPS only. */
function plainHttp(ingress: StackResource): string | undefined {
  const annotations: Record<string, string> = ingress.props.metadata?.annotations ?? {};
  if (ingress.props.spec?.ingressClassName === "alb") {
    if (!annotations[`${ALB}/certificate-arn`]) return "an ALB without a certificate (alb.ingress.kubernetes.io/certificate-arn)";
    const listeners: Record<string, number>[] = JSON.parse(annotations[`${ALB}/listen-ports`] ?? '[{"HTTP":80}]');
    if (listeners.some((listener) => "HTTP" in listener) && !annotations[`${ALB}/ssl-redirect`]) {
      return "an ALB with an HTTP listener that does not redirect to HTTPS (alb.ingress.kubernetes.io/ssl-redirect)";
    }
    return undefined;
  }
  return (ingress.props.spec?.tls ?? []).length > 0 ? undefined : "an Ingress without TLS";
}

export const noPlainHttpInProduction: ProjectRule = {
  name: "no-plain-http-in-production",
  description: "In production, nothing is exposed over plain HTTP: no LoadBalancer Service, and every Ingress serves HTTPS only.",
  validate(resources, { production }) {
    if (!production) return [];
    const services = objectsOfKind(resources, "Service")
      .filter((service) => service.props.spec?.type === "LoadBalancer")
      .map((service) => ({ message: `Service ${service.props.metadata?.namespace}/${service.props.metadata?.name} is a LoadBalancer, which serves without TLS, in production`, urn: service.urn }));
    const ingresses = objectsOfKind(resources, "Ingress").flatMap((ingress) => {
      const why = plainHttp(ingress);
      return why ? [{ message: `Ingress ${ingress.props.metadata?.namespace}/${ingress.props.metadata?.name} is ${why}, in production`, urn: ingress.urn }] : [];
    });
    return [...services, ...ingresses];
  },
};

export const retainedVolumesInProduction: ProjectRule = {
  name: "retained-volumes-in-production",
  description: "In production, volumes outlive their claims: StorageClasses the stack makes retain, and the assistant's claims use one of them.",
  validate(resources, { production }) {
    if (!production) return [];
    const classes = objectsOfKind(resources, "StorageClass");
    const retaining = new Set(classes.filter((c) => c.props.reclaimPolicy === "Retain").map((c) => String(c.props.metadata?.name)));
    const deleting = classes
      .filter((c) => c.props.reclaimPolicy !== "Retain")
      .map((c) => ({ message: `StorageClass ${c.props.metadata?.name} has reclaimPolicy ${c.props.reclaimPolicy ?? "Delete"} in production, so its volumes die with their claims`, urn: c.urn }));
    const claims = objectsOfKind(resources, "PersistentVolumeClaim")
      .filter((claim) => !retaining.has(String(claim.props.spec?.storageClassName)))
      .map((claim) => ({
        message: `PersistentVolumeClaim ${claim.props.metadata?.namespace}/${claim.props.metadata?.name} uses StorageClass ${claim.props.spec?.storageClassName ?? "(the cluster default)"}, which this stack does not make with reclaimPolicy Retain`,
        urn: claim.urn,
      }));
    return [...deleting, ...claims];
  },
};

/** Every rule, in the order `pulumi preview` reports them. */
export const RULES: ProjectRule[] = [
  restrictedPodSecurity,
  requestsAndLimits,
  noLatestImages,
  digestsInProduction,
  networkPolicyPerNamespace,
  noPlainHttpInProduction,
  retainedVolumesInProduction,
];
