/**
 * Limits that hold across replicas: three real backend processes sharing one real redis-server (Debian's, on
 * loopback) admit one client no more than its bucket allows, wherever its requests land. The same three processes
 * without Valkey admit three buckets' worth: the control that shows the test can tell the difference.
 */
import { startRedisServer, RedisServer } from "../../../tools/redis-server";
import { BackendProcess, spawnBackend } from "./support/process";
import { USER_HELLO, postChat } from "./support/backend";

const PASSWORD = "test-valkey-password-not-logged";
const BURST = 5;
// One request a minute: no refill worth counting during the test, so the admitted count is exactly the burst.
const LIMITS = { RATE_LIMIT_PER_MINUTE: "1", RATE_LIMIT_BURST: String(BURST), TRUST_PROXY_HOPS: "1", MOCK_WORD_DELAY_MS: "0", LLM_PROVIDER: "mock" };

/** `requests` chat requests from one client, round robin over the replicas (as a Service spreads them), one per replica at a time. */
async function statuses(backends: BackendProcess[], client: string, requests: number): Promise<number[]> {
  if (backends.length === 0) throw new Error("no backends to ask");
  const answers: number[] = [];
  for (let i = 0; i < requests; i += backends.length) {
    const batch = backends.slice(0, requests - i).map((backend) => postChat(backend.url, USER_HELLO, { "x-forwarded-for": client }).then(async (r) => (await r.text(), r.status)));
    answers.push(...(await Promise.all(batch)));
  }
  return answers;
}

describe("given three backend processes", () => {
  let redis: RedisServer;
  let shared: BackendProcess[] = [];
  let separate: BackendProcess[] = [];
  beforeAll(async () => {
    redis = await startRedisServer({ password: PASSWORD });
    const start = (env: Record<string, string>) => Promise.all([0, 1, 2].map(() => spawnBackend(env, 60_000)));
    shared = await start({ ...LIMITS, VALKEY_URL: redis.url, VALKEY_PASSWORD: PASSWORD });
    separate = await start(LIMITS);
  }, 150_000);
  afterAll(async () => {
    await Promise.all([...shared, ...separate].map((b) => b.stop()));
    await redis?.stop();
  });

  describe("when they share one Valkey and one client sends 30 requests across them", () => {
    let answered: number[];
    beforeAll(async () => {
      answered = await statuses(shared, "203.0.113.7", 30);
    });

    it("then the client gets its one bucket's burst, not three", () => {
      expect(answered.filter((s) => s === 200)).toHaveLength(BURST);
      expect(answered.filter((s) => s === 429)).toHaveLength(30 - BURST);
    });

    it("then another client still has its own full bucket", async () => {
      const other = await statuses(shared, "198.51.100.9", 9);
      expect(other.filter((s) => s === 200)).toHaveLength(BURST);
    });

    it("then the password is in no log line", () => {
      const logs = JSON.stringify(shared.map((b) => b.logs));
      expect(logs).toContain("valkey connected");
      expect(logs).not.toContain(PASSWORD);
    });
  });

  it("when each keeps its buckets in the process, then the same client gets a burst from each (the limit the shared bucket fixes)", async () => {
    const answered = await statuses(separate, "203.0.113.7", 30);
    expect(answered.filter((s) => s === 200)).toHaveLength(3 * BURST);
  });
});

