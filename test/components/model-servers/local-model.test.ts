import { RenderResult } from "../../../tools/render";
import { renderFiles } from "../../../tools/write-render";
import { cacheClaimName } from "../../../components/model-servers/model-server";
import { CPU_ONLY, OLLAMA, PINNED_IMAGES, VLLM } from "../../support/configs";
import { K8sObject, objectOf, objectsOf, renderConfig, renderStack } from "../../support/render";

const serverContainer = (deployment: K8sObject) => deployment.spec.template.spec.containers[0];
const pullContainer = (deployment: K8sObject) => deployment.spec.template.spec.initContainers[0];

describe("given the local-model phase with Ollama on one GPU serving two models", () => {
  let result: RenderResult;
  let server: K8sObject;
  beforeAll(async () => {
    result = await renderConfig(OLLAMA);
    server = objectOf(result, "Deployment", "model-server");
  });

  it("one server serves both models, scheduled on GPU nodes", () => {
    const pod = server.spec.template.spec;
    expect(serverContainer(server).resources.limits["nvidia.com/gpu"]).toBe("1");
    expect(serverContainer(server).resources.requests["nvidia.com/gpu"]).toBe("1");
    expect(pod.tolerations).toEqual([{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
    expect(pod.nodeSelector).toEqual({ "ai-assistant.io/pool": "gpu" });
  });

  it("the weights cache is a PVC from config, mounted where Ollama keeps models", () => {
    const [pvc] = objectsOf(result, "PersistentVolumeClaim");
    expect(pvc.metadata.name).toMatch(/^model-server-cache-[0-9a-f]{6}$/);
    expect(pvc.spec).toEqual({ accessModes: ["ReadWriteOnce"], storageClassName: "gp3", resources: { requests: { storage: "80Gi" } } });
    expect(server.spec.template.spec.volumes).toContainEqual({ name: "model-cache", persistentVolumeClaim: { claimName: pvc.metadata.name } });
    expect(serverContainer(server).volumeMounts).toContainEqual({ name: "model-cache", mountPath: "/models" });
    expect(serverContainer(server).env).toContainEqual({ name: "OLLAMA_MODELS", value: "/models/ollama" });
  });

  it("an init container pulls each model before the server starts, skipping models already cached", () => {
    const script = pullContainer(server).command[2] as string;
    expect(script).toContain("for model in 'llama3.2:3b' 'qwen2.5:7b'; do");
    expect(script).toMatch(/if ollama show "\$model" .*then\s+echo "model \$model already cached, skipping pull"\s+else\s+echo "pulling \$model"\s+ollama pull "\$model"/s);
    expect(pullContainer(server).volumeMounts).toContainEqual({ name: "model-cache", mountPath: "/models" });
  });

  it("the pull waits a bounded time for its loopback server, then fails with the server's log", () => {
    const script = pullContainer(server).command[2] as string;
    expect(script).toMatch(/until ollama list >\/dev\/null 2>&1; do\s+if \[ "\$waited" -ge 60 \]; then .*cat \/tmp\/ollama-serve.log >&2; exit 1; fi\s+sleep 1\s+waited=\$\(\(waited \+ 1\)\)\s+done/s);
    expect(script).not.toContain("do sleep 1; done");
  });

  it("runs a current Ollama release pinned by tag and digest", () => {
    expect(serverContainer(server).image).toBe("ollama/ollama:0.40.0@sha256:1bef639749741b375e9a1eb2c1346fb57ce52f5432de1f74846e44ccc18e1687");
    expect(pullContainer(server).image).toBe(serverContainer(server).image);
  });

  it("pulumi waits for the first start (pull allowance plus load), and so does the Deployment's progress deadline", () => {
    const plan = result.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.name === "model-server")!;
    // Defaults: startupMinutes 15 + pullMinutes 30. pulumi-kubernetes would otherwise give up after 10 minutes.
    expect(plan.customTimeouts).toEqual({ create: "45m", update: "45m" });
    expect(server.spec.progressDeadlineSeconds).toBe(45 * 60);
  });

  it("a startup probe allows the whole cold start, then probes run tight on /api/tags", () => {
    const container = serverContainer(server);
    expect(container.startupProbe.httpGet.path).toBe("/api/tags");
    expect(container.startupProbe.periodSeconds * container.startupProbe.failureThreshold).toBe(15 * 60);
    expect(container.readinessProbe).toMatchObject({ httpGet: { path: "/api/tags" }, periodSeconds: 10, failureThreshold: 3 });
    expect(container.livenessProbe).toMatchObject({ httpGet: { path: "/api/tags" }, periodSeconds: 30, timeoutSeconds: 10 });
  });

  it("a ReadWriteOnce cache rolls out with Recreate, so a new pod never waits on a volume the old one holds", () => {
    expect(server.spec.strategy).toEqual({ type: "Recreate" });
  });

  it("runs as non-root with home and models on writable volumes", () => {
    const pod = server.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001 });
    expect(serverContainer(server).env).toContainEqual({ name: "HOME", value: "/tmp/home" });
    expect(serverContainer(server).volumeMounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
  });

  it("the backend talks to the server in-cluster at the local-model size", () => {
    const settings = objectOf(result, "ConfigMap", "backend-settings").data;
    const url = "http://model-server.assistant-test.svc.cluster.local:11434";
    expect(settings).toMatchObject({ LLM_PROVIDER: "ollama", LLM_BASE_URL: url, LLM_MODEL: "llama3.2:3b", LLM_FALLBACK: "none" });
    expect(JSON.parse(settings.LLM_MODEL_ENDPOINTS)).toEqual({ "llama3.2:3b": url, "qwen2.5:7b": url });
    expect(serverContainer(objectOf(result, "Deployment", "backend")).resources.requests).toEqual({ cpu: "1500m", memory: "4Gi", "ephemeral-storage": "64Mi" });
  });

  it("outside production the cache is deleted with the stack", () => {
    const pvc = result.resources.find((r) => r.type === "kubernetes:core/v1:PersistentVolumeClaim")!;
    expect(pvc.retainOnDelete).toBeUndefined();
  });
});

describe("given vLLM on two GPUs with two replicas on a ReadWriteMany cache", () => {
  let result: RenderResult;
  let server: K8sObject;
  beforeAll(async () => {
    result = await renderConfig(VLLM);
    server = objectOf(result, "Deployment", "model-server");
  });

  it("runs a current vLLM release pinned by tag and digest, named for torch's getpass and with compiled kernels on the cache", () => {
    const container = serverContainer(server);
    expect(container.image).toBe("vllm/vllm-openai:v0.30.0@sha256:8a69ffad015f138d7170c4ddc429e230a3bc1c1719f67e14324749df200a4b90");
    for (const c of [container, pullContainer(server)]) {
      expect(c.env).toEqual(
        expect.arrayContaining([
          { name: "USER", value: "ai-assistant" },
          { name: "LOGNAME", value: "ai-assistant" },
          { name: "TORCHINDUCTOR_CACHE_DIR", value: "/models/torchinductor" },
        ]),
      );
    }
  });

  it("keeps every cache a second start reuses on the cache volume: weights, vLLM's compile cache, inductor, Triton, CUDA JIT, FlashInfer", () => {
    const env = Object.fromEntries((serverContainer(server).env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
    const caches = ["HF_HOME", "VLLM_CACHE_ROOT", "TORCHINDUCTOR_CACHE_DIR", "TRITON_CACHE_DIR", "CUDA_CACHE_PATH", "FLASHINFER_WORKSPACE_BASE"];
    expect(caches.map((name) => [name, env[name]?.startsWith("/models/")])).toEqual(caches.map((name) => [name, true]));
    const mounts = serverContainer(server).volumeMounts as { name: string; mountPath: string }[];
    expect(mounts).toContainEqual({ name: "model-cache", mountPath: "/models" });
  });

  it("downloads only safetensors weights, JSON configs and tokenizer files, so duplicate weight formats are skipped", () => {
    const script = pullContainer(server).command[2] as string;
    expect(script).toContain(`snapshot_download(repo_id=sys.argv[1], allow_patterns=sys.argv[2:])" "$model" '*.safetensors' '*.json' '*.model' '*.tiktoken' 'merges.txt' '*.jinja'`);
  });

  it("serves the model with tensor parallelism over its GPUs from the Hugging Face cache, offline", () => {
    const container = serverContainer(server);
    expect(container.args).toEqual(["--model", "Qwen/Qwen2.5-7B-Instruct", "--port", "8000", "--tensor-parallel-size", "2"]);
    expect(container.resources.limits["nvidia.com/gpu"]).toBe("2");
    expect(container.env).toEqual(expect.arrayContaining([{ name: "HF_HOME", value: "/models/huggingface" }, { name: "HF_HUB_OFFLINE", value: "1" }]));
  });

  it("the pull downloads with the Hugging Face token from a Secret, and skips models marked complete", () => {
    const pull = pullContainer(server);
    expect(pull.env).toContainEqual({ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "model-server-hf-token", key: "token" } } });
    expect(objectOf(result, "Secret", "model-server-hf-token").stringData).toEqual({ token: "[secret]" });
    const script = pull.command[2] as string;
    expect(script).toMatch(/if \[ -f "\$marker" \]; then\s+echo "model \$model already cached, skipping download"/);
    expect(script).toMatch(/snapshot_download\(repo_id=sys.argv\[1\], allow_patterns=sys.argv\[2:\]\)" "\$model" .*\s+touch "\$marker"/);
  });

  it("probes /health with a 20-minute start allowance", () => {
    const container = serverContainer(server);
    expect(container.startupProbe.httpGet.path).toBe("/health");
    expect(container.startupProbe.periodSeconds * container.startupProbe.failureThreshold).toBe(20 * 60);
    expect(container.readinessProbe.httpGet.path).toBe("/health");
  });

  it("claims the cache ReadWriteMany on the efs class, and mounts that one claim in both replicas", () => {
    const claims = objectsOf(result, "PersistentVolumeClaim");
    expect(claims).toHaveLength(1);
    expect(claims[0].spec).toEqual({ accessModes: ["ReadWriteMany"], storageClassName: "efs", resources: { requests: { storage: "100Gi" } } });
    expect(server.spec.template.spec.volumes).toContainEqual({ name: "model-cache", persistentVolumeClaim: { claimName: claims[0].metadata.name } });
  });

  it("a ReadWriteMany cache rolls one pod at a time with no downtime", () => {
    expect(server.spec.replicas).toBe(2);
    expect(server.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  });

  it("gives vLLM a shared-memory volume and points the backend at the OpenAI-compatible URL", () => {
    expect(server.spec.template.spec.volumes).toContainEqual({ name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "2Gi" } });
    expect(objectOf(result, "ConfigMap", "backend-settings").data.LLM_BASE_URL).toBe("http://model-server.assistant-test.svc.cluster.local:8000/v1");
  });

  it("one vLLM server per model when a stack serves several", async () => {
    const several = await renderConfig({ ...VLLM, localModel: { ...VLLM.localModel, models: ["Qwen/Qwen2.5-7B-Instruct", "mistralai/Mistral-7B-Instruct-v0.3"] } });
    const names = objectsOf(several, "Deployment").map((d) => d.metadata.name).filter((n) => n.startsWith("model-server"));
    expect(names.sort()).toEqual(["model-server-mistralai-mistral-7b-instruct-v0-3", "model-server-qwen-qwen2-5-7b-instruct"]);
    const endpoints = JSON.parse(objectOf(several, "ConfigMap", "backend-settings").data.LLM_MODEL_ENDPOINTS);
    expect(endpoints["mistralai/Mistral-7B-Instruct-v0.3"]).toBe("http://model-server-mistralai-mistral-7b-instruct-v0-3.assistant-test.svc.cluster.local:8000/v1");
    // Each server selects only its own pods.
    const selectors = objectsOf(several, "Service").filter((s) => s.metadata.name.startsWith("model-server")).map((s) => s.spec.selector["ai-assistant.io/model-server"]);
    expect(new Set(selectors).size).toBe(2);
  });
});

describe("the cache claim's name", () => {
  it("changes with the fields whose change replaces the claim (class, access mode), so a retained old claim never blocks the new one", () => {
    const base = { storageClass: "gp3", accessMode: "ReadWriteOnce" as const };
    expect(cacheClaimName("model-server", base)).toBe(cacheClaimName("model-server", { ...base }));
    expect(cacheClaimName("model-server", { ...base, storageClass: "efs" })).not.toBe(cacheClaimName("model-server", base));
    expect(cacheClaimName("model-server", { ...base, accessMode: "ReadWriteMany" })).not.toBe(cacheClaimName("model-server", base));
    expect(cacheClaimName("model-server", { accessMode: "ReadWriteOnce" })).not.toBe(cacheClaimName("model-server", base));
  });

  it("in a render, follows the configured class", async () => {
    const efs = await renderConfig({ ...OLLAMA, localModel: { ...OLLAMA.localModel, cache: { size: "80Gi", storageClass: "efs" } } });
    const gp3 = await renderConfig(OLLAMA);
    const name = (r: RenderResult) => objectsOf(r, "PersistentVolumeClaim")[0].metadata.name;
    expect(name(efs)).not.toBe(name(gp3));
  });
});

describe("given the prod stack on EKS", () => {
  let prod: RenderResult;
  beforeAll(async () => {
    prod = await renderStack("prod");
  });

  it("claims the weights cache only after the cluster's StorageClasses exist", () => {
    const gp3 = prod.resources.find((r) => r.type === "kubernetes:storage.k8s.io/v1:StorageClass" && r.inputs.metadata && (r.inputs.metadata as { name: string }).name === "gp3")!;
    const claim = prod.resources.find((r) => r.type === "kubernetes:core/v1:PersistentVolumeClaim")!;
    expect(claim.dependencies).toContain(gp3.urn);
  });

  it("waits startupMinutes (20) plus pullMinutes (30) for the vLLM server", () => {
    const plan = prod.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.name === "model-server")!;
    expect(plan.customTimeouts).toEqual({ create: "50m", update: "50m" });
    expect(objectOf(prod, "Deployment", "model-server").spec.progressDeadlineSeconds).toBe(3000);
    // plan.json carries them beside retainOnDelete, for a reviewer.
    const written = JSON.parse(renderFiles(prod)["plan.json"]).resources.find((r: { urn: string }) => r.urn === plan.urn);
    expect(written.customTimeouts).toEqual({ create: "50m", update: "50m" });
  });
});

describe("given a CPU-only small model", () => {
  it("requests no GPU and neither tolerates nor selects GPU nodes", async () => {
    const result = await renderConfig(CPU_ONLY);
    const server = objectOf(result, "Deployment", "model-server");
    expect(JSON.stringify(serverContainer(server).resources)).not.toContain("nvidia.com/gpu");
    expect(server.spec.template.spec.tolerations).toBeUndefined();
    expect(server.spec.template.spec.nodeSelector).toBeUndefined();
  });
});

describe("given a production local-model stack", () => {
  it("keeps the weights cache and its namespace when the stack is destroyed", async () => {
    const result = await renderConfig({
      ...OLLAMA,
      production: true,
      ...PINNED_IMAGES,
    });
    const retained = result.resources.filter((r) => r.retainOnDelete).map((r) => r.type);
    expect(retained.sort()).toEqual(["kubernetes:core/v1:Namespace", "kubernetes:core/v1:PersistentVolumeClaim"]);
  });

  it("can keep the hosted API as the backend's fallback until local models answer", async () => {
    const result = await renderConfig({
      ...OLLAMA,
      localModel: { ...OLLAMA.localModel, fallbackToHostedApi: true },
      hostedApi: { provider: "openai", model: "gpt-4o-mini" },
      apiKey: { secure: "AAABAFcipher" },
    });
    expect(objectOf(result, "ConfigMap", "backend-settings").data).toMatchObject({
      LLM_PROVIDER: "ollama",
      LLM_FALLBACK: "hosted,mock",
      FALLBACK_PROVIDER: "openai",
      FALLBACK_BASE_URL: "https://api.openai.com/v1",
      FALLBACK_MODEL: "gpt-4o-mini",
    });
    expect(objectsOf(result, "Secret", "backend-llm-api-key")).toHaveLength(1);
  });
});
