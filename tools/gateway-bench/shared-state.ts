/**
 * What shared state costs per request, with Valkey on loopback (a throwaway redis-server, tools/redis-server.ts):
 * - the response cache's hit path (Valkey GET, answer rebuilt) against the mock provider's direct canned answer;
 * - the limiter's added latency: the same mock answers with the per-client limit in Valkey (one Lua script per
 *   request) and in the process, against none.
 * Each backend is its own process, measured in alternating rounds at the same concurrency.
 */
import { redisServerPath, startRedisServer } from "../redis-server";
import { load, Round, startProcess, summary } from "./measure";

export interface SharedStateBenchOptions {
  concurrency: number;
  roundMs: number;
  rounds: number;
}

export async function printSharedStateBench(options: SharedStateBenchOptions): Promise<void> {
  console.log("\nshared state: the mock provider's canned answers, Valkey (redis-server) on loopback");
  if (!redisServerPath()) {
    console.log("skipped: redis-server is not installed (Debian package redis-server)");
    return;
  }
  const redis = await startRedisServer();
  const base = { HOST: "127.0.0.1", PORT: "0", LLM_PROVIDER: "mock", MOCK_WORD_DELAY_MS: "0" };
  // A limit no benchmark reaches: every request runs the script and is admitted.
  const unreachable = { RATE_LIMIT_PER_MINUTE: "1000000", RATE_LIMIT_BURST: "1000000" };
  const variants: [string, Record<string, string>][] = [
    ["mock answer, direct", {}],
    ["cache hit (Valkey)", { VALKEY_URL: redis.url, CACHE_MODE: "all" }],
    ["limiter in Valkey", { VALKEY_URL: redis.url, ...unreachable }],
    ["limiter in process", unreachable],
  ];
  const started = await Promise.all(variants.map(([, env]) => startProcess(["-r", "./tools/register.js", "services/backend/src/main.ts"], { ...base, ...env })));
  try {
    const rounds: Round[][] = variants.map(() => []);
    const run = (i: number) => load(started[i].port, "mock", options.concurrency, options.roundMs);
    // Warm-up: JIT, connections, and the cache's one miss that stores the answer every later request hits.
    for (let i = 0; i < variants.length; i++) await run(i);
    for (let r = 0; r < options.rounds; r++) for (let i = 0; i < variants.length; i++) rounds[i].push(await run(i));
    const results = rounds.map(summary);
    console.log(`${options.concurrency} concurrent, ${options.rounds} alternating rounds of ${options.roundMs / 1000} s`);
    console.log(`${"what".padEnd(28)}${"req/s".padStart(8)}${"p50 ms".padStart(10)}${"p99 ms".padStart(10)}${"requests".padStart(10)}`);
    variants.forEach(([what], i) => {
      const s = results[i];
      console.log(`${what.padEnd(28)}${s.perSecond.toFixed(0).padStart(8)}${s.p50.toFixed(2).padStart(10)}${s.p99.toFixed(2).padStart(10)}${String(s.requests).padStart(10)}`);
    });
    const [direct, hit, valkeyLimit, localLimit] = results;
    console.log(`cache hit vs direct mock answer: ${(hit.p50 - direct.p50).toFixed(2)} ms at p50`);
    console.log(`limiter added at p50: ${(valkeyLimit.p50 - direct.p50).toFixed(2)} ms in Valkey, ${(localLimit.p50 - direct.p50).toFixed(2)} ms in process`);
  } finally {
    for (const { child } of started) child.kill("SIGTERM");
    await redis.stop();
  }
}
