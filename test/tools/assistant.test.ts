/**
 * `npm run assistant` (tools/assistant.ts) with real processes: however it is stopped (SIGINT, SIGTERM, or killed
 * outright with SIGKILL), both servers it started stop too, and their ports close.
 */
import { ChildProcess, spawn } from "child_process";
import { readFileSync } from "fs";
import { createInterface } from "readline";
import { PROJECT_DIR } from "../support/render";

interface Assistant {
  parent: ChildProcess;
  children: number[];
  urls: string[];
}

/** A process is gone when it no longer exists or is a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function startAssistant(): Promise<Assistant> {
  const parent = spawn(process.execPath, ["-r", "./tools/register.js", "tools/assistant.ts"], {
    cwd: PROJECT_DIR,
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", BACKEND_PORT: "0", MOCK_WORD_DELAY_MS: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const ready = await new Promise<{ chatUrl: string; backendUrl: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the assistant did not start within 20 s")), 20_000);
    createInterface({ input: parent.stdout! }).on("line", (line) => {
      const entry = JSON.parse(line) as { msg?: string; chatUrl?: string; backendUrl?: string };
      if (entry.msg === "ready") {
        clearTimeout(timer);
        resolve(entry as { chatUrl: string; backendUrl: string });
      }
    });
  });
  const children = readFileSync(`/proc/${parent.pid}/task/${parent.pid}/children`, "utf8").trim().split(/\s+/).map(Number);
  return { parent, children, urls: [ready.chatUrl.replace("localhost", "127.0.0.1"), ready.backendUrl] };
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const refused = (url: string) => fetch(`${url}healthz`.replace(/([^/])healthz$/, "$1/healthz")).then(() => false, () => true);

describe("given npm run assistant running the backend and the frontend", () => {
  it.each(["SIGINT", "SIGTERM", "SIGKILL"] as const)("when it gets %s, then both servers stop and their ports close", async (signal) => {
    const { parent, children, urls } = await startAssistant();
    expect(children).toHaveLength(2);
    for (const url of urls) expect((await fetch(`${url.replace(/\/$/, "")}/healthz`)).status).toBe(200);
    parent.kill(signal);
    await until("both servers to exit", () => children.every((pid) => !alive(pid)));
    for (const url of urls) expect(await refused(url)).toBe(true);
  }, 40_000);
});
