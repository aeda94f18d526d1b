/**
 * Step 1 of the e2e: the services' real images, built from their Dockerfiles and run as the dev stack's pods run
 * them (settings read from the render, lib/pod.ts), then talked to over HTTP as the cluster would: probes, a chat
 * through the frontend to the backend, and SIGTERM while an answer is streaming.
 */
import { join } from "path";
import { render } from "../../tools/render";
import { readStackFile } from "../../tools/stack-file";
import { BaseImage, baseImage, nodeImagePin } from "./lib/base-image";
import { buildServiceImage, ServiceImage } from "./lib/build";
import { Checks, expect } from "./lib/checks";
import { Containers, Started } from "./lib/containers";
import { ensureDocker } from "./lib/docker";
import { chatBody, get, startStream, streamedText } from "./lib/http";
import { PodRun, podRun } from "./lib/pod";
import { run } from "./lib/process";

const ROOT = join(__dirname, "..", "..");
const SERVICES = ["backend", "frontend"] as const;
type Service = (typeof SERVICES)[number];

export interface ImagesSettings {
  cacheDir: string;
  mode: "official" | "stand-in";
  mirror: string;
}

export interface ImagesReport {
  base?: BaseImage;
  images: Partial<Record<Service, ServiceImage>>;
  startSeconds: Partial<Record<Service, number>>;
  drainSeconds: Partial<Record<Service, number>>;
}

/** What /proc/1/status says about the container's main process: identity, capabilities, no_new_privs, seccomp. */
const PROCESS_FACTS = `
const fs = require("fs");
const status = Object.fromEntries(fs.readFileSync("/proc/1/status", "utf8").trim().split("\\n").map((l) => l.split(/:\\s+/)));
const cmdline = fs.readFileSync("/proc/1/cmdline", "utf8").split("\\0").filter(Boolean);
const tryWrite = (path) => { try { fs.writeFileSync(path, "x"); fs.unlinkSync(path); return "ok"; } catch (e) { return e.code; } };
const mounts = fs.readFileSync("/proc/mounts", "utf8").trim().split("\\n").map((l) => l.split(" "));
console.log(JSON.stringify({
  uid: status.Uid, gid: status.Gid, groups: status.Groups, capEff: status.CapEff, capPrm: status.CapPrm, capBnd: status.CapBnd,
  noNewPrivs: status.NoNewPrivs, seccomp: status.Seccomp, cmdline,
  writeApp: tryWrite("/app/e2e-probe"), writeRoot: tryWrite("/e2e-probe"), writeTmp: tryWrite("/tmp/e2e-probe"),
  tmp: (mounts.find((m) => m[1] === "/tmp") || [])[2], root: (mounts.find((m) => m[1] === "/") || [])[3],
}));
`;

export async function imagesChecks(checks: Checks, settings: ImagesSettings, prefix: string): Promise<ImagesReport> {
  const report: ImagesReport = { images: {}, startSeconds: {}, drainSeconds: {} };
  const containers = new Containers(prefix);
  let pods: Record<Service, PodRun> | undefined;
  const started: Partial<Record<Service, Started>> = {};
  let stopDocker: (() => Promise<void>) | undefined;

  try {
    await checks.check("docker engine answers", async () => {
      const engine = await ensureDocker(settings.cacheDir);
      stopDocker = engine.startedByUs ? engine.stop : undefined;
      return `Docker ${engine.version}${engine.startedByUs ? " (started by the harness)" : ""}`;
    });

    await checks.check(`base image (${settings.mode})`, async () => {
      const pins = SERVICES.map((service) => nodeImagePin(join(ROOT, "services", service, "Dockerfile")));
      expect(pins.every((pin) => pin.reference === pins[0].reference), `the Dockerfiles pin different Node images: ${pins.map((p) => p.reference).join(", ")}`);
      report.base = await baseImage({ pin: pins[0], mode: settings.mode, cacheDir: settings.cacheDir, mirror: settings.mirror, log: (line) => console.log(`    base| ${line}`) });
      return `${report.base.reference} (${report.base.built ? `built in ${report.base.seconds.toFixed(0)} s` : "cached"}) for ${pins[0].reference}`;
    }, ["docker engine answers"]);

    for (const service of SERVICES) {
      await checks.check(`${service} image builds from services/${service}/Dockerfile`, async () => {
        const image = await buildServiceImage({
          context: ROOT,
          dockerfile: `services/${service}/Dockerfile`,
          nodeImage: report.base!.reference,
          repository: `ai-assistant-e2e/${service}`,
          stagingDir: settings.cacheDir,
        });
        report.images[service] = image;
        return `${image.reference}, ${(image.bytes / 1e6).toFixed(0)} MB, ${image.files} context files, ${image.seconds.toFixed(0)} s`;
      }, [`base image (${settings.mode})`]);
    }

    await checks.check("the dev stack renders both pods", async () => {
      const { config, secretKeys } = readStackFile(join(ROOT, "Pulumi.dev.yaml"), "dev");
      const result = await render({ stack: "dev", config, secretKeys, runProgram: () => require("../../index") });
      pods = { backend: podRun(result, "backend"), frontend: podRun(result, "frontend") };
      return SERVICES.map((s) => `${s}: --user ${pods![s].user}, ${pods![s].tmpfs.map((t) => t.path).join(" ")} tmpfs, env ${Object.keys(pods![s].env).join(" ")}`).join("; ");
    });

    const built = (service: Service) => [`${service} image builds from services/${service}/Dockerfile`, "the dev stack renders both pods"];
    await checks.check("backend starts as its pod", async () => {
      started.backend = await containers.start(pods!.backend, "backend", report.images.backend!.reference);
      report.startSeconds.backend = started.backend.startSeconds;
      return `startup probe answered ${started.backend.startSeconds.toFixed(1)} s after docker run (the pod's startup probe allows ${pods!.backend.startupBudgetSeconds} s)`;
    }, built("backend"));

    await checks.check("frontend starts as its pod, pointed at the backend container", async () => {
      // BACKEND_URL names the backend Service in the cluster; here the backend container's port stands in for it.
      started.frontend = await containers.start(pods!.frontend, "frontend", report.images.frontend!.reference, { BACKEND_URL: started.backend!.url });
      report.startSeconds.frontend = started.frontend.startSeconds;
      return `startup probe answered ${started.frontend.startSeconds.toFixed(1)} s after docker run (the pod's startup probe allows ${pods!.frontend.startupBudgetSeconds} s)`;
    }, [...built("frontend"), "backend starts as its pod"]);

    for (const service of SERVICES) {
      const startedCheck = service === "backend" ? "backend starts as its pod" : "frontend starts as its pod, pointed at the backend container";
      await checks.check(`${service} runs as the pod's user with no capabilities, no new privileges, a read-only root`, async () => {
        const facts = JSON.parse(await containers.node(started[service]!.name, PROCESS_FACTS));
        const [uid, gid] = pods![service].user.split(":");
        // Every problem is listed, not only the first.
        const problems: string[] = [];
        const want = (ok: boolean, problem: string) => ok || problems.push(problem);
        want(facts.cmdline[0] === "node", `PID 1 is ${facts.cmdline.join(" ")}, not node (SIGTERM would not reach the server)`);
        want(facts.uid.split(/\s+/).every((id: string) => id === uid), `Uid ${facts.uid}, expected ${uid}`);
        want(facts.gid.split(/\s+/).every((id: string) => id === gid), `Gid ${facts.gid}, expected ${gid}`);
        for (const group of pods![service].groups) want(facts.groups.split(/\s+/).includes(group), `supplementary groups ${facts.groups} lack the fsGroup ${group}`);
        for (const set of ["capEff", "capPrm", "capBnd"]) want(/^0+$/.test(facts[set]), `${set} ${facts[set]}: capabilities left`);
        want(facts.noNewPrivs === "1", `NoNewPrivs ${facts.noNewPrivs}`);
        want(facts.seccomp === "2", `Seccomp ${facts.seccomp}: not filtered by the runtime's default profile`);
        want(facts.writeApp === "EROFS" && facts.writeRoot === "EROFS", `writes to the image: /app ${facts.writeApp}, / ${facts.writeRoot} (expected EROFS)`);
        want(facts.writeTmp === "ok" && facts.tmp === "tmpfs", `/tmp (the pod's emptyDir): ${facts.tmp} mount, write ${facts.writeTmp}`);
        expect(problems.length === 0, problems.join("; "));
        return `uid ${uid}, gid ${gid}, groups ${facts.groups}, CapEff ${facts.capEff}, NoNewPrivs 1, root ${facts.root}`;
      }, [startedCheck]);
    }

    await checks.check("every probe path of both pods answers 200", async () => {
      const answered: string[] = [];
      for (const service of SERVICES) {
        for (const probe of pods![service].probes) {
          const answer = await get(`${started[service]!.url}${probe.path}`);
          expect(answer.status === 200, `${service} ${probe.kind} probe ${probe.path}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
          answered.push(`${service} ${probe.kind} ${probe.path}`);
        }
      }
      return answered.join(", ");
    }, ["backend starts as its pod", "frontend starts as its pod, pointed at the backend container"]);

    await checks.check("a chat through the frontend container is answered by the backend container", async () => {
      const response = await fetch(`${started.frontend!.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: chatBody("Hello there", false) });
      const body = await response.text();
      expect(response.status === 200, `HTTP ${response.status}: ${body.slice(0, 300)}`);
      const answer = JSON.parse(body).choices?.[0]?.message?.content ?? "";
      // The mock provider's greeting: only the backend makes it; the frontend forwards.
      expect(answer.startsWith("Hello! I am the mock assistant"), `answer: ${answer.slice(0, 200)}`);
      const streamed = await startStream(`${started.frontend!.url}/v1/chat/completions`, "What can you do?");
      const { text, done } = streamedText(await streamed.rest);
      expect(streamed.status === 200 && done && text.length > 20, `stream: HTTP ${streamed.status}, [DONE] ${done}, text ${text.slice(0, 100)}`);
      const backendLog = await containers.logs(started.backend!.name);
      expect(/chat\/completions/.test(backendLog), `the backend container logged no chat request:\n${backendLog}`);
      return `answer "${answer.slice(0, 40)}…"; streamed ${text.split(" ").length} words and [DONE]`;
    }, ["backend starts as its pod", "frontend starts as its pod, pointed at the backend container"]);

    // SIGTERM while an answer streams. The mock backend streams a word every 15 ms, over before a signal lands; a
    // second pair runs with MOCK_WORD_DELAY_MS=150 (its only difference), so an answer takes a few seconds.
    let slow: { backend?: Started; frontend?: Started } = {};
    await checks.check("a slow-streaming pair starts (MOCK_WORD_DELAY_MS=150)", async () => {
      const backend = await containers.start(pods!.backend, "backend-slow", report.images.backend!.reference, { MOCK_WORD_DELAY_MS: "150" });
      const frontend = await containers.start(pods!.frontend, "frontend-slow", report.images.frontend!.reference, { BACKEND_URL: backend.url });
      slow = { backend, frontend };
    }, ["backend starts as its pod", "frontend starts as its pod, pointed at the backend container"]);

    for (const service of ["frontend", "backend"] as const) {
      await checks.check(`${service}: on SIGTERM readiness fails, it serves through the drain, an answer in flight completes, then new connections are refused and it exits 0 within the grace period`, async () => {
        const target = slow[service]!;
        const stream = await startStream(`${target.url}/v1/chat/completions`, "Tell me about the stack");
        expect(stream.status === 200, `stream: HTTP ${stream.status}`);
        const signalled = Date.now();
        await run("docker", ["kill", "--signal", "SIGTERM", target.name]);
        // The drain (docs/resilience.md): readiness fails at once while the server keeps serving for
        // SHUTDOWN_DRAIN_SECONDS, so that endpoints catch up; only then are new connections refused.
        let notReady = false;
        let servedWhileDraining = false;
        for (let i = 0; i < 60 && !notReady; i++) {
          const ready = await get(`${target.url}/readyz`).catch(() => undefined);
          notReady = ready?.status === 503;
          if (notReady) servedWhileDraining = (await get(`${target.url}/healthz`).catch(() => undefined))?.status === 200;
          else await new Promise((r) => setTimeout(r, 50));
        }
        let refused = false;
        for (let i = 0; i < 300 && !refused; i++) {
          refused = await get(`${target.url}/healthz`).then(() => false, () => true);
          if (!refused) await new Promise((r) => setTimeout(r, 50));
        }
        const { text, done } = streamedText(await stream.rest);
        const exit = (await run("docker", ["wait", target.name])).stdout.trim();
        const seconds = (Date.now() - signalled) / 1000;
        report.drainSeconds[service] = seconds;
        // Every line: the probes polled during the drain log a request each, which would push the shutdown out of a tail.
        const logs = await containers.logs(target.name, "all");
        expect(done && text.split(" ").length > 10, `the stream in flight was cut: [DONE] ${done}, text "${text}"`);
        expect(notReady, "readiness did not fail after SIGTERM");
        expect(servedWhileDraining, "the server stopped serving at once instead of draining");
        expect(refused, "new connections were still accepted after the drain");
        expect(exit === "0", `exit code ${exit}\n${logs}`);
        expect(seconds < pods![service].graceSeconds, `took ${seconds} s, over the pod's ${pods![service].graceSeconds} s grace`);
        expect(/shutting down/.test(logs) && /stopped/.test(logs), `no shutdown in the logs:\n${logs.split("\n").slice(-30).join("\n")}`);
        return `stream finished (${text.split(" ").length} words), exit 0 after ${seconds.toFixed(1)} s`;
      }, ["a slow-streaming pair starts (MOCK_WORD_DELAY_MS=150)"]);
    }
  } finally {
    await containers.removeAll();
    if (stopDocker && process.env.E2E_KEEP_DOCKERD !== "1") await stopDocker();
  }
  return report;
}
