/**
 * The frontend image and the stack agree: the Dockerfile runs as the UID the pod's securityContext sets and listens
 * on the port the Service targets; its allowlist lets in every path it copies; and the server, compiled as the image
 * compiles it and laid out as the image lays it out, answers the stack's probe path with the environment the
 * rendered Deployment gives it.
 */
import { execFileSync, spawn } from "child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { createInterface } from "readline";
import { FRONTEND_PORT } from "../../../components/app/frontend";
import { contextFilter } from "../../../components/images/dockerignore";
import { NON_ROOT_ID } from "../../../lib/pod-security";
import { HEALTH_PATH, READY_PATH } from "../../../services/frontend/src/server";
import { objectOf, PROJECT_DIR, renderStack } from "../../support/render";

const DOCKERFILE = "services/frontend/Dockerfile";
const dockerfile = readFileSync(join(PROJECT_DIR, DOCKERFILE), "utf8");

/** Sources of the Dockerfile's COPY instructions that read the build context (not another stage). */
function contextCopySources(): string[] {
  return dockerfile
    .split("\n")
    .filter((line) => /^COPY\s/.test(line) && !line.includes("--from="))
    .flatMap((line) => line.trim().split(/\s+/).slice(1, -1).filter((part) => !part.startsWith("--")));
}

function filesUnder(path: string): string[] {
  const absolute = join(PROJECT_DIR, path);
  if (!statSync(absolute).isDirectory()) return [path];
  return readdirSync(absolute).flatMap((entry) => filesUnder(join(path, entry)));
}

describe("the frontend image", () => {
  it("runs as the pod's numeric non-root UID and GID, on the port the stack's Service targets", () => {
    expect(dockerfile).toMatch(new RegExp(`^USER ${NON_ROOT_ID}:${NON_ROOT_ID}$`, "m"));
    expect(dockerfile).toMatch(new RegExp(`^ENV .*\\bPORT=${FRONTEND_PORT}\\b`, "m"));
    expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${FRONTEND_PORT}$`, "m"));
  });

  it("gets every path it copies through its .dockerignore allowlist, and nothing else of the repository", () => {
    const { filter, ignoreFile } = contextFilter(PROJECT_DIR, DOCKERFILE);
    expect(ignoreFile).toBe(join(PROJECT_DIR, `${DOCKERFILE}.dockerignore`));
    const sources = contextCopySources();
    expect(sources).toEqual(["services/frontend/tsconfig.build.json", "services/frontend/src", "services/frontend/public"]);
    for (const file of sources.flatMap(filesUnder)) expect([file, filter.excludes(file)]).toEqual([file, false]);
    for (const outside of ["README.md", "index.ts", "services/backend/src/main.ts", "test/services/frontend/image.test.ts", "rendered/dev/plan.json", "services/frontend/package.json"]) {
      expect([outside, filter.excludes(outside)]).toEqual([outside, true]);
    }
  });

  describe("given the server compiled and laid out as the image does, and the dev stack's Deployment", () => {
    let root: string;
    let deployment: ReturnType<typeof objectOf>;
    beforeAll(async () => {
      root = mkdtempSync(join(tmpdir(), "frontend-image-"));
      execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", join(PROJECT_DIR, "services/frontend/tsconfig.build.json"), "--outDir", join(root, "dist")]);
      cpSync(join(PROJECT_DIR, "services/frontend/public"), join(root, "public"), { recursive: true });
      deployment = objectOf(await renderStack("dev"), "Deployment", "frontend");
    }, 60_000);
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    it("the pod keeps only /tmp writable and runs as the image's user", () => {
      const pod = deployment.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: NON_ROOT_ID, runAsGroup: NON_ROOT_ID });
      expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
      expect(pod.containers[0].volumeMounts).toEqual([{ name: "writable-0", mountPath: "/tmp" }]);
    });

    it("the server answers every probe path on the port the Deployment sets", async () => {
      const [container] = deployment.spec.template.spec.containers;
      const env = Object.fromEntries((container.env as { name: string; value: string }[]).map(({ name, value }) => [name, value]));
      expect(env.PORT).toBe(String(FRONTEND_PORT));
      expect(container.ports).toEqual([{ name: "http", containerPort: FRONTEND_PORT, protocol: "TCP" }]);
      const probePaths = new Set(["startupProbe", "readinessProbe", "livenessProbe"].map((probe) => container[probe].httpGet.path as string));
      // Alive on /healthz (startup, liveness), ready on /readyz (which fails while the server drains).
      expect([...probePaths].sort()).toEqual([HEALTH_PATH, READY_PATH]);

      // The stack's environment, on a free port of 127.0.0.1 rather than 8080 (tests never take fixed ports).
      const server = spawn(process.execPath, [join(root, "dist/main.js")], { cwd: root, env: { ...env, PORT: "0", HOST: "127.0.0.1", SHUTDOWN_DRAIN_SECONDS: "0", PATH: process.env.PATH }, stdio: ["ignore", "pipe", "inherit"] });
      try {
        const port = await new Promise<number>((resolve, reject) => {
          server.once("exit", (code) => reject(new Error(`the server exited with ${code}`)));
          createInterface({ input: server.stdout! }).on("line", (line) => {
            const entry = JSON.parse(line) as { msg: string; port?: number; backendUrl?: string };
            if (entry.msg === "listening") {
              expect(entry.backendUrl).toBe(new URL(env.BACKEND_URL).origin);
              resolve(entry.port!);
            }
          });
        });
        for (const path of probePaths) expect((await fetch(`http://127.0.0.1:${port}${path}`)).status).toBe(200);
        // The page is found where the image puts it, beside dist/.
        const page = await fetch(`http://127.0.0.1:${port}/`);
        expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
      } finally {
        const exited = new Promise((resolve) => server.once("exit", resolve));
        server.kill("SIGTERM");
        await exited;
      }
    });
  });
});
