/**
 * A real Postgres with pgvector for tests: PGlite served over the wire protocol (tools/knowledge-db.mjs) in a child
 * process, reached with the backend's own `pg` driver. PGlite runs one session for all connections, so tests give
 * the backend a pool of one connection (KNOWLEDGE_DATABASE_POOL=1): transactions never interleave.
 */
import { ChildProcess, spawn } from "child_process";
import { join } from "path";
import { createInterface } from "readline";

export interface TestDatabase {
  url: string;
  /** Stops the server (the backend's next query fails, as when a database goes away). */
  close(): Promise<void>;
}

export function startTestDatabase(): Promise<TestDatabase> {
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, "..", "..", "..", "..", "tools", "knowledge-db.mjs")], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the PGlite server exited (${code}) before it listened`)));
    createInterface({ input: child.stdout! }).once("line", (line) => {
      const { url } = JSON.parse(line) as { url: string };
      resolve({
        url,
        close: async () => {
          child.stdin!.end();
          const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
          await exited;
          clearTimeout(timer);
        },
      });
    });
  });
}
