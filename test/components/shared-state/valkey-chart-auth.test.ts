/**
 * The chart's auth path, run: its own init script (from the Helm-rendered fixture, test/fixtures/valkey-chart/prod.yaml)
 * writes valkey.conf and the ACL file from our Secret's layout, and a real `redis-server` (Debian's, the Valkey
 * stand-in of the other shared-state tests) started on that config refuses anonymous clients, admits the backend's
 * own client with the password, applies maxmemory and eviction, and passes the probe the chart's pod runs. Paths
 * the script writes in the pod (/data, /etc/valkey, the Secret's mount) are moved under a temporary folder.
 */
import { execFile } from "child_process";
import { createHash } from "crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { connectValkey } from "../../../services/backend/src/shared-state/valkey-client";
import type { Logger } from "../../../services/backend/src/log";
import { RedisServer, startRedisServer } from "../../../tools/redis-server";
import { objectOf } from "../../support/render";
import { valkeyChartRender } from "../../support/valkey-chart";

const PASSWORD = "chart-auth-test-0123456789abcdef";
/** Absolute paths of the pod (each at the start of a path, never inside another: /usr/local/etc/valkey is not /etc/valkey). */
const POD_PATHS = /(?<![\w./])(\/valkey-users-secret|\/valkey-auth-secret|\/usr\/local\/etc\/valkey|\/extravalkeyconfigs|\/etc\/valkey|\/valkey-auth|\/data)(?![\w-])/g;

const chart = valkeyChartRender();
const configMap = (name: string) => objectOf(chart, "ConfigMap", name).data as Record<string, string>;
const deployment = objectOf(chart, "Deployment", "valkey");
const valkeyContainer = deployment.spec.template.spec.containers.find((c: { name: string }) => c.name === "valkey");

/** The pod's paths moved under `root`, and the pod's valkey-cli played by redis-cli. */
const relocate = (text: string, root: string) => text.replace(POD_PATHS, (path) => `${root}${path}`).replace(/valkey-cli/g, "redis-cli");

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env: { ...process.env, ...env }, timeout: 10_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const quietLog: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined, drained: async () => undefined };

describe("given the chart's init script and our Secret's layout", () => {
  let root: string;
  let init: { code: number; stdout: string; stderr: string };
  let server: RedisServer | undefined;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "valkey-chart-auth-"));
    for (const dir of ["data", "etc/valkey", "valkey-users-secret", "valkey-auth", "usr/local/etc/valkey"]) mkdirSync(join(root, dir), { recursive: true });
    // The Secret's key `password`, as the chart mounts it for the init container and we mount it for the probes.
    writeFileSync(join(root, "valkey-users-secret", "password"), PASSWORD);
    writeFileSync(join(root, "valkey-auth", "password"), PASSWORD);
    writeFileSync(join(root, "usr/local/etc/valkey/valkey.conf"), configMap("valkey-config")["valkey.conf"]);
    const script = join(root, "init.sh");
    writeFileSync(script, relocate(configMap("valkey-init-scripts")["init.sh"], root));
    chmodSync(script, 0o755);
    init = await run("sh", [script]);
    server = await startRedisServer({ configFile: join(root, "data/conf/valkey.conf") });
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("then the init script succeeds and writes the password only as its SHA-256 in the ACL file", () => {
    expect(init.code).toBe(0);
    const acl = readFileSync(join(root, "etc/valkey/users.acl"), "utf8");
    expect(acl.trim()).toBe(`user default on #${createHash("sha256").update(PASSWORD).digest("hex")} ~* &* +@all`);
    const conf = readFileSync(join(root, "data/conf/valkey.conf"), "utf8");
    expect(conf).not.toContain(PASSWORD);
    expect(conf).toContain(`aclfile ${root}/etc/valkey/users.acl`);
  });

  it("then the server refuses a client without the password", async () => {
    const anonymous = await run("redis-cli", ["-h", "127.0.0.1", "-p", String(server!.port), "ping"]);
    expect(anonymous.stdout).toMatch(/NOAUTH/);
  });

  it("then the backend's own client, with the password, runs commands and scripts", async () => {
    const connection = connectValkey(`redis://127.0.0.1:${server!.port}`, PASSWORD, quietLog);
    try {
      await new Promise<void>((resolve, reject) => {
        connection.client.once("ready", () => resolve());
        connection.client.once("error", reject);
      });
      await connection.client.set("probe", "1");
      expect(await connection.client.get("probe")).toBe("1");
      expect(await connection.client.eval("return redis.call('TIME')[1] ~= nil and 1 or 0", 0)).toBe(1);
      expect(await connection.client.config("GET", "maxmemory")).toEqual(["maxmemory", "268435456"]);
      expect(await connection.client.config("GET", "maxmemory-policy")).toEqual(["maxmemory-policy", "allkeys-lru"]);
    } finally {
      await connection.close();
    }
  });

  it("then the chart pod's readiness probe passes with the mounted password and fails with a wrong one", async () => {
    const probe = relocate(valkeyContainer.readinessProbe.exec.command[2], root).replace("-p 6379", `-p ${server!.port}`);
    expect((await run("sh", ["-c", probe])).code).toBe(0);
    writeFileSync(join(root, "valkey-auth", "password"), "not-the-password");
    try {
      expect((await run("sh", ["-c", probe])).code).not.toBe(0);
    } finally {
      writeFileSync(join(root, "valkey-auth", "password"), PASSWORD);
    }
  });
});
