/** delivery: rolling update by default, canary settings defaulted from the alert thresholds, and every rule refused in one line. */
import { THRESHOLDS } from "../../components/monitoring/alert-rules";
import { ARGO_ROLLOUTS_CHART_VERSION } from "../../config/delivery";
import { parse, problemsWith, VALID } from "../support/config";

describe("delivery", () => {
  it("defaults to a plain rolling update, and a canary's defaults are 10 -> 50 -> 100 with the alerts' thresholds", () => {
    expect(parse(VALID).delivery.strategy).toBe("rollingUpdate");
    const { delivery } = parse({ ...VALID, delivery: { strategy: "canary" } });
    expect(delivery.argoRollouts).toEqual({ install: true, chartVersion: ARGO_ROLLOUTS_CHART_VERSION });
    expect(delivery.canary.weights).toEqual([10, 50, 100]);
    // One source with the alerts: the canary is held to what pages someone (ErrorRateHigh, InferenceLatencyHigh).
    expect(delivery.canary.analysis).toMatchObject({ maxErrorRatio: THRESHOLDS.errorRatioHigh, maxP95LatencySeconds: THRESHOLDS.p95LatencySeconds });
    expect(delivery.canary.analysis).toMatchObject({ interval: "1m", count: 5, failureLimit: 1, window: "2m" });
  });

  it("accepts its own steps and thresholds", () => {
    const { canary } = parse({ ...VALID, delivery: { strategy: "canary", canary: { weights: [5, 25, 100], analysis: { maxErrorRatio: 0.02, maxP95LatencySeconds: 3, count: 3, failureLimit: 0 } } } }).delivery;
    expect(canary.weights).toEqual([5, 25, 100]);
    expect(canary.analysis).toMatchObject({ maxErrorRatio: 0.02, maxP95LatencySeconds: 3, count: 3, failureLimit: 0 });
  });

  it.each([
    [{ strategy: "bluegreen" }, 'ai-assistant:delivery.strategy: expected "rollingUpdate" or "canary"; found "bluegreen"'],
    [{ canary: { weights: [10, 50] } }, "ai-assistant:delivery.canary.weights: expected steps ending at 100 (the canary takes all traffic before it becomes stable), such as [10, 50, 100]; found [10,50]"],
    [{ canary: { weights: [50, 10, 100] } }, "ai-assistant:delivery.canary.weights: expected each step larger than the one before, such as [10, 50, 100]; found [50,10,100]"],
    [{ canary: { weights: [100] } }, "ai-assistant:delivery.canary.weights: expected at least one step below 100 before it, such as [10, 50, 100]: [100] would promote every version unjudged; found [100]"],
    [{ canary: { weights: [0, 100] } }, "ai-assistant:delivery.canary.weights[0]: expected a percentage from 1 to 100; found 0"],
    [{ canary: { analysis: { maxErrorRatio: 5 } } }, "ai-assistant:delivery.canary.analysis.maxErrorRatio: expected a fraction above 0 and at most 1; found 5"],
    [{ canary: { analysis: { interval: "1 minute" } } }, 'ai-assistant:delivery.canary.analysis.interval: expected a duration such as 30s, 1m or 5m; found "1 minute"'],
    [{ canary: { analysis: { count: 2, failureLimit: 2 } } }, "ai-assistant:delivery.canary.analysis.failureLimit: expected fewer failures than measurements (count 2): otherwise no canary could ever fail; found 2"],
    [{ argoRollouts: { chartVersion: "2.41" } }, 'ai-assistant:delivery.argoRollouts.chartVersion: expected an exact chart version such as 2.41.0; found "2.41"'],
    [{ canary: { steps: [10] } }, "ai-assistant:delivery.canary.steps: expected a known key"],
  ])("refuses %j", (delivery, line) => {
    expect(problemsWith({ ...VALID, delivery })).toContain(line);
  });

  it("refuses a canary without the stack's Prometheus, which its analysis queries", () => {
    expect(problemsWith({ ...VALID, delivery: { strategy: "canary" }, monitoring: { enabled: false } })).toContain(
      "ai-assistant:monitoring.enabled: expected monitoring.enabled true with delivery.strategy canary: the canary's analysis queries the stack's Prometheus for its error rate and latency; found false",
    );
    expect(() => parse({ ...VALID, monitoring: { enabled: false } })).not.toThrow();
  });

  it("refuses a second install of Argo Rollouts' cluster-wide CRDs on a shared cluster, and accepts the cluster's own", () => {
    const shared = { type: "kubeconfig", context: "shared", shared: true };
    expect(problemsWith({ ...VALID, monitoring: { enabled: false }, cluster: shared, delivery: { strategy: "canary" } })).toContain(
      "ai-assistant:delivery.argoRollouts.install: expected delivery.argoRollouts.install false on a shared cluster (cluster.shared true)",
    );
    // monitoring off on a shared cluster: the canary rule about Prometheus speaks too, this one does not.
    expect(problemsWith({ ...VALID, monitoring: { enabled: false }, cluster: shared, delivery: { strategy: "canary", argoRollouts: { install: false } } })).not.toContain("delivery.argoRollouts.install");
  });
});
