/**
 * How GPU nodes are told apart from the rest, in one place: the EKS GPU node group carries this label and taint,
 * the model server selects the label and tolerates the taint, and so does NVIDIA's device plugin. If they drifted
 * apart, GPU pods would stay Pending with nothing in the config pointing at why.
 */

/** Label of the GPU node pool; the default of config `localModel.gpu.nodeSelector`. */
export const GPU_NODE_LABEL = { key: "ai-assistant.io/pool", value: "gpu" } as const;

/** Label of the CPU pool that runs everything else (frontend, backend, cluster add-ons). */
export const SYSTEM_NODE_LABEL = { key: "ai-assistant.io/pool", value: "system" } as const;

/** Keeps pods that do not ask for a GPU off the expensive nodes. */
export const GPU_TAINT = { key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" } as const;

/** Tolerates {@link GPU_TAINT} whatever its value, as NVIDIA's own charts do. */
export const GPU_TOLERATION = { key: GPU_TAINT.key, operator: "Exists", effect: GPU_TAINT.effect } as const;

/** The default GPU node selector, as a label map. */
export function defaultGpuNodeSelector(): Record<string, string> {
  return { [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value };
}

/**
 * The labels GPU nodes must carry: the model server's node selector when the stack configures one, so that the
 * node group and the pods that need it are built from the same map.
 */
export function gpuNodeSelector(localModel?: { gpu: { nodeSelector: Record<string, string> } }): Record<string, string> {
  return localModel?.gpu.nodeSelector ?? defaultGpuNodeSelector();
}
