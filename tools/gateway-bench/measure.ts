/**
 * The backend's overhead as a gateway, in one run: the same stand-in upstream called directly and through the
 * backend (openai-compatible provider), at a fixed concurrency for a fixed time each, alternating; then the mock
 * provider's throughput. The upstream answers after a fixed delay, as a model does, so the comparison shows what
 * the gateway adds to a request's latency and takes from throughput (a widely used Python gateway loses about
 * 40% here), not which process wins the machine's cores.
 */
import { ChildProcess, spawn } from "child_process";
import { Agent, request } from "http";
import { readFileSync } from "fs";
import { join, resolve } from "path";

const PROJECT_DIR = resolve(__dirname, "..", "..");

export interface GatewayBenchOptions {
  concurrency: number;
  /** Measured time per round, ms. */
  roundMs: number;
  rounds: number;
  upstreamDelayMs: number;
}

export interface Round {
  latencies: number[];
  seconds: number;
}

/** Starts a node process and resolves with the first JSON line it prints that has `port`. */
export function startProcess(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, args, { cwd: PROJECT_DIR, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolvePort, reject) => {
    let buffered = "";
    const onData = (chunk: Buffer) => {
      buffered += chunk;
      for (const line of buffered.split("\n").slice(0, -1)) {
        const port = (JSON.parse(line) as { port?: number }).port;
        if (port) {
          // Keep reading (the backend logs every request) without keeping the lines.
          child.stdout!.off("data", onData);
          child.stdout!.resume();
          return resolvePort({ child, port });
        }
      }
      buffered = buffered.slice(buffered.lastIndexOf("\n") + 1);
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`node ${args.join(" ")} exited ${code}`)));
  });
}

const question = (model: string) => JSON.stringify({ model, messages: [{ role: "user", content: "How long is a benchmark?" }] });

/** `concurrency` loops posting one chat request after another, for `ms`. */
export function load(port: number, model: string, concurrency: number, ms: number): Promise<Round> {
  const path = "/v1/chat/completions";
  const body = question(model);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const started = process.hrtime.bigint();
  const end = Date.now() + ms;
  const one = () =>
    new Promise<void>((done, fail) => {
      const t0 = process.hrtime.bigint();
      const req = request({ host: "127.0.0.1", port, path, method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on("end", () => {
          if (res.statusCode !== 200) return fail(new Error(`${path} answered ${res.statusCode}`));
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          done();
        });
      });
      req.on("error", fail);
      req.end(body);
    });
  const worker = async () => {
    while (Date.now() < end) await one();
  };
  return Promise.all(Array.from({ length: concurrency }, worker)).then(() => {
    agent.destroy();
    return { latencies, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  });
}

/**
 * CPU seconds a process has used (user + system, from /proc/<pid>/stat; Linux only, else undefined). Divided by the
 * requests it served, this is the gateway's cost per request, which holds on a busy machine where latency and
 * throughput only say how long the process waited for a core.
 */
function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command; in clock ticks (100 per second).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

export function summary(rounds: Round[]) {
  const latencies = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  const seconds = rounds.reduce((s, r) => s + r.seconds, 0);
  return { requests: latencies.length, perSecond: latencies.length / seconds, p50: at(0.5), p99: at(0.99) };
}

export async function measureGateway(options: GatewayBenchOptions) {
  const upstream = await startProcess(["-r", "./tools/register.js", join("tools", "gateway-bench", "upstream.ts")], { UPSTREAM_DELAY_MS: String(options.upstreamDelayMs) });
  const backendEnv = { HOST: "127.0.0.1", PORT: "0", BREAKER_FAILURES: "1000" };
  const [gateway, mock] = await Promise.all([
    // BENCH_CPU_PROF_DIR: the gateway process writes a V8 CPU profile there when it exits (node --cpu-prof).
    startProcess([...(process.env.BENCH_CPU_PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : []), "-r", "./tools/register.js", "services/backend/src/main.ts"], {
      ...backendEnv,
      LLM_PROVIDER: "openai-compatible",
      LLM_BASE_URL: `http://127.0.0.1:${upstream.port}/v1`,
      LLM_MODEL: "bench-model",
      LLM_API_KEY: "bench-key",
    }),
    startProcess(["-r", "./tools/register.js", "services/backend/src/main.ts"], { ...backendEnv, LLM_PROVIDER: "mock" }),
  ]);
  try {
    const { concurrency, roundMs } = options;
    const direct = () => load(upstream.port, "bench-model", concurrency, roundMs);
    const through = () => load(gateway.port, "bench-model", concurrency, roundMs);
    // Warm-up: JIT, keep-alive connections, the SDK's first request.
    await direct();
    await through();
    const rounds = { direct: [] as Round[], gateway: [] as Round[] };
    let gatewayCpu = 0;
    for (let i = 0; i < options.rounds; i++) {
      rounds.direct.push(await direct());
      const before = cpuSeconds(gateway.child.pid);
      rounds.gateway.push(await through());
      const after = cpuSeconds(gateway.child.pid);
      gatewayCpu += before !== undefined && after !== undefined ? after - before : NaN;
    }
    await load(mock.port, "mock", concurrency, roundMs / 2);
    const mockRound = await load(mock.port, "mock", concurrency, roundMs);
    const gatewayRequests = rounds.gateway.reduce((n, r) => n + r.latencies.length, 0);
    return { direct: summary(rounds.direct), gateway: summary(rounds.gateway), mock: summary([mockRound]), cpuMsPerRequest: (gatewayCpu * 1000) / gatewayRequests };
  } finally {
    for (const { child } of [upstream, gateway, mock]) child.kill("SIGTERM");
  }
}

export async function printGatewayBench(options: GatewayBenchOptions): Promise<void> {
  const { direct, gateway, mock, cpuMsPerRequest } = await measureGateway(options);
  const row = (what: string, s: ReturnType<typeof summary>) =>
    `${what.padEnd(28)}${s.perSecond.toFixed(0).padStart(8)}${s.p50.toFixed(2).padStart(10)}${s.p99.toFixed(2).padStart(10)}${String(s.requests).padStart(10)}`;
  console.log(`\ngateway overhead: openai-compatible provider, a stand-in upstream answering in ${options.upstreamDelayMs} ms, ${options.concurrency} concurrent, ${options.rounds} alternating rounds of ${options.roundMs / 1000} s`);
  console.log(`${"what".padEnd(28)}${"req/s".padStart(8)}${"p50 ms".padStart(10)}${"p99 ms".padStart(10)}${"requests".padStart(10)}`);
  console.log(row("upstream, direct", direct));
  console.log(row("through the backend", gateway));
  const added = gateway.p50 - direct.p50;
  const ratio = gateway.perSecond / direct.perSecond;
  console.log(`added p50 latency: ${added.toFixed(2)} ms (target < 1 ms) ${added < 1 ? "ok" : "MISSED"}`);
  console.log(`throughput ratio: ${(ratio * 100).toFixed(1)}% of direct (target >= 95%) ${ratio >= 0.95 ? "ok" : "MISSED"}`);
  console.log(`${row("mock provider", mock)}   (canned JSON answers, no upstream)`);
  if (!Number.isNaN(cpuMsPerRequest)) console.log(`gateway CPU per request: ${cpuMsPerRequest.toFixed(3)} ms (user + system, from /proc; holds on a busy machine)`);
}
