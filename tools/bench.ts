/**
 * `npm run bench`: the offline render time of each committed stack, beside the time node takes to load
 * @pulumi/pulumi alone (the floor no render can beat), measured in the same run as medians of several runs; then
 * the backend's overhead as a gateway (tools/gateway-bench/measure.ts), and what the response cache and the limiter
 * cost with Valkey on loopback (tools/gateway-bench/shared-state.ts).
 */
import { spawnSync } from "child_process";
import { mkdtempSync, readdirSync } from "fs";
import { cpus, loadavg, tmpdir } from "os";
import { join, resolve } from "path";
import { printGatewayBench } from "./gateway-bench/measure";
import { printSharedStateBench } from "./gateway-bench/shared-state";

const PROJECT_DIR = resolve(__dirname, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function timeRun(args: string[]): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { cwd: PROJECT_DIR, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`node ${args.join(" ")} failed:\n${run.stderr}`);
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const stacks = readdirSync(PROJECT_DIR)
  .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
  .filter((stack): stack is string => !!stack)
  .sort();
const out = mkdtempSync(join(tmpdir(), "ai-assistant-bench-"));

const floor: number[] = [];
const renders: Record<string, number[]> = Object.fromEntries(stacks.map((s) => [s, []]));
// Interleaved, so that a busy moment of the machine weighs on every measurement alike.
for (let i = 0; i < RUNS; i++) {
  floor.push(timeRun(["-e", "require('@pulumi/pulumi')"]));
  for (const stack of stacks) {
    renders[stack].push(timeRun(["-r", "./tools/register.js", "tools/render-cli.ts", "--stack", stack, "--out", join(out, stack)]));
  }
}

const floorMs = median(floor);
// Latency and throughput measure the scheduler as much as the code when the machine is busy: say how busy it was.
console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} (1, 5, 15 min) at the start`);
console.log(`median of ${RUNS} runs each, in one process per run (node ${process.version})`);
console.log(`${"what".padEnd(28)}${"ms".padStart(8)}${"x floor".padStart(10)}`);
console.log(`${"load @pulumi/pulumi (floor)".padEnd(28)}${floorMs.toFixed(0).padStart(8)}${"1.00".padStart(10)}`);
for (const stack of stacks) {
  const ms = median(renders[stack]);
  console.log(`${`render --stack ${stack}`.padEnd(28)}${ms.toFixed(0).padStart(8)}${(ms / floorMs).toFixed(2).padStart(10)}`);
}

// Three alternating rounds of 2 s: shorter rounds let one busy second of the machine decide the ratio.
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 2000);
void printGatewayBench({
  concurrency: 16,
  roundMs: ROUND_MS,
  rounds: 3,
  upstreamDelayMs: Number(process.env.BENCH_UPSTREAM_MS ?? 20),
})
  .then(() => printSharedStateBench({ concurrency: 16, roundMs: ROUND_MS, rounds: 2 }))
  .catch((error: Error) => {
    console.error(`gateway bench failed: ${error.message}`);
    process.exitCode = 1;
  });
