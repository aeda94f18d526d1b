/**
 * `npm run knowledge -- <command>`: drives the backend's knowledge admin API (services/backend/src/knowledge/admin-api.ts).
 *
 *   add <file or folder>...   adds Markdown, text, HTML and PDF files (folders recursively); a progress line per
 *                             file, then a summary with each file's error; exit 1 when any file failed
 *   list                      the documents in the knowledge base
 *   remove <id or source>...  removes documents
 *   search <question>         the passages a chat question would be grounded in, with their scores
 *
 *   KNOWLEDGE_URL        the backend's URL (default http://127.0.0.1:8080; through a port-forward for a cluster)
 *   KNOWLEDGE_ADMIN_KEY  the admin key (default: the key `npm run assistant` made in ASSISTANT_STATE_DIR); never a flag,
 *                        so that it stays out of shell history and process lists
 */
import { existsSync, readdirSync, readFileSync, statSync } from "fs";
import { join, relative, resolve, sep } from "path";
import { contentTypeOf } from "../services/backend/src/knowledge/extract";

/** Where `npm run assistant` keeps local state: ASSISTANT_STATE_DIR, by default .assistant/ in the repository. */
export const stateDir = (env: NodeJS.ProcessEnv) => env.ASSISTANT_STATE_DIR || join(__dirname, "..", ".assistant");
export const localKeyFile = (env: NodeJS.ProcessEnv) => join(stateDir(env), "knowledge-admin-key");

export interface CliIo {
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
  cwd: string;
}

/** Every file under the paths given, folders walked recursively in name order; unsupported files are skipped. */
export function collectFiles(paths: string[], cwd: string): { files: string[]; skipped: string[]; missing: string[] } {
  const files: string[] = [];
  const skipped: string[] = [];
  const missing: string[] = [];
  const walk = (path: string) => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path).sort()) if (!name.startsWith(".")) walk(join(path, name));
    } else if (contentTypeOf(path)) files.push(path);
    else skipped.push(path);
  };
  for (const given of paths) {
    const path = resolve(cwd, given);
    if (!existsSync(path)) missing.push(given);
    else walk(path);
  }
  return { files, skipped, missing };
}

/** A file's source in the knowledge base: its path from the working directory, with forward slashes. */
export const sourceOf = (file: string, cwd: string) => relative(cwd, file).split(sep).join("/");

function adminKey(env: NodeJS.ProcessEnv): string | undefined {
  if (env.KNOWLEDGE_ADMIN_KEY) return env.KNOWLEDGE_ADMIN_KEY;
  const file = localKeyFile(env);
  return existsSync(file) ? readFileSync(file, "utf8").trim() : undefined;
}

async function call(io: CliIo, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, any> }> {
  const base = (io.env.KNOWLEDGE_URL || "http://127.0.0.1:8080").replace(/\/+$/, "");
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminKey(io.env) ?? ""}`, ...(body !== undefined && { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: Record<string, any>;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { error: { message: `answered ${response.status} with a body that is not JSON` } };
  }
  return { status: response.status, body: parsed };
}

const errorOf = (answer: { status: number; body: Record<string, any> }) => `${answer.status} ${answer.body.error?.message ?? "failed"}`;

async function add(io: CliIo, paths: string[]): Promise<number> {
  const { files, skipped, missing } = collectFiles(paths, io.cwd);
  const failures: [string, string][] = missing.map((m) => [m, "no such file or folder"]);
  const counts = { created: 0, replaced: 0, unchanged: 0 };
  for (const [i, file] of files.entries()) {
    const source = sourceOf(file, io.cwd);
    const prefix = `[${String(i + 1).padStart(String(files.length).length)}/${files.length}] ${source}`;
    try {
      const answer = await call(io, "POST", "/v1/knowledge/documents", { source, content_base64: readFileSync(file).toString("base64") });
      if (answer.status >= 300) {
        failures.push([source, errorOf(answer)]);
        io.out(`${prefix}: failed (${answer.status})`);
        continue;
      }
      const status = answer.body.status as keyof typeof counts;
      counts[status]++;
      io.out(`${prefix}: ${status}${status === "unchanged" ? "" : `, ${answer.body.chunks} passages`}`);
    } catch (error) {
      failures.push([source, `the backend could not be reached: ${(error as Error).message}`]);
      io.out(`${prefix}: failed`);
    }
  }
  io.out(`${files.length} files: ${counts.created} added, ${counts.replaced} replaced, ${counts.unchanged} unchanged, ${failures.length} failed${skipped.length ? `, ${skipped.length} skipped (not .md, .txt, .html or .pdf)` : ""}`);
  for (const [source, error] of failures) io.err(`  ${source}: ${error}`);
  return failures.length > 0 ? 1 : 0;
}

export async function runKnowledgeCli(args: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args;
  if (!adminKey(io.env)) {
    io.err("knowledge: set KNOWLEDGE_ADMIN_KEY (the backend's admin key), or start `npm run assistant` with KNOWLEDGE_ENABLED=true, which makes a local one");
    return 2;
  }
  try {
    switch (command) {
      case "add":
        if (rest.length === 0) break;
        return await add(io, rest);
      case "list": {
        const answer = await call(io, "GET", "/v1/knowledge/documents");
        if (answer.status !== 200) return io.err(`knowledge: ${errorOf(answer)}`), 1;
        for (const d of answer.body.data) io.out(`${d.id}  ${d.source}  "${d.title}"  ${d.chunks} passages  ${d.addedAt}`);
        io.out(`${answer.body.data.length} documents`);
        return 0;
      }
      case "remove": {
        if (rest.length === 0) break;
        let failed = 0;
        for (const id of rest) {
          const answer = await call(io, "DELETE", `/v1/knowledge/documents/${encodeURIComponent(id)}`);
          if (answer.status === 200) io.out(`removed ${answer.body.source}`);
          else (failed++, io.err(`${id}: ${errorOf(answer)}`));
        }
        return failed > 0 ? 1 : 0;
      }
      case "search": {
        if (rest.length === 0) break;
        const answer = await call(io, "POST", "/v1/knowledge/search", { query: rest.join(" ") });
        if (answer.status !== 200) return io.err(`knowledge: ${errorOf(answer)}`), 1;
        answer.body.data.forEach((p: { score: number; source: string; content: string }, i: number) => io.out(`[${i + 1}] ${p.score.toFixed(3)}  ${p.source}\n    ${p.content.replace(/\s+/g, " ").slice(0, 160)}`));
        if (answer.body.data.length === 0) io.out("no passage is close enough");
        return 0;
      }
    }
  } catch (error) {
    io.err(`knowledge: the backend could not be reached: ${(error as Error).message}`);
    return 1;
  }
  io.err("usage: npm run knowledge -- add <file or folder>... | list | remove <id or source>... | search <question>");
  return 2;
}

if (require.main === module) {
  runKnowledgeCli(process.argv.slice(2), { env: process.env, out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`), cwd: process.cwd() }).then((code) => process.exit(code));
}
