import * as pulumi from "@pulumi/pulumi";
import { parse, problemsWith, VALID } from "../support/config";

describe("config rules: every rule accepts good input and names file, key, expectation and finding on bad input", () => {
  it("accepts a minimal mock stack and fills in the defaults", () => {
    const config = parse(VALID);
    expect(config.phase).toBe("mock");
    expect(config.namespace).toBe("ai-assistant");
    expect(config.backend.resources).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } });
    expect(config.cluster).toEqual({ type: "kubeconfig", metricsServer: { install: false, kubeletInsecureTls: false }, kubeProxy: true, controlPlaneMetrics: true, shared: false, keda: { install: true, chartVersion: "2.20.2" } });
    expect(config.frontend.expose).toEqual({ type: "ClusterIP" });
  });

  it("fails as a pulumi.RunError, which the CLI prints without a stack trace", () => {
    expect(() => parse({ ...VALID, phase: "nope" })).toThrow(pulumi.RunError);
  });

  describe("phase", () => {
    it.each(["mock", "hosted-api", "local-model"])("accepts %s (with its settings)", (phase) => {
      const settings = { hostedApi: { provider: "openai", model: "gpt-4o-mini" }, apiKey: "sk-test-key", localModel: { engine: "ollama", models: ["llama3.2:3b"] } };
      expect(parse({ ...VALID, ...settings, phase }).phase).toBe(phase);
    });
    it("rejects an unknown phase and still reports the other problems", () => {
      const message = problemsWith({ ...VALID, phase: "mok", replcas: 2 });
      expect(message).toContain('Invalid configuration in Pulumi.dev.yaml (2 problems)');
      expect(message).toContain('ai-assistant:phase: expected one of "mock", "hosted-api", "local-model"; found "mok"');
      expect(message).toContain("ai-assistant:replcas: expected a known key");
    });
    it("sizes the backend per phase, as the brief says", () => {
      const hosted = parse({ ...VALID, phase: "hosted-api", hostedApi: { provider: "openai", model: "m" }, apiKey: "sk-test-key" });
      const local = parse({ ...VALID, phase: "local-model", localModel: { engine: "ollama", models: ["m"] } });
      expect(hosted.backend.resources.requests).toEqual({ cpu: "200m", memory: "256Mi" });
      expect(local.backend.resources.requests).toEqual({ cpu: "1500m", memory: "4Gi" });
    });
  });

  describe("unknown keys are errors, so typos never pass silently", () => {
    it("at the top level", () => {
      expect(problemsWith({ ...VALID, namepsace: "x" })).toContain("ai-assistant:namepsace: expected a known key");
    });
    it("in a nested section", () => {
      expect(problemsWith({ ...VALID, backend: { autoscaling: { maxReplica: 3 } } })).toContain(
        "ai-assistant:backend.autoscaling.maxReplica: expected a known key",
      );
    });
  });

  describe("replicas", () => {
    it("accepts min <= max", () => {
      expect(parse({ ...VALID, backend: { autoscaling: { minReplicas: 2, maxReplicas: 2 } } }).backend.autoscaling.maxReplicas).toBe(2);
    });
    it("rejects min > max", () => {
      expect(problemsWith({ ...VALID, frontend: { autoscaling: { minReplicas: 5, maxReplicas: 2 } } })).toContain(
        "ai-assistant:frontend.autoscaling.minReplicas: expected minReplicas no larger than maxReplicas (2); found 5",
      );
    });
    it("rejects zero replicas", () => {
      expect(problemsWith({ ...VALID, backend: { replicas: 0 } })).toContain("ai-assistant:backend.replicas: expected at least 1 replica; found 0");
    });
    it("rejects a CPU target outside 1-100 %", () => {
      expect(problemsWith({ ...VALID, backend: { autoscaling: { targetCpuPercent: 150 } } })).toContain(
        "ai-assistant:backend.autoscaling.targetCpuPercent: expected a percentage from 1 to 100; found 150",
      );
    });
  });

  describe("resources", () => {
    it("accepts requests equal to limits, and numbers for CPU", () => {
      const config = parse({ ...VALID, backend: { resources: { requests: { cpu: 1, memory: "1Gi" }, limits: { cpu: "1000m", memory: "1Gi" } } } });
      expect(config.backend.resources.requests.cpu).toBe("1");
    });
    it("rejects requests above limits", () => {
      expect(problemsWith({ ...VALID, backend: { resources: { requests: { memory: "1Gi" }, limits: { memory: "512Mi" } } } })).toContain(
        'ai-assistant:backend.resources.requests.memory: expected a request no larger than the limit (512Mi); found "1Gi"',
      );
    });
    it("rejects a CPU value that is not a Kubernetes quantity", () => {
      expect(problemsWith({ ...VALID, backend: { resources: { requests: { cpu: "1 core" } } } })).toContain(
        'ai-assistant:backend.resources.requests.cpu: expected a Kubernetes CPU quantity such as 250m or 1.5; found "1 core"',
      );
    });
    it("rejects a memory value that is not a Kubernetes quantity", () => {
      expect(problemsWith({ ...VALID, frontend: { resources: { limits: { memory: "512MB" } } } })).toContain(
        'ai-assistant:frontend.resources.limits.memory: expected a Kubernetes memory quantity such as 512Mi or 4Gi; found "512MB"',
      );
    });
  });

  describe("images", () => {
    it("accepts a reference string with registry port, tag and digest", () => {
      const digest = `sha256:${"a".repeat(64)}`;
      const config = parse({ ...VALID, backend: { image: `registry.local:5000/team/backend:1.2.3@${digest}` } });
      expect(config.backend.image).toEqual({ repository: "registry.local:5000/team/backend", tag: "1.2.3", digest });
    });
    it("accepts the object form", () => {
      expect(parse({ ...VALID, frontend: { image: { repository: "ghcr.io/acme/frontend", tag: "2.0.0" } } }).frontend.image).toMatchObject({ tag: "2.0.0" });
    });
    it("rejects a reference that does not parse", () => {
      expect(problemsWith({ ...VALID, backend: { image: "Ghcr.io/UPPER/Case:" } })).toContain("ai-assistant:backend.image: expected an image reference");
    });
    it("rejects a malformed digest", () => {
      expect(problemsWith({ ...VALID, backend: { image: { repository: "acme/backend", digest: "sha256:abc" } } })).toContain(
        "ai-assistant:backend.image.digest: expected a digest such as sha256:<64 hex digits>",
      );
    });
  });

  describe("a production stack", () => {
    const digest = `sha256:${"b".repeat(64)}`;
    const pinned = { frontend: { image: `ghcr.io/acme/frontend:1.0.0@${digest}` }, backend: { image: `ghcr.io/acme/backend@${digest}` } };
    const prod = { ...VALID, production: true, monitoring: { retention: "30d" }, ...pinned };
    it("accepts images pinned by digest, with or without a tag beside it", () => {
      expect(parse(prod).production).toBe(true);
      expect(parse({ ...prod, backend: { image: { repository: "ghcr.io/acme/backend", tag: "1.0.0", digest } } }).production).toBe(true);
    });
    it("rejects a tag alone, however pinned it looks, naming the digest form it expects", () => {
      expect(problemsWith({ ...prod, frontend: { image: "ghcr.io/acme/frontend:1.0.0" } })).toContain(
        'ai-assistant:frontend.image: expected an image pinned by digest (repository@sha256:<digest>, or {repository, tag, digest}) in a production stack: a tag can be moved to other bytes; found "ghcr.io/acme/frontend:1.0.0"',
      );
    });
    it("rejects latest and untagged images", () => {
      expect(problemsWith({ ...prod, backend: { image: "ghcr.io/acme/backend:latest" } })).toContain('ai-assistant:backend.image: expected an image pinned by digest');
      expect(problemsWith({ ...prod, frontend: { image: "ghcr.io/acme/frontend" } })).toContain('found "ghcr.io/acme/frontend"');
    });
    it("rejects the default (locally built) images, which a production stack must replace", () => {
      const message = problemsWith({ ...VALID, production: true, monitoring: { retention: "30d" } });
      expect(message).toContain('ai-assistant:frontend.image: expected an image pinned by digest');
      expect(message).toContain('found "ai-assistant/backend:dev"');
    });
    it("rejects a tag-only engine image override", () => {
      expect(problemsWith({ ...prod, phase: "local-model", localModel: { engine: "vllm", models: ["m"], image: "vllm/vllm-openai:v0.9.1" } })).toContain(
        'ai-assistant:localModel.image: expected an image pinned by digest',
      );
    });
    it("rejects less than 30 days of metrics retention", () => {
      expect(problemsWith({ ...prod, monitoring: { retention: "7d" } })).toContain(
        'ai-assistant:monitoring.retention: expected at least 30d of retention in a production stack; found "7d"',
      );
    });
    it("refuses a LoadBalancer exposure, which serves the chat without TLS", () => {
      expect(problemsWith({ ...prod, frontend: { ...prod.frontend, expose: { type: "LoadBalancer" } } })).toContain(
        'ai-assistant:frontend.expose.type: expected Ingress (with TLS) or ClusterIP in a production stack: a LoadBalancer Service serves the chat without TLS; found "LoadBalancer"',
      );
    });
    it("refuses an Ingress without TLS on an existing cluster, and accepts it with a TLS Secret", () => {
      const ingress = { type: "Ingress", host: "chat.example.com", className: "traefik", controllerNamespace: "traefik" };
      expect(problemsWith({ ...prod, frontend: { ...prod.frontend, expose: ingress } })).toContain(
        "ai-assistant:frontend.expose.tlsSecretName: expected a TLS Secret for the Ingress in a production stack: without one the chat is served over plain HTTP; found nothing (the key is not set)",
      );
      expect(parse({ ...prod, frontend: { ...prod.frontend, expose: { ...ingress, tlsSecretName: "chat-tls" } } }).production).toBe(true);
    });
    it("lets a dev stack use latest", () => {
      expect(parse({ ...VALID, backend: { image: "acme/backend:latest" } }).backend.image).toMatchObject({ tag: "latest" });
    });
  });

  describe("frontend exposure", () => {
    it("accepts an Ingress with a host and the namespace of the cluster's ingress controller", () => {
      const config = parse({ ...VALID, frontend: { expose: { type: "Ingress", host: "chat.example.com", controllerNamespace: "ingress-system" } } });
      expect(config.frontend.expose).toMatchObject({ type: "Ingress", host: "chat.example.com" });
    });
    it("rejects an Ingress without a host", () => {
      expect(problemsWith({ ...VALID, frontend: { expose: { type: "Ingress", controllerNamespace: "ingress-system" } } })).toContain(
        "ai-assistant:frontend.expose.host: expected a DNS host name such as chat.example.com; found nothing (the key is not set)",
      );
    });
    it("rejects an unknown exposure type", () => {
      expect(problemsWith({ ...VALID, frontend: { expose: { type: "NodePort" } } })).toContain("ai-assistant:frontend.expose.type");
    });
  });

  describe("namespace and cluster", () => {
    it("rejects a namespace that is not a DNS label", () => {
      expect(problemsWith({ ...VALID, namespace: "AI_Assistant" })).toContain('ai-assistant:namespace: expected a Kubernetes namespace name');
    });
    it("accepts a kubeconfig context", () => {
      expect(parse({ ...VALID, cluster: { type: "kubeconfig", context: "kind-dev" } }).cluster).toMatchObject({ type: "kubeconfig", context: "kind-dev" });
    });
    it("rejects an unknown cluster type", () => {
      expect(problemsWith({ ...VALID, cluster: { type: "gke" } })).toContain("ai-assistant:cluster.type");
    });
  });

  describe("local-model start allowances", () => {
    const local = (extra: Record<string, unknown>) => ({ ...VALID, phase: "local-model", localModel: { engine: "vllm", models: ["Qwen/Qwen2.5-7B-Instruct"], ...extra } });
    it("gives the first pull 30 minutes by default and accepts another whole number of minutes", () => {
      expect(parse(local({})).localModel).toMatchObject({ startupMinutes: 15, pullMinutes: 30 });
      expect(parse(local({ pullMinutes: 90 })).localModel).toMatchObject({ pullMinutes: 90 });
    });
    it("rejects a pull allowance that is not a whole number of minutes from 1 to 240", () => {
      expect(problemsWith(local({ pullMinutes: 0 }))).toContain("ai-assistant:localModel.pullMinutes");
      expect(problemsWith(local({ pullMinutes: 12.5 }))).toContain("ai-assistant:localModel.pullMinutes: expected a whole number; found 12.5");
    });
  });

  describe("hosted-api", () => {
    const hosted = { ...VALID, phase: "hosted-api", apiKey: "sk-test-key" };
    it("requires the provider settings", () => {
      expect(problemsWith(hosted)).toContain("ai-assistant:hostedApi");
    });
    it("requires a base URL for an openai-compatible provider", () => {
      expect(problemsWith({ ...hosted, hostedApi: { provider: "openai-compatible", model: "m" } })).toContain(
        "ai-assistant:hostedApi.baseUrl: expected a base URL for an openai-compatible provider",
      );
      expect(parse({ ...hosted, hostedApi: { provider: "openai-compatible", model: "m", baseUrl: "https://llm.internal/v1" } }).phase).toBe("hosted-api");
    });
    it("rejects an unknown provider", () => {
      expect(problemsWith({ ...hosted, hostedApi: { provider: "acme", model: "m" } })).toContain(
        'ai-assistant:hostedApi.provider: expected one of "huggingface", "openai", "anthropic", "openai-compatible"; found "acme"',
      );
    });
    it("without a key, gives the exact command that sets it", () => {
      const message = problemsWith({ ...VALID, phase: "hosted-api", hostedApi: { provider: "openai", model: "m" } }, "staging");
      expect(message).toContain("Pulumi.staging.yaml");
      expect(message).toContain("`pulumi config set --secret ai-assistant:apiKey <value> --stack staging`");
    });
    it("never echoes a secret's value in a message", () => {
      const message = problemsWith({ ...VALID, apiKey: { key: "sk-live-do-not-print" } });
      expect(message).toContain("ai-assistant:apiKey: expected a secret string; found a value (hidden: it is a secret)");
      expect(message).not.toContain("sk-live-do-not-print");
    });
  });

  describe("local-model", () => {
    const local = { ...VALID, phase: "local-model" };
    it("requires at least one model", () => {
      expect(problemsWith({ ...local, localModel: { engine: "vllm", models: [] } })).toContain("ai-assistant:localModel.models: expected at least one model");
    });
    it("rejects an unknown engine", () => {
      expect(problemsWith({ ...local, localModel: { engine: "tgi", models: ["m"] } })).toContain('ai-assistant:localModel.engine: expected "ollama" or "vllm"; found "tgi"');
    });
    it("rejects several replicas on a ReadWriteOnce cache, and accepts them on ReadWriteMany", () => {
      expect(problemsWith({ ...local, localModel: { engine: "vllm", models: ["m"], replicas: 2 } })).toContain(
        'ai-assistant:localModel.cache.accessMode: expected ReadWriteMany for 2 replicas sharing one cache',
      );
      expect(parse({ ...local, localModel: { engine: "vllm", models: ["m"], replicas: 2, cache: { accessMode: "ReadWriteMany" } } }).phase).toBe("local-model");
    });
    it("needs hostedApi and its key when the hosted API is the fallback", () => {
      const message = problemsWith({ ...local, localModel: { engine: "ollama", models: ["m"], fallbackToHostedApi: true } });
      expect(message).toContain("ai-assistant:hostedApi: expected hostedApi settings, because localModel.fallbackToHostedApi is true");
      expect(message).toContain("ai-assistant:apiKey: expected a secret");
    });
    it("rejects a cache size that is not a quantity", () => {
      expect(problemsWith({ ...local, localModel: { engine: "ollama", models: ["m"], cache: { size: "50 GB" } } })).toContain("ai-assistant:localModel.cache.size");
    });
  });

  describe("monitoring", () => {
    it("requires Grafana's admin password when enabled, and not when disabled", () => {
      expect(problemsWith({ phase: "mock" })).toContain("ai-assistant:grafanaAdminPassword: expected a secret");
      expect(parse({ phase: "mock", monitoring: { enabled: false } }).monitoring.enabled).toBe(false);
    });
    it("rejects a retention that is not a duration", () => {
      expect(problemsWith({ ...VALID, monitoring: { retention: "30 days" } })).toContain('ai-assistant:monitoring.retention: expected a duration such as 12h, 15d or 6w; found "30 days"');
    });
  });

  it("lists every problem in one message", () => {
    const message = problemsWith({ phase: "mock", backend: { replicas: 0, resources: { requests: { cpu: "x" } } }, frontend: { expose: { type: "Ingress", controllerNamespace: "ingress" } } });
    expect(message.split("\n").filter((line) => line.startsWith("  - "))).toHaveLength(4);
  });
});
