/**
 * Node-local disk (`ephemeral-storage`): every container requests and limits it, and every emptyDir has a size
 * limit, so that one pod filling /tmp is evicted instead of filling the node's disk under everyone else. A pod's
 * emptyDirs on disk count against its containers' limits, so a limit covers the volumes' sizes plus logs.
 */

type Resources = { requests: Record<string, string>; limits: Record<string, string> };

export interface LocalStorage {
  /** Disk the scheduler reserves for the container. */
  request: string;
  /** Disk past which the kubelet evicts the pod. */
  limit: string;
}

/** `resources` with `ephemeral-storage` added to requests and limits. */
export function withEphemeralStorage<R extends Resources>(resources: R, storage: LocalStorage): Resources {
  return {
    requests: { ...resources.requests, "ephemeral-storage": storage.request },
    limits: { ...resources.limits, "ephemeral-storage": storage.limit },
  };
}

/**
 * Pull policy, explicit on every container. Production runs images by digest, where `IfNotPresent` is exact (the
 * digest names the bytes); dev runs images loaded into the cluster by hand (`kind load`), which must not be pulled.
 */
export const IMAGE_PULL_POLICY = "IfNotPresent";
