import { RenderResult } from "../../../tools/render";
import { MOCK } from "../../support/configs";
import { objectOf, objectsOf, renderConfig } from "../../support/render";

const RECOMMENDED_LABELS = [
  "app.kubernetes.io/name",
  "app.kubernetes.io/instance",
  "app.kubernetes.io/component",
  "app.kubernetes.io/part-of",
  "app.kubernetes.io/managed-by",
];

describe("given the mock phase with default settings", () => {
  let result: RenderResult;
  beforeAll(async () => {
    result = await renderConfig(MOCK, "dev");
  });

  it("the namespace enforces the restricted Pod Security Standard", () => {
    const [namespace] = objectsOf(result, "Namespace");
    expect(namespace.metadata.name).toBe("assistant-test");
    expect(namespace.metadata.labels).toMatchObject({ "pod-security.kubernetes.io/enforce": "restricted" });
  });

  it("the backend's ConfigMap selects canned answers and there is no key", () => {
    expect(objectOf(result, "ConfigMap", "backend-settings").data).toEqual({ LLM_PROVIDER: "mock", LLM_FALLBACK: "none" });
    expect(objectsOf(result, "Secret")).toHaveLength(0);
  });

  it("the backend runs at the mock size: 100m CPU and 128Mi requested, with limits", () => {
    const [container] = objectOf(result, "Deployment", "backend").spec.template.spec.containers;
    expect(container.resources).toEqual({
      requests: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "64Mi" },
      limits: { cpu: "500m", memory: "256Mi", "ephemeral-storage": "512Mi" },
    });
  });

  it("the backend's probes make it ready within ~10 s and use the health paths", () => {
    const [container] = objectOf(result, "Deployment", "backend").spec.template.spec.containers;
    expect(container.readinessProbe).toMatchObject({ httpGet: { path: "/readyz", port: "http" }, periodSeconds: 5 });
    expect(container.startupProbe).toMatchObject({ httpGet: { path: "/healthz" }, periodSeconds: 2 });
    expect(container.livenessProbe).toEqual({ httpGet: { path: "/healthz", port: "http" }, periodSeconds: 30, timeoutSeconds: 10, failureThreshold: 3 });
    // The startup allowance is short for canned answers: restarts come quickly if the process hangs.
    expect(container.startupProbe.periodSeconds * container.startupProbe.failureThreshold).toBe(30);
  });

  it("every object carries the recommended app.kubernetes.io labels", () => {
    for (const { object } of result.kubernetesObjects.filter(({ object }) => object.kind !== "Namespace")) {
      const labels = (object as { metadata: { labels: Record<string, string> } }).metadata.labels;
      expect(Object.keys(labels)).toEqual(expect.arrayContaining(RECOMMENDED_LABELS));
    }
  });

  it("the backend autoscales 1-3 on 70 % CPU, and the Deployment leaves the replica count to the HPA", () => {
    const hpa = objectOf(result, "HorizontalPodAutoscaler", "backend");
    expect(hpa.spec).toMatchObject({ minReplicas: 1, maxReplicas: 3, scaleTargetRef: { kind: "Deployment", name: "backend" } });
    expect(hpa.spec.metrics[0].resource).toEqual({ name: "cpu", target: { type: "Utilization", averageUtilization: 70 } });
    expect(objectOf(result, "Deployment", "backend").spec.replicas).toBeUndefined();
  });

  it("no PodDisruptionBudget while a single replica may be all that runs (minReplicas 1), however far it may scale", () => {
    expect(objectsOf(result, "PodDisruptionBudget")).toHaveLength(0);
  });

  it("the frontend is wired to the backend's in-cluster URL and stays in-cluster (ClusterIP)", () => {
    const [container] = objectOf(result, "Deployment", "frontend").spec.template.spec.containers;
    expect(container.env).toContainEqual({ name: "BACKEND_URL", value: "http://backend.assistant-test.svc.cluster.local:8080" });
    expect(objectOf(result, "Service", "frontend").spec.type).toBe("ClusterIP");
    expect(objectsOf(result, "Ingress")).toHaveLength(0);
  });

  it("every Kubernetes resource goes through the stack's explicit provider", () => {
    const provider = result.resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
    expect(provider.inputs).toMatchObject({ enableServerSideApply: "true" });
    const kubernetesResources = result.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
    expect(kubernetesResources.length).toBeGreaterThan(5);
    for (const resource of kubernetesResources) expect(resource.provider).toBe(`${provider.urn}::${provider.name}-id`);
  });

  it("components are the parents of their objects", () => {
    const deployment = result.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.name === "backend")!;
    expect(deployment.parent).toContain("ai-assistant:kubernetes:AppWorkload::backend");
  });
});

describe("given fixed replicas and other exposures", () => {
  it("without autoscaling the Deployment runs the configured replicas, with no HPA, and one replica gets no PDB", async () => {
    const result = await renderConfig({ ...MOCK, backend: { autoscaling: { enabled: false }, replicas: 1 } });
    expect(objectOf(result, "Deployment", "backend").spec.replicas).toBe(1);
    expect(objectsOf(result, "HorizontalPodAutoscaler", "backend")).toHaveLength(0);
    expect(objectsOf(result, "PodDisruptionBudget", "backend")).toHaveLength(0);
  });

  it("prod-like frontend bounds (2-10) reach the HPA, and a LoadBalancer Service carries its annotations", async () => {
    const result = await renderConfig({
      ...MOCK,
      frontend: {
        autoscaling: { minReplicas: 2, maxReplicas: 10 },
        expose: { type: "LoadBalancer", annotations: { "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing" } },
      },
    });
    expect(objectOf(result, "HorizontalPodAutoscaler", "frontend").spec).toMatchObject({ minReplicas: 2, maxReplicas: 10 });
    const service = objectOf(result, "Service", "frontend");
    expect(service.spec.type).toBe("LoadBalancer");
    expect(service.metadata.annotations).toEqual({ "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing" });
  });

  it("an Ingress routes its host to the frontend Service, with TLS when a certificate secret is named", async () => {
    const result = await renderConfig({
      ...MOCK,
      frontend: { expose: { type: "Ingress", host: "chat.example.com", className: "traefik", tlsSecretName: "chat-tls", controllerNamespace: "traefik" } },
    });
    const ingress = objectOf(result, "Ingress", "frontend");
    expect(ingress.spec.ingressClassName).toBe("traefik");
    expect(ingress.spec.tls).toEqual([{ hosts: ["chat.example.com"], secretName: "chat-tls" }]);
    expect(ingress.spec.rules[0]).toMatchObject({ host: "chat.example.com", http: { paths: [{ backend: { service: { name: "frontend", port: { name: "http" } } } }] } });
    expect(result.outputs.frontendUrl).toBe("https://chat.example.com/");
  });

  it("a settings change rolls the backend pods through a checksum annotation", async () => {
    const mock = await renderConfig(MOCK);
    const hosted = await renderConfig({ ...MOCK, phase: "hosted-api", hostedApi: { provider: "openai", model: "gpt-4o-mini" } });
    const checksum = (result: RenderResult) => objectOf(result, "Deployment", "backend").spec.template.metadata.annotations["ai-assistant.io/settings-checksum"];
    expect(checksum(mock)).toMatch(/^[0-9a-f]{16}$/);
    expect(checksum(hosted)).not.toBe(checksum(mock));
  });
});
