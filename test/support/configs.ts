/** Stack configs for render tests, one per phase and variant, in stack-file form (keys without the namespace). */

export const MOCK = {
  phase: "mock",
  namespace: "assistant-test",
  monitoring: { enabled: false },
};

export const HOSTED = {
  ...MOCK,
  phase: "hosted-api",
  hostedApi: { provider: "anthropic", model: "claude-3-5-haiku-latest", fallbackToMock: true },
  apiKey: { secure: "AAABAJ2ciphertext" },
};

export const OLLAMA = {
  ...MOCK,
  phase: "local-model",
  localModel: { engine: "ollama", models: ["llama3.2:3b", "qwen2.5:7b"], gpu: { count: 1 }, cache: { size: "80Gi", storageClass: "gp3" } },
};

export const VLLM = {
  ...MOCK,
  phase: "local-model",
  localModel: {
    engine: "vllm",
    models: ["Qwen/Qwen2.5-7B-Instruct"],
    gpu: { count: 2 },
    replicas: 2,
    cache: { size: "100Gi", accessMode: "ReadWriteMany", storageClass: "efs" },
    startupMinutes: 20,
  },
  huggingFaceToken: { secure: "AAABAHFtoken" },
};

export const TRITON = {
  ...MOCK,
  phase: "local-model",
  localModel: {
    engine: "triton",
    models: ["Qwen/Qwen2.5-7B-Instruct"],
    gpu: { count: 2 },
    cache: { size: "100Gi", storageClass: "gp3" },
    startupMinutes: 20,
  },
  huggingFaceToken: { secure: "AAABAHFtoken" },
};

export const CPU_ONLY = {
  ...MOCK,
  phase: "local-model",
  localModel: { engine: "ollama", models: ["tinyllama"], gpu: { count: 0 } },
};

export const ALL_PHASES = { MOCK, HOSTED, OLLAMA, VLLM, TRITON, CPU_ONLY };

/** App images pinned by digest, as a production stack must name them (the digest is made up, the form is real). */
export const PINNED_IMAGES = {
  frontend: { image: `ghcr.io/acme/frontend:1.0.0@sha256:${"f".repeat(64)}` },
  backend: { image: `ghcr.io/acme/backend:1.0.0@sha256:${"b".repeat(64)}` },
};
