/**
 * Feature flags through the real OpenFeature SDK and flagd provider (in-process, reading the flag file) in the real
 * backend on 127.0.0.1: percentages hold over many callers within a binomial bound, a caller keeps its variant, a
 * flag file changed the way kubelet changes a mounted ConfigMap is read without a restart, a flag that is off turns
 * the response cache off for that request, the model flag routes a share of traffic to the named model (the
 * stand-in upstream records the model asked), and every failure falls back to the defaults, counted and logged; a
 * file missing at start is tried again until it appears.
 */
import { createHash } from "crypto";
import { mkdirSync, writeFileSync } from "fs";
import { FeatureFlags, WITHOUT_FLAGS } from "../../../services/backend/src/feature-flags";
import { BackendMetrics } from "../../../services/backend/src/metrics";
import { AS_ASKED, FeatureRollouts, flagdDocument, FLAGS_FILE_NAME } from "../../../lib/feature-flags";
import { BACKEND_METRICS } from "../../../lib/metrics-contract";
import { json, LogLine, metricValue, postChat, RunningBackend, startBackend, USER_HELLO } from "./support/backend";
import { flagVolume, FlagVolume } from "./support/flag-volume";
import { StandIn, startStandIn } from "./support/stand-ins";

const EVALUATIONS = BACKEND_METRICS.featureFlagEvaluations.name;
/** Requests from one client address each (the frontend in front: one trusted proxy hop). */
const fromClient = (address: string, requestId: string, body: unknown = USER_HELLO, headers: Record<string, string> = {}) =>
  postChat(gatewayUrl, body, { "x-forwarded-for": address, "x-request-id": requestId, ...headers });
let gatewayUrl = "";

/** The `flag=variant` pairs of the request with this id, from its log line. */
function flagsOf(logs: LogLine[], requestId: string): Record<string, string> {
  const line = logs.find((l) => l.msg === "request" && l.request_id === requestId);
  if (!line) throw new Error(`no log line for request ${requestId}`);
  return Object.fromEntries((line.flags as string[] | undefined ?? []).map((pair) => pair.split("=") as [string, string]));
}

/** Runs `count` calls, `width` at a time. */
async function inParallel(count: number, width: number, call: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < count) await call(next++);
  }));
}

const address = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const volumes: FlagVolume[] = [];
const volume = (rollouts: FeatureRollouts | string) => {
  const made = flagVolume(rollouts);
  volumes.push(made);
  return made;
};
afterAll(() => volumes.forEach((v) => v.remove()));

describe("given knowledge rolled out to 25% and the semantic cache to 50% of callers", () => {
  const KEYS = 2000;
  let gateway: RunningBackend;
  const first = new Map<number, Record<string, string>>();
  beforeAll(async () => {
    const flags = volume({ knowledge: { percentage: 25 }, semanticCache: { percentage: 50 } });
    gateway = await startBackend({ LLM_PROVIDER: "mock", TRUST_PROXY_HOPS: "1", FEATURE_FLAGS_FILE: flags.file });
    gatewayUrl = gateway.url;
    await inParallel(KEYS, 16, async (i) => {
      const response = await fromClient(address(i), `first-${i}`);
      await response.arrayBuffer();
      expect(response.status).toBe(200);
    });
    for (let i = 0; i < KEYS; i++) first.set(i, flagsOf(gateway.logs, `first-${i}`));
  }, 120_000);
  afterAll(async () => gateway?.close());

  it(`when ${KEYS} callers ask, then each share is its percentage within 5 binomial standard deviations`, () => {
    const share = (flag: string, p: number) => {
      const on = [...first.values()].filter((flags) => flags[flag] === "on").length;
      const sigma = Math.sqrt(KEYS * p * (1 - p));
      return { on, within: Math.abs(on - KEYS * p) <= 5 * sigma };
    };
    expect(share("knowledge", 0.25)).toEqual({ on: expect.any(Number), within: true });
    expect(share("semanticCache", 0.5)).toEqual({ on: expect.any(Number), within: true });
    // A flag the stack does not roll out is on for everyone: the stack's own setting stands.
    expect(share("responseCache", 1).on).toBe(KEYS);
    expect([...first.values()].every((flags) => flags.model === AS_ASKED)).toBe(true);
  });

  it("then each flag splits callers on its own (flagd hashes the flag's key with the caller's)", () => {
    const both = [...first.values()].filter((flags) => flags.knowledge === "on" && flags.semanticCache === "on").length;
    // Independent 25% and 50%: 12.5% have both; nested buckets would give 25%.
    const sigma = Math.sqrt(KEYS * 0.125 * 0.875);
    expect(Math.abs(both - KEYS * 0.125)).toBeLessThanOrEqual(5 * sigma);
  });

  it("when the same callers ask again, then each gets the variant it got before", async () => {
    const again = Array.from({ length: 300 }, (_, n) => n * 6);
    await inParallel(again.length, 16, async (n) => {
      const i = again[n];
      await (await fromClient(address(i), `again-${i}`)).arrayBuffer();
    });
    const changed = again.filter((i) => JSON.stringify(flagsOf(gateway.logs, `again-${i}`)) !== JSON.stringify(first.get(i)));
    expect(changed).toEqual([]);
  }, 60_000);

  it("then the evaluations are counted by flag and variant, and the caller's address is in no log line", async () => {
    const on = [...first.values()].filter((flags) => flags.knowledge === "on").length;
    expect(await metricValue(gateway.url, EVALUATIONS, { flag: "knowledge", variant: "on", outcome: "ok" })).toBeGreaterThanOrEqual(on);
    expect(await metricValue(gateway.url, EVALUATIONS, { flag: "knowledge", variant: "off", outcome: "ok" })).toBeGreaterThanOrEqual(KEYS - on);
    expect(await metricValue(gateway.url, EVALUATIONS, { flag: "model", variant: AS_ASKED, outcome: "ok" })).toBeGreaterThanOrEqual(KEYS);
    expect(JSON.stringify(gateway.logs)).not.toContain(address(1234));
  });
});

describe("given client API keys and knowledge rolled out to 50%", () => {
  const keys = Array.from({ length: 24 }, (_, i) => ({ name: `team-${i}`, key: `sk-team-${i}-0123456789abcdef0123456789` }));
  let gateway: RunningBackend;
  beforeAll(async () => {
    const flags = volume({ knowledge: { percentage: 50 } });
    const configured = keys.map(({ name, key }) => ({ name, sha256: createHash("sha256").update(key).digest("hex") }));
    gateway = await startBackend({ LLM_PROVIDER: "mock", TRUST_PROXY_HOPS: "1", CLIENT_API_KEYS: JSON.stringify(configured), FEATURE_FLAGS_FILE: flags.file });
    gatewayUrl = gateway.url;
  });
  afterAll(async () => gateway?.close());

  it("when a key calls from different addresses, then its variant follows the key's name, and both variants occur across keys", async () => {
    const variants = new Map<string, Set<string>>();
    for (const { name, key } of keys) {
      for (const from of ["10.9.0.1", "10.9.0.2", "10.9.0.3"]) {
        const id = `${name}-${from}`;
        await (await fromClient(from, id, USER_HELLO, { authorization: `Bearer ${key}` })).arrayBuffer();
        variants.set(name, (variants.get(name) ?? new Set()).add(flagsOf(gateway.logs, id).knowledge));
      }
    }
    expect([...variants.values()].every((seen) => seen.size === 1)).toBe(true);
    expect(new Set([...variants.values()].map((seen) => [...seen][0]))).toEqual(new Set(["on", "off"]));
  });
});

describe("given the response cache on for every request and its flag at 50%", () => {
  let gateway: RunningBackend;
  let flags: FlagVolume;
  beforeAll(async () => {
    flags = volume({ responseCache: { percentage: 50 } });
    gateway = await startBackend({ LLM_PROVIDER: "mock", TRUST_PROXY_HOPS: "1", CACHE_MODE: "all", FEATURE_FLAGS_FILE: flags.file });
    gatewayUrl = gateway.url;
  });
  afterAll(async () => gateway?.close());

  /** A caller of each variant: addresses tried until both are found. */
  async function callerOf(variant: string): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const id = `probe-${variant}-${i}`;
      await (await fromClient(address(50_000 + i), id, { messages: [{ role: "user", content: `probe ${i}` }] })).arrayBuffer();
      if (flagsOf(gateway.logs, id).responseCache === variant) return address(50_000 + i);
    }
    throw new Error(`no caller got ${variant}`);
  }

  it("when a caller whose flag is off asks the same twice, then no answer comes from the cache; a caller whose flag is on gets the second from it", async () => {
    const off = await callerOf("off");
    const on = await callerOf("on");
    const question = (who: string) => ({ messages: [{ role: "user", content: `What is a canary rollout? (${who})` }] });
    const ask = async (who: string, id: string) => {
      const response = await fromClient(who, id, question(who));
      await response.arrayBuffer();
      return response.headers.get("x-assistant-cache");
    };
    expect([await ask(off, "off-1"), await ask(off, "off-2")]).toEqual([null, null]);
    expect([await ask(on, "on-1"), await ask(on, "on-2")]).toEqual(["miss", "hit"]);
  });

  it("when the flag file is changed as kubelet changes a mounted ConfigMap, then the new percentage applies without a restart", async () => {
    const on = await callerOf("on");
    flags.publishRollouts({ responseCache: { percentage: 0 } });
    let n = 0;
    await until("the responseCache flag to be off for a caller it was on for", async () => {
      const id = `reload-${n++}`;
      await (await fromClient(on, id)).arrayBuffer();
      return flagsOf(gateway.logs, id).responseCache === "off";
    });
    const ids = Array.from({ length: 50 }, (_, i) => `after-${i}`);
    for (const [i, id] of ids.entries()) await (await fromClient(address(60_000 + i), id)).arrayBuffer();
    expect(ids.map((id) => flagsOf(gateway.logs, id).responseCache)).toEqual(ids.map(() => "off"));
  }, 30_000);

  it("when the file is then replaced by one that does not parse, then the last good flags stay, and the error is logged", async () => {
    flags.publish("{ not json");
    await until("the provider to log the unreadable file", async () => gateway.logs.some((l) => l.level === "error" && l.msg === "feature flags" && String(l.error).includes("Error reading file")));
    await (await fromClient(address(7), "after-broken")).arrayBuffer();
    expect(flagsOf(gateway.logs, "after-broken").responseCache).toBe("off");
  }, 30_000);
});

describe("given two served models and the model flag sending 50% of callers to the second", () => {
  let upstream: StandIn;
  let gateway: RunningBackend;
  let flags: FlagVolume;
  beforeAll(async () => {
    upstream = await startStandIn("openai");
    flags = volume({ model: { model: "model-b", percentage: 50 } });
    const endpoints = JSON.stringify({ "model-a": upstream.baseUrl, "model-b": upstream.baseUrl, "model-c": upstream.baseUrl });
    gateway = await startBackend({ LLM_PROVIDER: "openai-compatible", LLM_BASE_URL: upstream.baseUrl, LLM_MODEL: "model-a", LLM_MODEL_ENDPOINTS: endpoints, TRUST_PROXY_HOPS: "1", FEATURE_FLAGS_FILE: flags.file });
    gatewayUrl = gateway.url;
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it("when callers ask for the default model, then each one's requests reach the model its variant names, and a named other model is honoured", async () => {
    const reached: Record<string, string> = {};
    for (let i = 0; i < 40; i++) {
      upstream.received.length = 0;
      const id = `model-${i}`;
      const body = i % 2 === 0 ? USER_HELLO : { ...USER_HELLO, model: "model-a" };
      const response = await fromClient(address(i), id, body);
      const answer = await json(response);
      const variant = flagsOf(gateway.logs, id).model;
      const asked = upstream.received[0].body.model as string;
      expect({ variant, asked, answered: answer.model }).toEqual(variant === "model-b" ? { variant, asked: "model-b", answered: "model-b" } : { variant: AS_ASKED, asked: "model-a", answered: "model-a" });
      reached[variant] = asked;
    }
    expect(reached).toEqual({ "model-b": "model-b", [AS_ASKED]: "model-a" });
    // Streamed too: a caller of the model-b variant streams from model-b.
    const streamer = [...Array(40).keys()].find((i) => flagsOf(gateway.logs, `model-${i}`).model === "model-b")!;
    upstream.received.length = 0;
    const streamed = await fromClient(address(streamer), "model-stream", { ...USER_HELLO, stream: true });
    expect(await streamed.text()).toContain('"model":"model-b"');
    expect(upstream.received[0].body).toMatchObject({ model: "model-b", stream: true });
    for (let i = 0; i < 10; i++) {
      upstream.received.length = 0;
      await (await fromClient(address(i), `named-${i}`, { ...USER_HELLO, model: "model-c" })).arrayBuffer();
      expect(upstream.received[0].body.model).toBe("model-c");
    }
  });

  it("when the flag names a model this backend does not serve, then requests keep their model, and the error is counted and logged once", async () => {
    flags.publishRollouts({ model: { model: "model-z", percentage: 100 } });
    let n = 0;
    await until("the unserved model to be refused", async () => {
      await (await fromClient(address(n++), `unserved-${n}`)).arrayBuffer();
      return (await metricValue(gateway.url, EVALUATIONS, { flag: "model", variant: AS_ASKED, outcome: "error" })) > 0;
    });
    upstream.received.length = 0;
    for (let i = 0; i < 5; i++) await (await fromClient(address(100 + i), `unserved-after-${i}`)).arrayBuffer();
    expect(upstream.received.map((r) => r.body.model)).toEqual(Array(5).fill("model-a"));
    const logged = gateway.logs.filter((l) => l.msg === "feature flag evaluation failed; the default applies" && l.error_code === "MODEL_NOT_SERVED");
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: "error", flag: "model", variant: AS_ASKED });
  }, 30_000);
});

describe("given a flag file that is not there", () => {
  let gateway: RunningBackend;
  let missingDir: string;
  beforeAll(async () => {
    const flags = volume({});
    missingDir = `${flags.dir}/missing`;
    gateway = await startBackend({ LLM_PROVIDER: "mock", CACHE_MODE: "all", FEATURE_FLAGS_FILE: `${missingDir}/${FLAGS_FILE_NAME}` });
    gatewayUrl = gateway.url;
  });
  afterAll(async () => gateway?.close());

  it("when requests come, then they are answered as without flags (the cache works), and every evaluation of an answered request counts as an error", async () => {
    const statuses = [];
    const caches = [];
    for (let i = 0; i < 2; i++) {
      const response = await postChat(gateway.url, USER_HELLO);
      await response.arrayBuffer();
      statuses.push(response.status);
      caches.push(response.headers.get("x-assistant-cache"));
    }
    expect(statuses).toEqual([200, 200]);
    expect(caches).toEqual(["miss", "hit"]);
    // A request refused for its body is never evaluated.
    const refused = await postChat(gateway.url, { messages: [] });
    await refused.arrayBuffer();
    expect(refused.status).toBe(400);
    expect(await metricValue(gateway.url, EVALUATIONS, { flag: "responseCache", variant: "on", outcome: "error" })).toBe(2);
    expect(await metricValue(gateway.url, EVALUATIONS, { flag: "model", variant: AS_ASKED, outcome: "error" })).toBe(2);
    expect(gateway.logs).toContainEqual(expect.objectContaining({ level: "error", msg: "feature flags unusable; every flag gives its default until the file can be read (tried again every few seconds)" }));
  });

  it("when the file then appears (the ConfigMap mounted late), then its flags apply without a restart", async () => {
    mkdirSync(missingDir);
    writeFileSync(`${missingDir}/${FLAGS_FILE_NAME}`, JSON.stringify(flagdDocument({ responseCache: { percentage: 0 } })));
    // Tried again every few seconds (START_RETRY_MS); the cache flag at 0% turns the cache off for everyone.
    await until("the flag file to be read", async () => gateway.logs.some((l) => l.msg === "feature flags read" && l.after_retry === true));
    const response = await postChat(gateway.url, { messages: [{ role: "user", content: "asked after the flags arrived" }] });
    await response.arrayBuffer();
    expect(response.headers.get("x-assistant-cache")).toBeNull();
    expect(await metricValue(gateway.url, EVALUATIONS, { flag: "responseCache", variant: "off", outcome: "ok" })).toBe(1);
  });
});

describe("given no flag file", () => {
  let gateway: RunningBackend;
  beforeAll(async () => {
    gateway = await startBackend({ LLM_PROVIDER: "mock", CACHE_MODE: "all" });
  });
  afterAll(async () => gateway?.close());

  it("when requests come, then they are served as before flags existed: the cache answers, no flag is evaluated or logged", async () => {
    const caches = [];
    for (let i = 0; i < 2; i++) {
      const response = await postChat(gateway.url, USER_HELLO);
      await response.arrayBuffer();
      caches.push(response.headers.get("x-assistant-cache"));
    }
    expect(caches).toEqual(["miss", "hit"]);
    expect(gateway.backend.features).toBeUndefined();
    expect(gateway.logs.filter((l) => l.msg === "request").every((l) => l.flags === undefined)).toBe(true);
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(text).not.toMatch(new RegExp(`^${EVALUATIONS}\\{`, "m"));
  });
});

describe("given an evaluation that throws where nothing should", () => {
  it("then the request gets the defaults, every flag counts an error, and the error is logged: evaluate never rejects", async () => {
    const flags = volume({ model: { model: "model-b", percentage: 100 } });
    const metrics = new BackendMetrics();
    const logged: { msg: string; fields?: Record<string, unknown> }[] = [];
    const log = { info: () => undefined, warn: () => undefined, error: (msg: string, fields?: Record<string, unknown>) => void logged.push({ msg, fields }), drained: async () => undefined };
    const features = new FeatureFlags(flags.file, () => { throw new Error("a bug"); }, metrics, log);
    try {
      await expect(features.evaluate("client:x")).resolves.toEqual(WITHOUT_FLAGS);
      const text = await metrics.registry.metrics();
      for (const flag of ["knowledge", "responseCache", "semanticCache", "model"]) expect(text).toMatch(new RegExp(`^${EVALUATIONS}\\{flag="${flag}",variant="[^"]+",outcome="error"\\} 1$`, "m"));
      expect(logged.map((l) => l.fields?.error_code)).toEqual(["GENERAL", "GENERAL", "GENERAL", "GENERAL"]);
    } finally {
      await features.close();
    }
  });
});
