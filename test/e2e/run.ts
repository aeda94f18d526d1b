/**
 * `npm run e2e`: the slow end-to-end checks against real engines, apart from `npm test`. Step 1 (images.ts) builds
 * and runs the services' images in a real Docker Engine. Prints each check and closes with
 * `e2e: N passed, N failed, N skipped`; exits 1 unless everything passed. Writes artifacts/e2e/report.json.
 *
 * Settings (environment):
 * - E2E_BASE: `stand-in` (default; a Node base image made from Debian's mirror and the npm registry) or `official`
 *   (pull the image the Dockerfiles pin, where a registry is reachable).
 * - E2E_CACHE: where built things stay between runs (default /var/cache/ai-assistant-e2e, outside the repository).
 * - E2E_DEBIAN_MIRROR: the mirror debootstrap uses (default http://deb.debian.org/debian).
 * - E2E_DOCKERD_ARGS, E2E_KEEP_DOCKERD=1: how a dockerd the harness starts runs, and keeping it running after.
 */
import { mkdirSync, writeFileSync } from "fs";
import { join } from "path";
import { Checks } from "./lib/checks";
import { imagesChecks } from "./images";

async function main(): Promise<number> {
  const mode = process.env.E2E_BASE ?? "stand-in";
  if (mode !== "stand-in" && mode !== "official") throw new Error(`E2E_BASE: expected stand-in or official, found ${mode}`);
  const cacheDir = process.env.E2E_CACHE ?? "/var/cache/ai-assistant-e2e";
  mkdirSync(cacheDir, { recursive: true });
  const checks = new Checks();
  const images = await imagesChecks(checks, { cacheDir, mode, mirror: process.env.E2E_DEBIAN_MIRROR ?? "http://deb.debian.org/debian" }, `ai-assistant-e2e-${process.pid}`);

  const out = join(__dirname, "..", "..", "artifacts", "e2e");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "report.json"), `${JSON.stringify({ images, checks: checks.results }, null, 2)}\n`);
  console.log("");
  for (const [service, image] of Object.entries(images.images)) {
    const start = images.startSeconds[service as "backend"];
    const drain = images.drainSeconds[service as "backend"];
    console.log(`${service}: image ${(image!.bytes / 1e6).toFixed(0)} MB, built in ${image!.seconds.toFixed(0)} s, ready ${start?.toFixed(1) ?? "-"} s after docker run, drained in ${drain?.toFixed(1) ?? "-"} s`);
  }
  console.log(checks.summary());
  return checks.count("failed") + checks.count("skipped") === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exit(1);
  },
);
