import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GPU_TOLERATION } from "../../lib/gpu";

export const DEVICE_PLUGIN_CHART = { chart: "nvidia-device-plugin", repo: "https://nvidia.github.io/k8s-device-plugin" } as const;

export interface GpuSupportArgs {
  /** Provider of the cluster the GPU nodes belong to. */
  provider: k8s.Provider;
  /** nvidia-device-plugin chart version, exact. */
  chartVersion: string;
  /** Labels of the GPU nodes; the device plugin runs there only. */
  gpuNodeSelector: Record<string, string>;
}

/**
 * NVIDIA's device plugin: without it a GPU node advertises no `nvidia.com/gpu` resource and a pod that requests
 * one never schedules. The NVIDIA AMI brings the driver and container toolkit, so the plugin is all that is missing.
 */
export class GpuSupport extends pulumi.ComponentResource {
  public readonly devicePlugin: k8s.helm.v4.Chart;

  constructor(name: string, args: GpuSupportArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:kubernetes:GpuSupport", name, {}, opts);
    this.devicePlugin = new k8s.helm.v4.Chart(
      `${name}-device-plugin`,
      {
        chart: DEVICE_PLUGIN_CHART.chart,
        version: args.chartVersion,
        repositoryOpts: { repo: DEVICE_PLUGIN_CHART.repo },
        namespace: "kube-system",
        values: {
          nodeSelector: args.gpuNodeSelector,
          tolerations: [GPU_TOLERATION],
          // A DaemonSet pod per GPU node; the node is useless for GPU pods without it.
          priorityClassName: "system-node-critical",
          resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
        },
      },
      { parent: this, provider: args.provider },
    );
    this.registerOutputs({});
  }
}
