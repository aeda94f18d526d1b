/**
 * The "done when", end to end: `npm run assistant` with knowledge on (the mock phase, no keys; its own local
 * pgvector database) answers a question about a document added with `npm run knowledge -- add`, citing it. The
 * command's progress lines, summary and per-file errors, and its list, search and remove, are checked on the way.
 */
import { ChildProcess, spawn } from "child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { createInterface } from "readline";
import { runKnowledgeCli } from "../../tools/knowledge";
import { makePdf } from "../services/backend/support/pdf";

const ROOT = join(__dirname, "..", "..");

describe("given `npm run assistant` with KNOWLEDGE_ENABLED=true and a folder of documents", () => {
  let state: string;
  let docs: string;
  let child: ChildProcess;
  let backendUrl: string;
  let exited: Promise<number | null>;
  const out: string[] = [];
  const err: string[] = [];
  const cli = (...args: string[]) => {
    out.length = 0;
    err.length = 0;
    return runKnowledgeCli(args, { env: { ASSISTANT_STATE_DIR: state, KNOWLEDGE_URL: backendUrl }, out: (l) => out.push(l), err: (l) => err.push(l), cwd: docs });
  };

  beforeAll(async () => {
    state = mkdtempSync(join(tmpdir(), "assistant-state-"));
    docs = mkdtempSync(join(tmpdir(), "knowledge-docs-"));
    mkdirSync(join(docs, "runbooks"));
    writeFileSync(join(docs, "runbooks", "backups.md"), "# Database backups\n\nThe knowledge database is backed up to S3 every night, and its write-ahead log is archived continuously.\n");
    writeFileSync(join(docs, "runbooks", "oncall.html"), "<html><head><title>On-call</title></head><body><p>The duty engineer answers the pager within five minutes.</p></body></html>");
    writeFileSync(join(docs, "vacation.txt"), "Employees take twenty-five days of paid vacation per year.");
    writeFileSync(join(docs, "deploy.pdf"), makePdf(["Releases are deployed on Tuesdays with the promote command."], "Deploying"));
    writeFileSync(join(docs, "broken.pdf"), "%PDF-1.4 this is not really a PDF");
    writeFileSync(join(docs, "slides.pptx"), "binary");

    child = spawn(process.execPath, ["-r", join(ROOT, "tools/register.js"), join(ROOT, "tools/assistant.ts")], {
      cwd: ROOT,
      env: { ...process.env, PORT: "0", BACKEND_PORT: "0", HOST: "127.0.0.1", MOCK_WORD_DELAY_MS: "0", KNOWLEDGE_ENABLED: "true", ASSISTANT_STATE_DIR: state, LLM_PROVIDER: "mock" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    backendUrl = await new Promise<string>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`npm run assistant stopped (exit ${code})`)));
      createInterface({ input: child.stdout! }).on("line", (line) => {
        const entry = JSON.parse(line) as { service?: string; msg?: string; backendUrl?: string };
        if (entry.service === "assistant" && entry.msg === "ready") resolve(entry.backendUrl!);
      });
    });
    // The backend makes the schema as soon as the database answers; the first add waits for it.
    for (let i = 0; i < 50; i++) {
      const ready = await fetch(`${backendUrl}/v1/knowledge/documents`, { headers: { authorization: "Bearer x" } });
      if (ready.status !== 503) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 90_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(state, { recursive: true, force: true });
    rmSync(docs, { recursive: true, force: true });
  });

  it("when the folder is added, then each file gets a progress line, and the summary names the failed file's error and the skipped one", async () => {
    expect(await cli("add", ".")).toBe(1);
    expect(out).toEqual([
      "[1/5] broken.pdf: failed (422)",
      expect.stringMatching(/^\[2\/5\] deploy\.pdf: created, 1 passages$/),
      expect.stringMatching(/^\[3\/5\] runbooks\/backups\.md: created, \d+ passages$/),
      expect.stringMatching(/^\[4\/5\] runbooks\/oncall\.html: created, \d+ passages$/),
      expect.stringMatching(/^\[5\/5\] vacation\.txt: created, \d+ passages$/),
      "5 files: 4 added, 0 replaced, 0 unchanged, 1 failed, 1 skipped (not .md, .txt, .html or .pdf)",
    ]);
    expect(err).toEqual([expect.stringMatching(/^ {2}broken\.pdf: 422 The document cannot be added: the PDF is malformed/)]);
  });

  it("when the chat is asked about an added document, then the mock answer cites it and the sources name it", async () => {
    const response = await fetch(`${backendUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "How is the knowledge database backed up?" }] }),
    });
    const body = (await response.json()) as { choices: { message: { content: string } }[]; sources: { index: number; source: string; title: string }[] };
    expect(body.choices[0].message.content).toMatch(/backed up to S3 every night.*\[1\]$/);
    expect(body.sources[0]).toMatchObject({ index: 1, source: "runbooks/backups.md", title: "Database backups" });
  });

  it("when the same files are added again, then nothing changes", async () => {
    expect(await cli("add", "runbooks", "vacation.txt")).toBe(0);
    expect(out.at(-1)).toBe("3 files: 0 added, 0 replaced, 3 unchanged, 0 failed");
  });

  it("when documents are listed, searched and removed, then the command shows each", async () => {
    expect(await cli("list")).toBe(0);
    expect(out.at(-1)).toBe("4 documents");
    expect(out.some((l) => l.includes("runbooks/oncall.html") && l.includes('"On-call"'))).toBe(true);
    expect(await cli("search", "who", "answers", "the", "pager?")).toBe(0);
    expect(out[0]).toMatch(/^\[1\] 0\.\d{3} {2}runbooks\/oncall\.html\n {4}The duty engineer answers the pager/);
    expect(await cli("remove", "runbooks/oncall.html", "nope.md")).toBe(1);
    expect(out).toEqual(["removed runbooks/oncall.html"]);
    expect(err).toEqual([expect.stringMatching(/^nope\.md: 404 /)]);
  });

  it("when the key is wrong or the command unknown, then it says so and fails", async () => {
    const wrong = await runKnowledgeCli(["list"], { env: { KNOWLEDGE_ADMIN_KEY: "wrong-key-0123456789", KNOWLEDGE_URL: backendUrl }, out: (l) => out.push(l), err: (l) => err.push(l), cwd: docs });
    expect(wrong).toBe(1);
    expect(err.at(-1)).toMatch(/^knowledge: 401 /);
    expect(await cli("frobnicate")).toBe(2);
    expect(err.at(-1)).toMatch(/^usage: npm run knowledge -- add/);
  });
});
