/**
 * What differs between the two model-server engines: image, port, health endpoint, where weights live, how they
 * are pulled, and how the backend reaches them. Everything else about a model server is shared.
 */
import { ImageReference } from "../../config/image";
import { ModelEngine } from "../../config/phases";

/** Where the model-cache PersistentVolumeClaim is mounted in every model-server container. */
export const CACHE_MOUNT = "/models";
/** A writable home on an emptyDir: both images assume root's home, which a non-root user cannot write. */
export const HOME_DIR = "/tmp/home";

export interface EngineProfile {
  /** Official image, pinned; a stack may override it (`localModel.image`). */
  defaultImage: ImageReference;
  port: number;
  /** The engine's own health endpoint: it answers once the server can serve requests. */
  healthPath: string;
  /** Path the backend appends to the Service URL: Ollama's native API, or vLLM's OpenAI-compatible one. */
  apiPath: string;
  /** Whether the engine's Python stack writes caches all over the filesystem (then the root fs stays writable). */
  writableRootFilesystem: boolean;
  /** Environment that points the engine's home and caches at writable volumes. */
  env: Record<string, string>;
  /** Server command for the given models (vLLM serves one model per server). */
  serverCommand(models: string[], gpus: number): { command: string[]; args: string[] };
  /** The shell script of the init container that fills the cache; it skips what is already there. */
  pullScript(models: string[]): string;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** How one engine tells a cached model from a missing one, and fetches the missing ones. */
interface CacheSteps {
  /** Lines run first for each `$model` (e.g. naming its marker file). */
  prepare?: string[];
  /** A shell condition that holds when `$model` is already in the cache. */
  isCached: string;
  /** What the log says it skipped: "pull" or "download". */
  verb: string;
  /** Lines that fetch `$model` into the cache. */
  fetch: string[];
}

/** The skip-if-present loop both engines' pulls run, logging each model's fate so progress shows in the pod's logs. */
function pullEachModel(models: string[], steps: CacheSteps): string[] {
  const indent = (lines: string[], depth: string) => lines.map((line) => `${depth}${line}`);
  return [
    `for model in ${models.map(shellQuote).join(" ")}; do`,
    ...indent(steps.prepare ?? [], "  "),
    `  if ${steps.isCached}; then`,
    `    echo "model $model already cached, skipping ${steps.verb}"`,
    "  else",
    ...indent(steps.fetch, "    "),
    "  fi",
    "done",
  ];
}

/** Seconds the Ollama pull waits for its loopback server before it gives up (and the init container restarts). */
export const OLLAMA_SERVER_WAIT_SECONDS = 60;

/**
 * Files vLLM needs from a Hugging Face repository: safetensors weights, JSON configs (model, generation, tokenizer,
 * weight index), and tokenizer files in their other formats (SentencePiece `.model`, tiktoken, BPE merges, Jinja
 * chat templates). Repositories that also carry `.bin`/`.pth`/GGUF copies of the same weights are not pulled twice.
 */
export const VLLM_ALLOW_PATTERNS = ["*.safetensors", "*.json", "*.model", "*.tiktoken", "merges.txt", "*.jinja"];

const OLLAMA: EngineProfile = {
  // verified: ollama/ollama 0.40.0's multi-arch index digest, as four public repositories record it
  // (docker-compose and benchmark notes, 2026-09/10, found with the code search). 0.40.2 is newer but its
  // digest appeared in one repository only, so the tag with independently confirmed bytes is pinned.
  defaultImage: { repository: "ollama/ollama", tag: "0.40.0", digest: "sha256:1bef639749741b375e9a1eb2c1346fb57ce52f5432de1f74846e44ccc18e1687" },
  port: 11434,
  healthPath: "/api/tags",
  apiPath: "",
  writableRootFilesystem: false,
  env: {
    HOME: HOME_DIR,
    OLLAMA_MODELS: `${CACHE_MOUNT}/ollama`,
    OLLAMA_HOST: "0.0.0.0:11434",
    // Weights stay loaded between requests: reloading a model takes seconds to minutes.
    OLLAMA_KEEP_ALIVE: "-1",
  },
  serverCommand: () => ({ command: ["ollama"], args: ["serve"] }),
  pullScript: (models) =>
    [
      "set -eu",
      // `ollama pull` talks to a server; run one on loopback for the duration of the pull.
      "ollama serve >/tmp/ollama-serve.log 2>&1 &",
      "server=$!",
      // Bounded: a server that never comes up fails the pod with its log instead of hanging the rollout.
      "waited=0",
      "until ollama list >/dev/null 2>&1; do",
      `  if [ "$waited" -ge ${OLLAMA_SERVER_WAIT_SECONDS} ]; then echo "ollama serve did not answer within ${OLLAMA_SERVER_WAIT_SECONDS}s" >&2; cat /tmp/ollama-serve.log >&2; exit 1; fi`,
      "  sleep 1",
      "  waited=$((waited + 1))",
      "done",
      ...pullEachModel(models, {
        isCached: 'ollama show "$model" >/dev/null 2>&1',
        verb: "pull",
        fetch: ['echo "pulling $model"', 'ollama pull "$model"'],
      }),
      'kill "$server"',
      'echo "all models cached"',
    ].join("\n"),
};

/** Name the engines' Python stacks see for the non-root UID, which has no passwd entry in the images. */
export const RUN_AS_USER_NAME = "ai-assistant";

const VLLM: EngineProfile = {
  // verified: vllm/vllm-openai v0.30.0's manifest-list digest, recorded by many public repositories (Dockerfiles,
  // Terraform defaults, a Kubernetes pod's imageID "manifest list" note; 2026-09, found with the code search).
  // Its default build is CUDA 13, which needs driver 580+: the AL2023 NVIDIA AMI installs 580
  // (awslabs/amazon-eks-ami templates/al2023/variables-default.json, nvidia_driver_major_version).
  defaultImage: { repository: "vllm/vllm-openai", tag: "v0.30.0", digest: "sha256:8a69ffad015f138d7170c4ddc429e230a3bc1c1719f67e14324749df200a4b90" },
  port: 8000,
  healthPath: "/health",
  apiPath: "/v1",
  // vllm/vllm-openai (docker/Dockerfile, vllm/envs.py) writes only under $HOME (~/.config/vllm, ~/.triton, FlashInfer's
  // JIT cache), $XDG_CACHE_HOME, VLLM_CACHE_ROOT (its torch.compile cache) and the temp dir (RPC sockets, inductor):
  // all on volumes here: vLLM itself needs no writable root. On a GPU the NVIDIA toolkit's hook does (model-server.ts).
  writableRootFilesystem: false,
  env: {
    HOME: HOME_DIR,
    HF_HOME: `${CACHE_MOUNT}/huggingface`,
    VLLM_CACHE_ROOT: `${CACHE_MOUNT}/vllm`,
    // Everything compiled on the first start stays on the cache volume, so a restart (or a wake from zero on a new
    // node) skips it: vLLM's torch.compile artifacts live under VLLM_CACHE_ROOT/torch_compile_cache
    // (vllm/envs.py, vllm/compilation/backends.py); inductor's own cache and its Triton kernels under
    // TORCHINDUCTOR_CACHE_DIR (torch/_inductor/runtime/cache_dir_utils.py); Triton kernels vLLM compiles itself under
    // TRITON_CACHE_DIR (triton/runtime/cache.py; default ~/.triton/cache, on the emptyDir home); the CUDA driver's
    // PTX JIT cache under CUDA_CACHE_PATH (default ~/.nv/ComputeCache); FlashInfer's JIT kernels under
    // FLASHINFER_WORKSPACE_BASE/.cache/flashinfer (flashinfer/jit/env.py; default the home). CUDA graphs are captured
    // in GPU memory at every start, from the cached kernels. Tensorfuse measured Llama-3.1-8B on an L40S at 294 s to
    // serve uncached and 82 s with these caches on a volume ("Reducing GPU Cold Start Time when using vLLM", 2025-09).
    TORCHINDUCTOR_CACHE_DIR: `${CACHE_MOUNT}/torchinductor`,
    TRITON_CACHE_DIR: `${CACHE_MOUNT}/triton`,
    CUDA_CACHE_PATH: `${CACHE_MOUNT}/cuda`,
    FLASHINFER_WORKSPACE_BASE: `${CACHE_MOUNT}/flashinfer`,
    XDG_CACHE_HOME: "/tmp/cache",
    // getpass.getuser() (torch's cache setup) raises for a UID with no passwd entry unless these are set
    // (vllm-project/vllm#44548, kserve/kserve#5666).
    USER: RUN_AS_USER_NAME,
    LOGNAME: RUN_AS_USER_NAME,
  },
  serverCommand: (models, gpus) => ({
    command: ["python3", "-m", "vllm.entrypoints.openai.api_server"],
    args: ["--model", models[0], "--port", "8000", ...(gpus > 1 ? ["--tensor-parallel-size", String(gpus)] : [])],
  }),
  pullScript: (models) =>
    [
      "set -eu",
      `mkdir -p "$HF_HOME/.complete"`,
      ...pullEachModel(models, {
        // A marker written after a complete download: a pull cut short by a restart is resumed, never trusted.
        prepare: ['marker="$HF_HOME/.complete/$(echo "$model" | tr / _)"'],
        isCached: '[ -f "$marker" ]',
        verb: "download",
        fetch: [
          'echo "downloading $model"',
          `python3 -c "import sys; from huggingface_hub import snapshot_download; snapshot_download(repo_id=sys.argv[1], allow_patterns=sys.argv[2:])" "$model" ${VLLM_ALLOW_PATTERNS.map(shellQuote).join(" ")}`,
          'touch "$marker"',
        ],
      }),
      'echo "all models cached"',
    ].join("\n"),
};

export const ENGINES: Record<ModelEngine, EngineProfile> = { ollama: OLLAMA, vllm: VLLM };

/**
 * Which servers a stack runs: Ollama serves every model from one server; vLLM serves one model per server.
 * Names are DNS labels, unique per stack.
 */
export function modelServerLayout(engine: ModelEngine, models: string[]): { name: string; models: string[] }[] {
  if (engine === "ollama") return [{ name: "model-server", models }];
  return models.map((model, index) => ({
    name: models.length === 1 ? "model-server" : `model-server-${slug(model, index)}`,
    models: [model],
  }));
}

function slug(model: string, index: number): string {
  const text = model.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "");
  return text || `model-${index}`;
}
