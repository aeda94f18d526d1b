import type { RenderResult } from "../../../tools/render";
import { planned } from "../../support/eks";
import { renderConfig, renderStack } from "../../support/render";

const METRICS_SERVER = (result: RenderResult) => planned(result, "kubernetes:helm.sh/v4:Chart").filter((chart) => chart.inputs.chart === "metrics-server");

describe("an existing cluster", () => {
  it("given the dev stack on kind, metrics-server comes from its pinned chart and skips kubelet TLS verification", async () => {
    const charts = METRICS_SERVER(await renderStack("dev"));
    expect(charts).toHaveLength(1);
    expect(charts[0].inputs).toMatchObject({
      version: "3.13.1",
      repositoryOpts: { repo: "https://kubernetes-sigs.github.io/metrics-server/" },
      namespace: "kube-system",
      values: { args: ["--kubelet-insecure-tls"], resources: { requests: { cpu: "100m", memory: "200Mi" } } },
    });
  });

  it("given a cluster that has its own metrics-server, none is installed (a second APIService would clash)", async () => {
    const result = await renderConfig({ phase: "mock", monitoring: { enabled: false }, cluster: { type: "kubeconfig" } });
    expect(METRICS_SERVER(result)).toEqual([]);
  });

  it("given install without insecure TLS, the chart verifies kubelets' certificates", async () => {
    const result = await renderConfig({ phase: "mock", monitoring: { enabled: false }, cluster: { type: "kubeconfig", metricsServer: { install: true } } });
    expect((METRICS_SERVER(result)[0].inputs.values as { args: string[] }).args).toEqual([]);
  });
});
