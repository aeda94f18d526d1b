import { Monitoring } from "../../../components/monitoring/monitoring";
import { releaseName } from "../../../components/monitoring/monitoring-values";
import { monitoringSchema } from "../../../config/monitoring";
import type { PlannedResource, RenderResult } from "../../../tools/render";
import { K8sObject, objectOf, objectsOf, renderConfig, renderStack } from "../../support/render";

const CHART = "kubernetes:helm.sh/v4:Chart";
/** The namespace selector that keeps Prometheus to the stack's own monitoring namespaces. */
const OWN_NAMESPACES = { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["monitoring", "monitoring-exporters"] }] };
const PASSWORD = "correct-horse-battery-staple-7";

function chart(result: RenderResult, chartName: string): PlannedResource {
  const found = result.resources.filter((r) => r.type === CHART && r.inputs.chart === chartName);
  if (found.length !== 1) throw new Error(`expected one ${chartName} chart, found ${found.length}`);
  return found[0];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const valuesOf = (resource: PlannedResource) => resource.inputs.values as any;

/** True when every label of `selector` is on `labels` with the same value (a matchLabels selector). */
function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

describe("monitoring", () => {
  let dev: RenderResult;
  let prod: RenderResult;
  beforeAll(async () => {
    dev = await renderStack("dev");
    prod = await renderStack("prod");
  });

  describe("the kube-prometheus-stack chart", () => {
    it("given the dev stack, when rendered, then it is a helm.v4.Chart pinned to an exact version of the community chart", () => {
      const stack = chart(dev, "kube-prometheus-stack");
      expect(stack.inputs).toMatchObject({
        // Published (release tag kube-prometheus-stack-88.5.3); the old pin, 92.1.0, never was.
        version: "88.5.3",
        repositoryOpts: { repo: "https://prometheus-community.github.io/helm-charts" },
        namespace: "monitoring",
      });
    });

    it("given two stacks, when rendered, then each names its release and the chart's objects after itself", async () => {
      const staging = await renderConfig({ phase: "mock", grafanaAdminPassword: PASSWORD }, "staging");
      const names = [dev, staging].map((result) => {
        const stack = chart(result, "kube-prometheus-stack");
        return { release: stack.inputs.name, fullname: valuesOf(stack).fullnameOverride, grafana: result.outputs.grafanaUrl };
      });
      expect(names).toEqual([
        { release: "kps-dev", fullname: "kps-dev", grafana: "http://kps-dev-grafana.monitoring.svc.cluster.local" },
        { release: "kps-staging", fullname: "kps-staging", grafana: "http://kps-staging-grafana.monitoring.svc.cluster.local" },
      ]);
      // Our monitors and rules carry the release label their own Prometheus selects.
      expect(objectOf(staging, "PrometheusRule", "ai-assistant-alerts").metadata.labels).toMatchObject({ release: "kps-staging" });
    });

    it("given stack names too long for the chart's 26-character fullname, then their release names still differ", () => {
      const releases = ["production-europe-west-blue", "production-europe-west-green"].map(releaseName);
      expect(releases[0]).not.toBe(releases[1]);
      for (const release of releases) expect(release.length).toBeLessThanOrEqual(26);
      expect(releases[0]).toMatch(/^kps-production-euro-[0-9a-f]{6}$/);
    });

    it("given EKS, when rendered, then its unscrapeable control plane and loopback-only kube-proxy are not scraped (their Down alerts would fire forever)", () => {
      const values = valuesOf(chart(prod, "kube-prometheus-stack"));
      expect([values.kubeControllerManager, values.kubeScheduler, values.kubeEtcd, values.kubeProxy]).toEqual([
        { enabled: false },
        { enabled: false },
        { enabled: false },
        { enabled: false },
      ]);
    });

    it("given an existing cluster without kube-proxy, when rendered, then kube-proxy is not scraped and the control plane is", async () => {
      const result = await renderConfig({ phase: "mock", grafanaAdminPassword: PASSWORD, cluster: { type: "kubeconfig", kubeProxy: false } });
      const values = valuesOf(chart(result, "kube-prometheus-stack"));
      expect(values.kubeProxy).toEqual({ enabled: false });
      expect(values.kubeScheduler).toEqual({ enabled: true });
      expect(valuesOf(chart(dev, "kube-prometheus-stack")).kubeProxy).toEqual({ enabled: true });
    });

    it("given kind (dev: controlPlaneMetrics false, as kind binds them to 127.0.0.1), when rendered, then the scheduler, controller manager and etcd are not scraped and kube-proxy is", async () => {
      const values = valuesOf(chart(dev, "kube-prometheus-stack"));
      expect([values.kubeControllerManager, values.kubeScheduler, values.kubeEtcd, values.kubeProxy]).toEqual([
        { enabled: false },
        { enabled: false },
        { enabled: false },
        { enabled: true },
      ]);
      const reachable = await renderConfig({ phase: "mock", grafanaAdminPassword: PASSWORD, cluster: { type: "kubeconfig" } });
      const scraped = valuesOf(chart(reachable, "kube-prometheus-stack"));
      expect([scraped.kubeControllerManager, scraped.kubeScheduler, scraped.kubeEtcd]).toEqual([{ enabled: true }, { enabled: true }, { enabled: true }]);
    });

    it("given Grafana on a ReadWriteOnce volume (prod), when rendered, then it rolls by Recreate; without a volume, rolling is kept", () => {
      expect(valuesOf(chart(prod, "kube-prometheus-stack")).grafana.deploymentStrategy).toEqual({ type: "Recreate" });
      expect(valuesOf(chart(dev, "kube-prometheus-stack")).grafana.deploymentStrategy).toEqual({ type: "RollingUpdate" });
    });

    it("given the EKS stack, when rendered, then the chart waits for the StorageClasses its volumes are claimed from", () => {
      const gp3 = prod.resources.find((r) => r.type === "kubernetes:storage.k8s.io/v1:StorageClass")!;
      expect(chart(prod, "kube-prometheus-stack").dependencies).toContain(gp3.urn);
    });

    it("given dev, when rendered, then Prometheus keeps 3 days on an emptyDir with the stack's small sizing", () => {
      const spec = valuesOf(chart(dev, "kube-prometheus-stack")).prometheus.prometheusSpec;
      expect(spec.retention).toBe("3d");
      expect(spec.storageSpec).toEqual({});
      expect(spec.resources).toEqual({ requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "1Gi" } });
      expect(valuesOf(chart(dev, "kube-prometheus-stack")).grafana.persistence).toEqual({ enabled: false });
    });

    it("given prod, when rendered, then Prometheus keeps 45 days on a 100Gi volume and Grafana's state is persistent", () => {
      const values = valuesOf(chart(prod, "kube-prometheus-stack"));
      expect(values.prometheus.prometheusSpec.retention).toBe("45d");
      expect(values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec).toEqual({
        accessModes: ["ReadWriteOnce"],
        resources: { requests: { storage: "100Gi" } },
      });
      expect(values.grafana.persistence).toMatchObject({ enabled: true, size: "10Gi" });
    });

    it("given a Grafana password, when rendered, then the chart reads it from the Secret and the password appears nowhere", async () => {
      const result = await renderConfig({ phase: "mock", grafanaAdminPassword: PASSWORD });
      const secret = objectOf(result, "Secret", "grafana-admin");
      const admin = valuesOf(chart(result, "kube-prometheus-stack")).grafana.admin;
      expect(admin).toEqual({ existingSecret: secret.metadata.name, userKey: "admin-user", passwordKey: "admin-password" });
      expect(Object.keys(secret.stringData).sort()).toEqual(["admin-password", "admin-user"]);
      expect(secret.metadata.namespace).toBe("monitoring");
      expect(JSON.stringify(result)).not.toContain(PASSWORD);
    });

    it("given any stack, when rendered, then the dashboard sidecar is on and watches the label our ConfigMaps carry", () => {
      const dashboards = valuesOf(chart(dev, "kube-prometheus-stack")).grafana.sidecar.dashboards;
      expect(dashboards.enabled).toBe(true);
      const configMaps = objectsOf(dev, "ConfigMap").filter((cm) => cm.metadata.name.startsWith("dashboard-"));
      expect(configMaps).toHaveLength(8);
      for (const cm of configMaps) {
        expect(cm.metadata.labels?.[dashboards.label]).toBe(dashboards.labelValue);
        expect(cm.metadata.annotations?.[dashboards.folderAnnotation]).toBe("AI Assistant");
      }
    });

    it("given helm.v4.Chart runs no hooks, when rendered, then nothing of the chart waits on a hook-made certificate", () => {
      const operator = valuesOf(chart(dev, "kube-prometheus-stack")).prometheusOperator;
      expect(operator.admissionWebhooks.enabled).toBe(false);
      expect(operator.tls.enabled).toBe(false);
    });
  });

  describe("scraping", () => {
    const selectorOf = (result: RenderResult, key: "serviceMonitorSelector" | "ruleSelector") =>
      valuesOf(chart(result, "kube-prometheus-stack")).prometheus.prometheusSpec[key].matchLabels as Record<string, string>;

    it("given the backend's Service, when rendered, then its ServiceMonitor is selected by this Prometheus and selects that Service's http port", () => {
      const service = objectOf(dev, "Service", "backend");
      const monitor = objectOf(dev, "ServiceMonitor", "backend");
      const spec = valuesOf(chart(dev, "kube-prometheus-stack")).prometheus.prometheusSpec;
      expect(matches(selectorOf(dev, "serviceMonitorSelector"), monitor.metadata.labels)).toBe(true);
      // The stack's own monitoring namespaces only (the ServiceMonitors reach into the app's with their own selector).
      expect(spec.serviceMonitorNamespaceSelector).toEqual(OWN_NAMESPACES);
      expect(monitor.metadata.namespace).toBe("monitoring");
      expect(monitor.spec.namespaceSelector.matchNames).toEqual([service.metadata.namespace]);
      expect(matches(monitor.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
      const ports = service.spec.ports.map((p: { name: string }) => p.name);
      expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: "http", path: "/metrics" })]);
      expect(ports).toContain("http");
    });

    it("given model-server Services of both engines, when matched, then only the vLLM one is scraped", () => {
      const monitor = objectOf(dev, "ServiceMonitor", "model-server-vllm");
      const labels = (engine: string) => ({
        "app.kubernetes.io/name": "model-server",
        "app.kubernetes.io/component": "model-server",
        "app.kubernetes.io/instance": "ai-assistant-dev",
        "ai-assistant.io/engine": engine,
      });
      expect(matches(selectorOf(dev, "serviceMonitorSelector"), monitor.metadata.labels)).toBe(true);
      expect(matches(monitor.spec.selector.matchLabels, labels("vllm"))).toBe(true);
      expect(matches(monitor.spec.selector.matchLabels, labels("ollama"))).toBe(false);
      expect(monitor.spec.endpoints[0]).toMatchObject({ port: "http", path: "/metrics" });
    });

    it("given the alert rules, when rendered, then the PrometheusRule carries the label the rule selector requires", () => {
      const rule = objectOf(dev, "PrometheusRule", "ai-assistant-alerts");
      expect(matches(selectorOf(dev, "ruleSelector"), rule.metadata.labels)).toBe(true);
      expect(valuesOf(chart(dev, "kube-prometheus-stack")).prometheus.prometheusSpec.ruleNamespaceSelector).toEqual(OWN_NAMESPACES);
      expect(rule.metadata.namespace).toBe("monitoring");
    });

    it("given prod asks for GPU metrics, when rendered, then the DCGM exporter runs on tainted GPU nodes and Prometheus selects its ServiceMonitor", () => {
      const dcgm = chart(prod, "dcgm-exporter");
      expect(dcgm.inputs).toMatchObject({ version: "4.8.2", repositoryOpts: { repo: "https://nvidia.github.io/dcgm-exporter/helm-charts" }, namespace: "monitoring-exporters" });
      expect(dcgm.inputs.name).toBe("kps-prod-dcgm");
      const values = valuesOf(dcgm);
      expect(values.nodeSelector).toEqual({ "ai-assistant.io/pool": "gpu" });
      expect(values.tolerations).toContainEqual({ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" });
      expect(values.serviceMonitor.enabled).toBe(true);
      expect(matches(selectorOf(prod, "serviceMonitorSelector"), values.serviceMonitor.additionalLabels)).toBe(true);
    });

    it("given a GPU pool with its own node selector, when rendered, then the DCGM exporter follows it unless told otherwise", async () => {
      const selector = { "example.com/accelerator": "l40s" };
      const settings = {
        phase: "local-model",
        grafanaAdminPassword: PASSWORD,
        localModel: { engine: "ollama", models: ["llama3.2:3b"], gpu: { nodeSelector: selector } },
        monitoring: { gpuMetrics: { enabled: true } },
      };
      expect(valuesOf(chart(await renderConfig(settings), "dcgm-exporter")).nodeSelector).toEqual(selector);
      const pinned = { ...settings, monitoring: { gpuMetrics: { enabled: true, nodeSelector: { pool: "other" } } } };
      expect(valuesOf(chart(await renderConfig(pinned), "dcgm-exporter")).nodeSelector).toEqual({ pool: "other" });
    });

    it("given dev does not ask for GPU metrics, when rendered, then there is no DCGM exporter", () => {
      expect(dev.resources.filter((r) => r.type === CHART).map((r) => r.inputs.chart)).not.toContain("dcgm-exporter");
    });
  });

  describe("namespaces", () => {
    it("given only the exporters need host access, when rendered, then they alone run privileged and everything else enforces, warns and audits restricted", () => {
      const labels = (name: string) => objectOf(dev, "Namespace", name).metadata.labels ?? {};
      const level = (name: string) => ["enforce", "warn", "audit"].map((mode) => labels(name)[`pod-security.kubernetes.io/${mode}`]);
      expect(level("monitoring")).toEqual(["restricted", "restricted", "restricted"]);
      expect(level("ai-assistant-dev")).toEqual(["restricted", "restricted", "restricted"]);
      expect(labels("monitoring-exporters")["pod-security.kubernetes.io/enforce"]).toBe("privileged");
      // node-exporter (a subchart) and the DCGM exporter are the ones sent there.
      expect(valuesOf(chart(prod, "kube-prometheus-stack"))["prometheus-node-exporter"]).toMatchObject({ namespaceOverride: "monitoring-exporters" });
      expect(chart(prod, "dcgm-exporter").inputs.namespace).toBe("monitoring-exporters");
    });

    it("given restricted forbids a root init container, when rendered, then Grafana's chown init container is off (its fsGroup owns the volume)", () => {
      expect(valuesOf(chart(prod, "kube-prometheus-stack")).grafana.initChownData).toEqual({ enabled: false });
    });

    it("given monitoring.namespace equal to the app namespace, when the component is made, then it refuses with what it expected", () => {
      // The check runs before anything is registered, so no Pulumi runtime is needed to see it.
      const args = {
        provider: undefined as never,
        stack: "test",
        appNamespace: "shared",
        grafanaAdminPassword: PASSWORD,
        cluster: { managedControlPlane: false, controlPlaneMetrics: true, kubeProxy: true },
        gpuNodeSelector: {},
      };
      expect(() => new Monitoring("monitoring", { ...args, settings: monitoringSchema.parse({ namespace: "shared" }) })).toThrow(
        'expected monitoring.namespace to differ from the app namespace "shared"',
      );
      expect(() => new Monitoring("monitoring", { ...args, settings: monitoringSchema.parse({ exportersNamespace: "shared" }) })).toThrow(
        'expected monitoring.exportersNamespace to differ from the app namespace "shared"',
      );
      expect(() => new Monitoring("monitoring", { ...args, appNamespace: "app", grafanaAdminPassword: undefined, settings: monitoringSchema.parse({}) })).toThrow(
        "expected grafanaAdminPassword",
      );
    });

    it("given any stack, when rendered, then every monitoring object belongs to the Monitoring component and uses the stack's provider", () => {
      const component = dev.resources.find((r) => r.type === "ai-assistant:monitoring:Monitoring")!;
      const children = dev.resources.filter((r) => r.parent === component.urn);
      expect(children.length).toBeGreaterThan(5);
      const provider = dev.resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
      for (const child of children) expect(child.provider).toMatch(new RegExp(`^${provider.urn.replace(/[$]/g, "\\$")}::`));
    });
  });

  describe("switched off", () => {
    it("given monitoring.enabled false, when rendered, then there is no monitoring resource and no Grafana output", async () => {
      const result = await renderConfig({ phase: "mock", monitoring: { enabled: false } });
      const kinds = result.kubernetesObjects.map((o) => (o.object as K8sObject).kind);
      expect(kinds).not.toContain("ServiceMonitor");
      expect(kinds).not.toContain("PrometheusRule");
      expect(result.resources.filter((r) => r.type === CHART || r.type.startsWith("ai-assistant:monitoring"))).toEqual([]);
      expect(objectsOf(result, "Namespace").map((ns) => ns.metadata.name)).toEqual(["ai-assistant"]);
      expect(result.outputs.grafanaUrl).toBeNull();
    });

    it("given monitoring on, when rendered, then the stack exports Grafana's in-cluster URL", () => {
      expect(dev.outputs.grafanaUrl).toBe("http://kps-dev-grafana.monitoring.svc.cluster.local");
    });
  });
});
