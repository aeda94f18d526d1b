/**
 * The chat page in a real browser against the real assistant: headless Chromium (Debian's `chromium`, driven by
 * playwright-core) opens the page that `npm run assistant` serves (tools/assistant.ts: the backend and the frontend
 * from source, on free ports), types a question and reads the answer as it streams in; then, with the backend's
 * hosted provider failing (a stand-in answering 500 in OpenAI's error format) and the mock as fallback, sees the
 * fallback's answer marked as such. Screenshots go to artifacts/ for CI to keep.
 * Without chromium the test fails in CI (`CI` set) and is skipped elsewhere.
 */
import { ChildProcess, spawn } from "child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import { tmpdir } from "os";
import { join } from "path";
import { createInterface } from "readline";
import { BrowserContext, chromium, Page } from "playwright-core";
import { FALLBACK_ANSWER, mockAnswer } from "../../../services/backend/src/providers/mock";

const ROOT = join(__dirname, "../../..");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = join(ROOT, "artifacts");
const MISSING = `chromium not found at ${CHROMIUM}: install it with \`apt-get install --no-install-recommends chromium\` (Debian's package), or set CHROMIUM_PATH.`;

/** `npm run assistant` on free ports; resolves once it says where the chat is. */
async function startAssistant(env: Record<string, string>): Promise<{ chatUrl: string; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ["-r", join(ROOT, "tools/register.js"), join(ROOT, "tools/assistant.ts")], {
    cwd: ROOT,
    env: { ...process.env, PORT: "0", BACKEND_PORT: "0", HOST: "127.0.0.1", MOCK_WORD_DELAY_MS: "30", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const chatUrl = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`npm run assistant stopped (exit ${code}): ${stderr}`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const entry = JSON.parse(line) as { service?: string; msg?: string; chatUrl?: string };
      // 127.0.0.1 rather than localhost: both servers listen on IPv4 loopback only here.
      if (entry.service === "assistant" && entry.msg === "ready") resolve(entry.chatUrl!.replace("localhost", "127.0.0.1"));
    });
  });
  return {
    chatUrl,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** A hosted API that fails every chat request with a 500, in OpenAI's error format. */
async function failingHostedApi(): Promise<{ baseUrl: string; calls: () => number; close: () => void }> {
  let calls = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.url?.endsWith("/chat/completions")) calls++;
      res.writeHead(500, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: { message: "The server had an error while processing your request.", type: "server_error", param: null, code: null } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, calls: () => calls, close: () => server.close() };
}

/** Headless Chromium with a fresh profile, and with background networking off: this machine has no internet. */
async function launchBrowser(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), "chat-page-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 900, height: 700 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Records, in the page, every text the newest answer shows while it streams, so a test can see it grow. A script
 * string: it runs in the browser, and the tests are type-checked without the DOM library.
 */
const RECORD_ANSWER_TEXT = `
  window.seen = [];
  new MutationObserver(() => {
    const texts = document.querySelectorAll(".message.assistant .text");
    const last = texts[texts.length - 1]?.textContent ?? "";
    if (last && window.seen[window.seen.length - 1] !== last) window.seen.push(last);
  }).observe(document.getElementById("conversation"), { subtree: true, childList: true, characterData: true });
`;

/** Types `question` into the message box as a user would, and sends it with Enter. */
async function ask(page: Page, question: string): Promise<void> {
  await page.getByLabel("Message").click();
  await page.keyboard.type(question);
  await page.keyboard.press("Enter");
}

/** The newest answer, once it has finished streaming. */
async function lastAnswer(page: Page) {
  const answer = page.locator(".message.assistant").last();
  await answer.locator(".text").filter({ hasText: /\S/ }).waitFor();
  await page.locator(".message.assistant[aria-busy]").waitFor({ state: "detached" });
  return {
    text: await answer.locator(".text").textContent(),
    provider: await answer.locator(".badge.provider").textContent(),
    fallbackMarks: await answer.locator(".badge.fallback").allTextContents(),
  };
}

const chromiumMissing = !existsSync(CHROMIUM);

if (chromiumMissing && process.env.CI) {
  it("given CI, then chromium is installed, because the chat page is only proven in a browser", () => {
    throw new Error(MISSING);
  });
} else if (chromiumMissing) {
  console.warn(`Skipping the chat page's browser test: ${MISSING}`);
  it.skip("the chat page in a browser (chromium missing)", () => undefined);
} else {
  describe("the chat page in a browser", () => {
    jest.setTimeout(60_000);
    type Assistant = Awaited<ReturnType<typeof startAssistant>>;
    let browser: Awaited<ReturnType<typeof launchBrowser>>;
    let hosted: Awaited<ReturnType<typeof failingHostedApi>>;
    let mockPhase: Assistant;
    let withFallback: Assistant;
    // The browser and both assistants start side by side: each takes a second or two.
    beforeAll(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      hosted = await failingHostedApi();
      [browser, mockPhase, withFallback] = await Promise.all([
        launchBrowser(),
        startAssistant({ LLM_PROVIDER: "mock" }),
        startAssistant({
          LLM_PROVIDER: "openai-compatible",
          LLM_BASE_URL: hosted.baseUrl,
          LLM_MODEL: "stand-in-model",
          LLM_API_KEY: "test-key",
          LLM_FALLBACK: "mock",
          LLM_MAX_RETRIES: "1",
        }),
      ]);
    });
    afterAll(async () => {
      await Promise.all([browser?.close(), mockPhase?.stop(), withFallback?.stop()]);
      hosted?.close();
    });

    describe("given the assistant in the mock phase", () => {
      let page: Page;
      const chatRequests: { messages: { role: string; content: string }[] }[] = [];
      beforeAll(async () => {
        page = await browser.context.newPage();
        page.on("request", (request) => {
          if (request.url().endsWith("/v1/chat/completions")) chatRequests.push(JSON.parse(request.postData() ?? "{}"));
        });
        await page.goto(mockPhase.chatUrl);
      });

      it("when a question is typed and Enter pressed, then the mock answer streams in, badged with its provider", async () => {
        await page.evaluate(RECORD_ANSWER_TEXT);
        await ask(page, "What does this stack deploy?");
        const answer = await lastAnswer(page);
        expect(answer.text).toBe(mockAnswer([{ role: "user", content: "What does this stack deploy?" }]));
        expect(answer.provider).toBe("mock");
        expect(answer.fallbackMarks).toEqual([]);
        // It arrived in pieces, each a longer start of the final answer: streamed, not shown at the end.
        const seen = await page.evaluate<string[]>("window.seen");
        expect(seen.length).toBeGreaterThan(3);
        expect(seen.every((text) => answer.text!.startsWith(text))).toBe(true);
        // Focus is back in the message box for the next question.
        expect(await page.locator("#prompt:focus").count()).toBe(1);
        await page.screenshot({ path: join(ARTIFACTS, "chat.png"), fullPage: true });
      });

      it("when Shift+Enter is pressed, then a new line starts and nothing is sent", async () => {
        const before = chatRequests.length;
        await page.getByLabel("Message").click();
        await page.keyboard.type("first line");
        await page.keyboard.press("Shift+Enter");
        await page.keyboard.type("second line");
        expect(await page.getByLabel("Message").inputValue()).toBe("first line\nsecond line");
        expect(chatRequests.length).toBe(before);
        await page.getByLabel("Message").fill("");
      });

      it("when the page is reloaded and a follow-up asked, then the conversation is still there and sent whole", async () => {
        await page.reload();
        await expect(page.locator(".message").count()).resolves.toBe(2);
        await ask(page, "hello again");
        const answer = await lastAnswer(page);
        expect(answer.text).toBe(mockAnswer([{ role: "user", content: "hello again" }]));
        expect(chatRequests.at(-1)!.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
        expect(chatRequests.at(-1)!.messages[1].content).toBe(mockAnswer([{ role: "user", content: "What does this stack deploy?" }]));
      });

      it("when Escape is pressed mid-answer, then the answer stops, what arrived stays, and the page says it stopped", async () => {
        await ask(page, "Tell me a long story");
        const streaming = page.locator(".message.assistant[aria-busy] .text");
        await streaming.filter({ hasText: /\S/ }).waitFor();
        await page.keyboard.press("Escape");
        const stopped = page.locator(".message.error").last();
        await stopped.waitFor();
        expect(await stopped.locator(".text").textContent()).toBe("Stopped.");
        const partial = await page.locator(".message.assistant .text").last().textContent();
        const whole = mockAnswer([{ role: "user", content: "Tell me a long story" }]);
        expect(partial!.length).toBeGreaterThan(0);
        expect(partial!.length).toBeLessThan(whole.length);
        expect(whole.startsWith(partial!)).toBe(true);
        expect(await page.locator("#prompt:focus").count()).toBe(1);
      });

      it("when the assistant is gone, then sending shows the failure as a message", async () => {
        await mockPhase.stop();
        await ask(page, "are you there?");
        const error = page.locator(".message.error").last();
        await error.waitFor();
        expect(await error.locator(".text").textContent()).toBe("The answer failed: the assistant cannot be reached; check your connection and try again.");
        expect(await page.getByRole("button", { name: "Send" }).isEnabled()).toBe(true);
      });
    });

    describe("given a hosted API that fails and the mock as fallback", () => {
      let page: Page;
      beforeAll(async () => {
        page = await browser.context.newPage();
        await page.goto(withFallback.chatUrl);
        // sessionStorage belongs to one tab: a new page starts with an empty conversation.
        await expect(page.locator(".message").count()).resolves.toBe(0);
      });

      it("when a question is asked, then the fallback's answer is shown and plainly marked as a fallback", async () => {
        await ask(page, "Which provider answers?");
        const answer = await lastAnswer(page);
        expect(hosted.calls()).toBeGreaterThanOrEqual(1);
        expect(answer.text).toBe(FALLBACK_ANSWER);
        expect(answer.provider).toBe("mock");
        expect(answer.fallbackMarks).toEqual(["fallback answer"]);
        await page.screenshot({ path: join(ARTIFACTS, "chat-fallback.png"), fullPage: true });
      });
    });
  });
}
