/**
 * The backend image cannot be built here (no Docker engine), so its Dockerfile is checked for what would break it:
 * the user matches the pod's UID, the port the Service's, the base images are pinned, every file the backend
 * imports passes Dockerfile.dockerignore (an allowlist) and is copied into the build stage, every package it
 * imports is a dependency of its workspace, and CMD starts the compiled entry point.
 */
import { readFileSync } from "fs";
import { builtinModules } from "module";
import { dirname, join, relative, resolve } from "path";
import { BACKEND_PORT } from "../../../components/app/backend";
import { NON_ROOT_ID } from "../../../lib/pod-security";
import { contextFilter } from "../../../components/images/dockerignore";
import { PROJECT_DIR } from "../../support/render";

const SERVICE = join(PROJECT_DIR, "services", "backend");
const dockerfile = readFileSync(join(SERVICE, "Dockerfile"), "utf8");
const instructions = dockerfile.split("\n").filter((line) => line && !line.startsWith("#"));
const lastOf = (keyword: string) => instructions.filter((line) => line.startsWith(`${keyword} `)).at(-1)!;

/** Every file reachable from `entry` through relative imports, and every package named on the way. */
function importGraph(entry: string): { files: string[]; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(file, "utf8");
    // An import keyword never follows a quote or a letter: "from", "to" in a string are label names, not imports.
    for (const [, spec] of source.matchAll(/(?<!["'\w])(?:from|import|require\()\s*["']([^"']+)["']/g)) {
      if (spec.startsWith(".")) {
        const base = resolve(dirname(file), spec);
        visit([`${base}.ts`, join(base, "index.ts")].find((candidate) => { try { readFileSync(candidate); return true; } catch { return false; } })!);
      } else {
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
        if (!builtinModules.includes(name.replace(/^node:/, ""))) packages.add(name);
      }
    }
  };
  visit(entry);
  return { files: [...files].map((file) => relative(PROJECT_DIR, file)), packages };
}

/** What BuildKit lets into the build context for this Dockerfile (the same reading the stack's content tag uses). */
const context = contextFilter(PROJECT_DIR, "services/backend/Dockerfile");
const allowed = (path: string) => !context.filter.excludes(path);

const { files, packages } = importGraph(join(SERVICE, "src", "main.ts"));

describe("services/backend/Dockerfile", () => {
  it("runs as the numeric non-root UID and GID the pod's securityContext sets, on the backend's port", () => {
    expect(lastOf("USER")).toBe(`USER ${NON_ROOT_ID}:${NON_ROOT_ID}`);
    expect(lastOf("EXPOSE")).toBe(`EXPOSE ${BACKEND_PORT}`);
  });

  it("builds in stages from a Node 24 LTS image pinned by tag and digest, the frontend's too", () => {
    const image = /^ARG NODE_IMAGE=(.+)$/m.exec(dockerfile)![1];
    // Node 20 reached end of life in April 2026; 24 is supported until April 2028.
    expect(image).toMatch(/^node:24\.\d+\.\d+-bookworm-slim@sha256:[0-9a-f]{64}$/);
    const frontend = readFileSync(join(SERVICE, "..", "frontend", "Dockerfile"), "utf8");
    expect(/^ARG NODE_IMAGE=(.+)$/m.exec(frontend)![1]).toBe(image);
    const stages = instructions.filter((line) => line.startsWith("FROM "));
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(stages.every((line) => line.startsWith("FROM ${NODE_IMAGE}") || /^FROM \w+ AS \w+$/.test(line))).toBe(true);
  });

  it("starts the compiled entry point with node as PID 1 (so SIGTERM reaches the backend)", () => {
    const build = JSON.parse(readFileSync(join(SERVICE, "tsconfig.build.json"), "utf8"));
    const compiled = relative(resolve(SERVICE, build.compilerOptions.rootDir), join(SERVICE, "src", "main.ts")).replace(/\.ts$/, ".js");
    expect(lastOf("CMD")).toBe(`CMD ["node", "${build.compilerOptions.outDir}/${compiled}"]`);
  });

  it("given the files the backend imports, then each passes Dockerfile.dockerignore, is copied into the build and compiled", () => {
    expect(context.ignoreFile).toBe(join(SERVICE, "Dockerfile.dockerignore"));
    expect(files).toEqual(expect.arrayContaining(["services/backend/src/main.ts", "lib/backend-env.ts", "lib/metrics-contract.ts"]));
    expect(files.filter((file) => !allowed(file))).toEqual([]);
    const copied = instructions.filter((line) => line.startsWith("COPY ") && !line.includes("--from")).flatMap((line) => line.split(/\s+/).slice(1, -1));
    expect(files.filter((file) => !copied.some((source) => file === source || file.startsWith(`${source}/`)))).toEqual([]);
    const build = JSON.parse(readFileSync(join(SERVICE, "tsconfig.build.json"), "utf8")) as { include: string[] };
    const included = build.include.map((pattern) => relative(PROJECT_DIR, resolve(SERVICE, pattern)).replace("/**/*.ts", ""));
    expect(files.filter((file) => !included.some((source) => file === source || file.startsWith(`${source}/`)))).toEqual([]);
  });

  it("given everything else in the repository, then the allowlist leaves it out", () => {
    for (const outside of ["index.ts", "components/app/backend.ts", "lib/pod-security.ts", "node_modules/zod/package.json", "services/frontend/package.json", "Pulumi.prod.yaml", ".git/config", "test/readme.test.ts"]) {
      expect(`${outside}: ${allowed(outside)}`).toBe(`${outside}: false`);
    }
  });

  it("given the packages the backend imports, then each is a runtime dependency of its workspace", () => {
    const { dependencies } = JSON.parse(readFileSync(join(SERVICE, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect([...packages].sort()).toEqual(["@anthropic-ai/sdk", "@openfeature/flagd-provider", "@openfeature/server-sdk", "html-to-text", "ioredis", "openai", "pg", "prom-client", "zod"]);
    expect([...packages].filter((name) => !(name in dependencies))).toEqual([]);
  });
});
