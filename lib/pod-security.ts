/**
 * Security contexts that satisfy the Pod Security Standards "restricted" profile, which the namespace enforces:
 * a pod that strays from it is rejected by the API server, so every workload takes them from here.
 */
import * as k8s from "@pulumi/kubernetes";

type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type SecurityContext = k8s.types.input.core.v1.SecurityContext;

export type PodSecurityLevel = "restricted" | "baseline" | "privileged";
export type PodSecurityMode = "enforce" | "warn" | "audit";

/**
 * Pod Security admission labels of a namespace: `level` for each mode, at the latest version of the standard. By
 * default enforced, warned and audited alike, so a violation that slips past enforcement (a pod created before a
 * label change) still shows in warnings and the API server's audit log.
 */
export function podSecurityLabels(level: PodSecurityLevel, modes: readonly PodSecurityMode[] = ["enforce", "warn", "audit"]): Record<string, string> {
  return Object.fromEntries(
    modes.flatMap((mode) => [
      [`pod-security.kubernetes.io/${mode}`, level],
      [`pod-security.kubernetes.io/${mode}-version`, "latest"],
    ]),
  );
}

/** An unprivileged UID/GID outside the range distributions give to system users. */
export const NON_ROOT_ID = 10001;

export function restrictedPodSecurityContext(id: number = NON_ROOT_ID): PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: id,
    runAsGroup: id,
    // Mounted volumes (model caches) become writable by the pod's group.
    fsGroup: id,
    fsGroupChangePolicy: "OnRootMismatch",
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/**
 * `readOnlyRootFilesystem` is not part of "restricted" but closes a common foothold; it is on unless a workload's
 * runtime cannot live with it.
 */
export function restrictedContainerSecurityContext(options: { readOnlyRootFilesystem?: boolean } = {}): SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: options.readOnlyRootFilesystem ?? true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}
