/**
 * `npm run assistant`: the backend and the frontend from source in one terminal, for a quick look at the chat.
 * The backend answers in the mock phase unless the environment says otherwise (LLM_PROVIDER and the rest of the
 * contract in lib/backend-env.ts pass through). The frontend starts once the backend listens, pointed at it.
 * Ctrl-C, SIGINT or SIGTERM stops both; if either stops on its own, the other is stopped too; if this process is
 * killed outright (SIGKILL), each child sees its stdin pipe close and stops itself (the knowledge database by its own
 * stdin handler in tools/knowledge-db.mjs, the servers by tools/exit-with-parent.js).
 * Locally there is no load balancer to drain, so SHUTDOWN_DRAIN_SECONDS defaults to 0 here.
 *
 *   PORT          the chat's port (default 3000)
 *   BACKEND_PORT  the backend's port (default 8080); 0 for any free port, as the tests use
 *   HOST          the address both listen on (each server's default when unset)
 *
 * With KNOWLEDGE_ENABLED=true and no KNOWLEDGE_DATABASE_URL, a local knowledge database starts too (PGlite with
 * pgvector, kept in .assistant/knowledge-db), with an admin key made once in .assistant/knowledge-admin-key, which
 * `npm run knowledge` reads: add documents there, then ask the chat about them (the mock phase cites them too).
 * ASSISTANT_STATE_DIR moves .assistant/ elsewhere (the tests use a temporary folder).
 */
import { ChildProcess, spawn } from "child_process";
import { randomBytes } from "crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import { dirname, join } from "path";
import { localKeyFile, stateDir } from "./knowledge";
import { createInterface } from "readline";

const ROOT = join(__dirname, "..");
const REGISTER = join(ROOT, "tools", "register.js");
const EXIT_WITH_PARENT = join(ROOT, "tools", "exit-with-parent.js");

/** Starts `entry` from source with `env`; resolves with the port it logs in its `listening` line. */
function startService(name: string, entry: string, env: NodeJS.ProcessEnv): { child: ChildProcess; port: Promise<number> } {
  const child = spawn(process.execPath, ["-r", REGISTER, "-r", EXIT_WITH_PARENT, join(ROOT, entry)], { cwd: ROOT, env, stdio: ["pipe", "pipe", "inherit"] });
  const port = new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the ${name} stopped before it listened (exit ${code})`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      // Its JSON log lines pass through unchanged; the `listening` one says where it is.
      process.stdout.write(`${line}\n`);
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === "listening" && typeof entry.port === "number") resolve(entry.port);
      } catch {
        // not a log line: passed through above
      }
    });
  });
  return { child, port };
}

/** The local knowledge database (tools/knowledge-db.mjs): resolves with its URL once it listens. */
function startKnowledgeDb(): { child: ChildProcess; url: Promise<string> } {
  const dataDir = join(stateDir(process.env), "knowledge-db");
  mkdirSync(dataDir, { recursive: true });
  const child = spawn(process.execPath, [join(ROOT, "tools", "knowledge-db.mjs"), dataDir], { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
  const url = new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the knowledge database stopped before it listened (exit ${code})`)));
    createInterface({ input: child.stdout! }).once("line", (line) => resolve((JSON.parse(line) as { url: string }).url));
  });
  return { child, url };
}

/** The local admin key: made once, readable by this user only. */
function localAdminKey(): string {
  const file = localKeyFile(process.env);
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(24).toString("base64url"), { mode: 0o600 });
  }
  return readFileSync(file, "utf8").trim();
}

function announce(fields: Record<string, string>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: "info", service: "assistant", ...fields })}\n`);
}

async function main(): Promise<void> {
  const children: ChildProcess[] = [];
  let exitCode = 0;
  const stopAll = (code: number) => {
    exitCode ||= code;
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  };
  // Ctrl-C reaches the children too (same process group); SIGTERM sent to this process alone is passed on.
  process.on("SIGINT", () => stopAll(0));
  process.on("SIGTERM", () => stopAll(0));
  // Whatever ends this process (a closed stdout pipe, an error) ends the children with it.
  process.stdout.on("error", () => stopAll(1));
  process.on("exit", () => stopAll(0));

  const local = { SHUTDOWN_DRAIN_SECONDS: process.env.SHUTDOWN_DRAIN_SECONDS || "0" };
  const backendEnv: NodeJS.ProcessEnv = { ...process.env, ...local, LLM_PROVIDER: process.env.LLM_PROVIDER || "mock", PORT: process.env.BACKEND_PORT || "8080" };
  if (process.env.KNOWLEDGE_ENABLED === "true" && !process.env.KNOWLEDGE_DATABASE_URL) {
    const db = startKnowledgeDb();
    children.push(db.child);
    db.child.on("exit", (code) => stopAll(code ?? 1));
    backendEnv.KNOWLEDGE_DATABASE_URL = await db.url;
    // PGlite runs one session for all connections: one pooled connection keeps transactions apart.
    backendEnv.KNOWLEDGE_DATABASE_POOL = "1";
    backendEnv.KNOWLEDGE_ADMIN_KEY ||= localAdminKey();
  }
  const backend = startService("backend", "services/backend/src/main.ts", backendEnv);
  children.push(backend.child);
  backend.child.on("exit", (code) => stopAll(code ?? 1));
  const backendPort = await backend.port;
  const backendUrl = `http://127.0.0.1:${backendPort}`;

  const frontendEnv = { ...process.env, ...local, PORT: process.env.PORT || "3000", BACKEND_URL: backendUrl };
  const frontend = startService("frontend", "services/frontend/src/main.ts", frontendEnv);
  children.push(frontend.child);
  frontend.child.on("exit", (code) => stopAll(code ?? 1));
  const chatPort = await frontend.port;
  announce({ msg: "ready", chatUrl: `http://localhost:${chatPort}/`, backendUrl, provider: backendEnv.LLM_PROVIDER ?? "mock", ...(backendEnv.KNOWLEDGE_ENABLED === "true" && { knowledge: "on: npm run knowledge -- add <files> to add documents" }) });

  await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once("exit", resolve)))));
  process.exit(exitCode);
}

main().catch((error: Error) => {
  process.stderr.write(`assistant: ${error.message}\n`);
  process.exit(1);
});
