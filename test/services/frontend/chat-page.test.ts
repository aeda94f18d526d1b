/**
 * The chat page in a real browser: headless Chromium (Debian's `chromium`, driven by playwright-core), one browser
 * for the file and a fresh context (empty storage, own viewport) per test, so no test sees another's page.
 * - Against the real assistant (`npm run assistant`: backend and frontend from source, on free ports): a question
 *   streams its mock answer; the conversation survives a reload; a gone backend shows as an error; a failing hosted
 *   API with the mock as fallback shows the fallback's answer, marked.
 * - Against a stand-in backend behind the real frontend server (chat-page-stand-in.ts): Markdown, hostile HTML,
 *   sources, the newest line's visibility at desktop and phone sizes, conversations, the model picker, stop and
 *   retry, keyboard-only use, axe, the size of the page's JavaScript, layout shift and rendering 10,000 tokens.
 *   Whatever must be looked at while an answer streams uses a held answer, which waits for the test to release it,
 *   so no assertion races the end of a stream on a slow machine.
 * Screenshots and the measured figures go to artifacts/ (gitignored) for CI to keep.
 * Without chromium the test fails in CI (`CI` set) and is skipped elsewhere.
 */
import { ChildProcess, spawn } from "child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import { join } from "path";
import { createInterface } from "readline";
import { gzipSync } from "zlib";
import { Browser, BrowserContextOptions, chromium, Page } from "playwright-core";
import { FALLBACK_ANSWER, mockAnswer } from "../../../services/backend/src/providers/mock";
import { HOSTILE_ANSWER, MODELS, startStandIn, StandIn } from "./chat-page-stand-in";

const ROOT = join(__dirname, "../../..");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = join(ROOT, "artifacts");
const MISSING = `chromium not found at ${CHROMIUM}: install it with \`apt-get install --no-install-recommends chromium\` (Debian's package), or set CHROMIUM_PATH.`;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

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

/**
 * Headless Chromium with background networking off (this machine has no internet). playwright gives the browser a
 * new, empty profile directory of its own (--user-data-dir) and removes it on close.
 */
function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** Types `question` into the message box as a user would, and sends it with Enter. */
async function ask(page: Page, question: string): Promise<void> {
  await page.getByLabel("Message").click();
  await page.keyboard.type(question);
  await page.keyboard.press("Enter");
}

/** The `n`th answer (1-based) once it has finished streaming. */
async function answer(page: Page, n: number) {
  const item = page.locator("#conversation > .message.assistant").nth(n - 1);
  await item.locator(".actions").waitFor();
  return {
    item,
    // The rendered Markdown's text, without the line breaks its blocks end with.
    text: (await item.locator(".text").textContent())?.trim(),
    provider: await item.locator(".badge.provider").textContent(),
    fallbackMarks: await item.locator(".badge.fallback").allTextContents(),
  };
}

/** Records, in the page, every text the newest answer shows while it streams, so a test can see it grow. */
const RECORD_ANSWER_TEXT = `
  window.seen = [];
  new MutationObserver(() => {
    const texts = document.querySelectorAll(".message.assistant .text");
    const last = (texts[texts.length - 1]?.textContent ?? "").trim();
    if (last && window.seen[window.seen.length - 1] !== last) window.seen.push(last);
  }).observe(document.getElementById("conversation"), { subtree: true, childList: true, characterData: true });
`;

/**
 * Where the newest line of the conversation is, against the conversation's scroll box and the composer (all in
 * viewport pixels): the bottom of the last line box of the last text in the conversation.
 */
const NEWEST_LINE = `(() => {
  const list = document.getElementById("conversation");
  const walker = document.createTreeWalker(list, NodeFilter.SHOW_TEXT, { acceptNode: (n) => n.textContent.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP });
  let last = null;
  while (walker.nextNode()) last = walker.currentNode;
  const range = document.createRange();
  range.selectNodeContents(last);
  const rects = range.getClientRects();
  const line = rects[rects.length - 1];
  return {
    lineTop: line.top,
    lineBottom: line.bottom,
    boxTop: document.getElementById("scroller").getBoundingClientRect().top,
    composerTop: document.getElementById("composer").getBoundingClientRect().top,
    viewportHeight: innerHeight,
    text: last.textContent,
  };
})()`;

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
    jest.setTimeout(90_000);
    let browser: Browser;
    const contexts: Awaited<ReturnType<Browser["newContext"]>>[] = [];
    /** A new page in a new context: its own storage, cookies and viewport. */
    async function freshPage(url: string, options: BrowserContextOptions = {}): Promise<Page> {
      const context = await browser.newContext({ viewport: DESKTOP, ...options });
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(url);
      return page;
    }
    beforeAll(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      browser = await launchBrowser();
    });
    afterEach(async () => {
      await Promise.all(contexts.splice(0).map((context) => context.close()));
    });
    afterAll(async () => {
      await browser?.close();
    });

    describe("given the real assistant in the mock phase", () => {
      let assistant: Awaited<ReturnType<typeof startAssistant>>;
      beforeAll(async () => {
        assistant = await startAssistant({ LLM_PROVIDER: "mock" });
      });
      afterAll(() => assistant?.stop());

      it("when a question is typed and Enter pressed, then the mock answer streams in, badged with its provider, and focus is back in the box", async () => {
        const page = await freshPage(assistant.chatUrl);
        await page.evaluate(RECORD_ANSWER_TEXT);
        await ask(page, "What does this stack deploy?");
        const first = await answer(page, 1);
        expect(first.text).toBe(mockAnswer([{ role: "user", content: "What does this stack deploy?" }]));
        expect(first.provider).toBe("mock");
        expect(first.fallbackMarks).toEqual([]);
        // It arrived in pieces, each a longer start of the final answer: streamed, not shown at the end.
        const seen = await page.evaluate<string[]>("window.seen");
        expect(seen.length).toBeGreaterThan(1);
        expect(seen.every((text) => first.text!.startsWith(text))).toBe(true);
        expect(await page.locator("#prompt:focus").count()).toBe(1);
      });

      it("when Shift+Enter is pressed, then a new line starts and nothing is sent", async () => {
        const page = await freshPage(assistant.chatUrl);
        let sent = 0;
        page.on("request", (request) => void (request.url().endsWith("/v1/chat/completions") && sent++));
        await page.getByLabel("Message").click();
        await page.keyboard.type("first line");
        await page.keyboard.press("Shift+Enter");
        await page.keyboard.type("second line");
        expect(await page.getByLabel("Message").inputValue()).toBe("first line\nsecond line");
        expect(sent).toBe(0);
      });

      it("when the page is reloaded and a follow-up asked, then the conversation is still there and sent whole", async () => {
        const page = await freshPage(assistant.chatUrl);
        const chatRequests: { messages: { role: string; content: string }[] }[] = [];
        page.on("request", (request) => {
          if (request.url().endsWith("/v1/chat/completions")) chatRequests.push(JSON.parse(request.postData() ?? "{}"));
        });
        await ask(page, "What does this stack deploy?");
        await answer(page, 1);
        await page.reload();
        await page.locator("#conversation > .message.assistant .actions").waitFor();
        expect(await page.locator("#conversation > .message").count()).toBe(2);
        await ask(page, "hello again");
        const second = await answer(page, 2);
        expect(second.text).toBe(mockAnswer([{ role: "user", content: "hello again" }]));
        expect(chatRequests.at(-1)!.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
        expect(chatRequests.at(-1)!.messages[1].content).toBe(mockAnswer([{ role: "user", content: "What does this stack deploy?" }]));
      });

      // Last in this block: it stops the assistant the tests above use.
      it("when the assistant is gone, then sending shows the failure as a message and Send works again", async () => {
        const page = await freshPage(assistant.chatUrl);
        await assistant.stop();
        await ask(page, "are you there?");
        const error = page.locator("#conversation > .message.error");
        await error.waitFor();
        expect(await error.count()).toBe(1);
        expect(await error.locator(".text").textContent()).toBe("The answer failed: the assistant cannot be reached; check your connection and try again.");
        expect(await page.getByRole("button", { name: "Send" }).isEnabled()).toBe(true);
      });
    });

    describe("given a hosted API that fails and the mock as fallback", () => {
      let hosted: Awaited<ReturnType<typeof failingHostedApi>>;
      let assistant: Awaited<ReturnType<typeof startAssistant>>;
      beforeAll(async () => {
        hosted = await failingHostedApi();
        assistant = await startAssistant({
          LLM_PROVIDER: "openai-compatible",
          LLM_BASE_URL: hosted.baseUrl,
          LLM_MODEL: "stand-in-model",
          LLM_API_KEY: "test-key",
          LLM_FALLBACK: "mock",
          LLM_MAX_RETRIES: "1",
        });
      });
      afterAll(async () => {
        await assistant?.stop();
        hosted?.close();
      });

      it("when a question is asked, then the fallback's answer is shown and plainly marked as a fallback", async () => {
        const page = await freshPage(assistant.chatUrl);
        await ask(page, "Which provider answers?");
        const first = await answer(page, 1);
        expect(hosted.calls()).toBeGreaterThanOrEqual(1);
        expect(first.text).toBe(FALLBACK_ANSWER);
        expect(first.provider).toBe("mock");
        expect(first.fallbackMarks).toEqual(["fallback answer"]);
        await page.screenshot({ path: join(ARTIFACTS, "chat-fallback.png") });
      });
    });

    describe("given a stand-in backend behind the real frontend server", () => {
      let standIn: StandIn;
      beforeAll(async () => {
        // The frontend server logs each request on stdout; these tests read the page, not the log.
        jest.spyOn(process.stdout, "write").mockImplementation(() => true);
        standIn = await startStandIn();
      });
      afterAll(async () => {
        await standIn?.close();
        jest.restoreAllMocks();
      });

      it("when an answer is Markdown, then it shows headings, emphasis, lists, a table, safe links and a labelled code block whose copy button copies the code", async () => {
        const page = await freshPage(standIn.chatUrl, { permissions: ["clipboard-read", "clipboard-write"] });
        await ask(page, "markdown please");
        const { item } = await answer(page, 1);
        const text = item.locator(".text");
        expect(await text.locator("h2").textContent()).toBe("Scaling the backend");
        expect(await text.locator("h2 strong").textContent()).toBe("backend");
        expect(await text.locator("p em").first().textContent()).toBe("replicas");
        expect(await text.locator("ol > li").allTextContents()).toEqual(["run npm run render", "review the plan diff"]);
        expect(await text.locator("del").textContent()).toBe("plan");
        expect(await text.locator("table tbody tr").count()).toBe(2);
        expect(await text.locator("table th").allTextContents()).toEqual(["Phase", "Pods"]);
        const link = text.getByRole("link", { name: "the docs" });
        expect(await link.getAttribute("href")).toBe("https://example.com/docs");
        expect(await link.getAttribute("target")).toBe("_blank");
        expect(await link.getAttribute("rel")).toBe("noopener noreferrer");
        // A javascript: link keeps its words and loses its href.
        expect(await text.locator("a", { hasText: "this" }).getAttribute("href")).toBeNull();
        const code = text.locator(".code-block");
        expect(await code.locator(".code-lang").textContent()).toBe("python");
        await code.getByRole("button", { name: "Copy code" }).click();
        await code.getByRole("button", { name: "Copied" }).waitFor();
        expect(await page.evaluate("navigator.clipboard.readText()")).toBe("def replicas(load):\n    return max(2, load // 100)\n");
        await item.getByRole("button", { name: "Copy", exact: true }).click();
        await item.locator(".actions").getByRole("button", { name: "Copied" }).waitFor();
        expect(await page.evaluate("navigator.clipboard.readText()")).toContain("## Scaling the **backend**");
        await page.screenshot({ path: join(ARTIFACTS, "chat-markdown-desktop.png") });
        await page.setViewportSize(PHONE);
        await item.locator(".code-block").scrollIntoViewIfNeeded();
        await page.screenshot({ path: join(ARTIFACTS, "chat-markdown-phone.png") });
        // At the narrowest phone width nothing sticks out sideways: wide code and tables scroll inside the answer.
        await page.setViewportSize({ width: 320, height: 640 });
        expect(await page.evaluate("[document.documentElement.scrollWidth, document.getElementById('scroller').scrollWidth]")).toEqual([320, 320]);
        expect(await page.getByRole("button", { name: "Send" }).isVisible()).toBe(true);
        await page.screenshot({ path: join(ARTIFACTS, "chat-markdown-320.png") });
      });

      it("when an answer (or a question) holds HTML, then it shows as text and nothing in it runs or loads", async () => {
        const page = await freshPage(standIn.chatUrl);
        const loaded: string[] = [];
        page.on("request", (request) => void (request.url().includes("pixel") || request.url().endsWith("/x") ? loaded.push(request.url()) : undefined));
        await ask(page, "hostile <img src=x onerror=\"window.__xss='question'\">");
        const { item } = await answer(page, 1);
        // Shown as typed: the markup is visible text, not elements.
        expect(await item.locator(".text").textContent()).toContain("<img src=x onerror=\"window.__xss='img'\">");
        expect(await item.locator(".text").textContent()).toContain("<script>window.__xss='script'</script>");
        expect(await item.locator(".text strong").textContent()).toBe("still bold");
        expect(await page.locator("#conversation img, #conversation script, #conversation iframe, #conversation [onerror]").count()).toBe(0);
        expect(await page.locator("#conversation > .message.user .text").textContent()).toBe("hostile <img src=x onerror=\"window.__xss='question'\">");
        expect(await page.evaluate("window.__xss")).toBeUndefined();
        expect(loaded).toEqual([]);
        expect(HOSTILE_ANSWER).toContain("onerror");
      });

      it("when an answer cites sources, then they are listed by number under it: web pages as safe links, files by name", async () => {
        const page = await freshPage(standIn.chatUrl);
        await ask(page, "sources please");
        const { item } = await answer(page, 1);
        const sources = item.locator(".sources li");
        expect(await sources.count()).toBe(3);
        expect(await sources.evaluateAll((lis) => lis.map((li) => (li as unknown as { value: number }).value))).toEqual([1, 2, 3]);
        const web = sources.nth(0).getByRole("link");
        expect(await web.textContent()).toBe("Scaling guide");
        expect(await web.getAttribute("href")).toBe("https://docs.example.com/scaling?x=1");
        expect(await web.getAttribute("rel")).toBe("noopener noreferrer");
        expect(await sources.nth(0).textContent()).toContain("docs.example.com");
        expect(await sources.nth(1).textContent()).toBe("Runbook on-call.md");
        expect(await sources.nth(1).getByRole("link").count()).toBe(0);
        expect(await sources.nth(2).getByRole("link").count()).toBe(0);
        // Kept with the conversation.
        await page.reload();
        expect(await page.locator(".sources li").count()).toBe(3);
      });

      for (const [name, size] of [["desktop", DESKTOP], ["phone", PHONE]] as const) {
        it(`at ${size.width}x${size.height} (${name}), the newest line stays in view above the composer while an answer streams, until the user scrolls up; then "Jump to latest" brings it back`, async () => {
          const phone = name === "phone";
          const page = await freshPage(standIn.chatUrl, { viewport: size, isMobile: phone, hasTouch: phone });
          await ask(page, "held 20");
          if (phone) await page.getByRole("button", { name: "Send" }).tap();
          const streaming = page.locator(".message.assistant[aria-busy]");
          const positions = [];
          for (const lines of [3, 12, 20]) {
            await streaming.locator(".text p").nth(lines - 1).waitFor();
            positions.push(await page.evaluate<{ lineTop: number; lineBottom: number; boxTop: number; composerTop: number; text: string }>(NEWEST_LINE));
          }
          for (const at of positions) {
            expect([at.text, at.lineBottom <= at.composerTop + 0.5]).toEqual([at.text, true]);
            expect([at.text, at.lineTop >= at.boxTop]).toEqual([at.text, true]);
          }
          // The answer is longer than the screen by now: the page has scrolled to follow it.
          expect(await page.locator("#scroller").evaluate((el) => el.scrollTop)).toBeGreaterThan(0);
          await page.screenshot({ path: join(ARTIFACTS, `chat-streaming-${name}.png`) });

          // The user scrolls up to read: the page stops following and offers the way back.
          await page.locator("#scroller").evaluate((el) => el.scrollBy(0, -400));
          const jump = page.getByRole("button", { name: /Jump to latest/ });
          await jump.waitFor();
          const readingAt = await page.locator("#scroller").evaluate((el) => el.scrollTop);
          standIn.more(8);
          await streaming.locator(".text p").nth(27).waitFor();
          expect(await page.locator("#scroller").evaluate((el) => el.scrollTop)).toBe(readingAt);
          await jump.click();
          const back = await page.evaluate<{ lineBottom: number; composerTop: number; boxTop: number; lineTop: number }>(NEWEST_LINE);
          expect(back.lineBottom).toBeLessThanOrEqual(back.composerTop + 0.5);
          expect(back.lineTop).toBeGreaterThanOrEqual(back.boxTop);
          standIn.release();
          await answer(page, 1);
          await page.screenshot({ path: join(ARTIFACTS, `chat-${name}.png`) });
        });
      }

      it("when there are several conversations, then each is listed by its first question, survives a reload, and can be reopened, renamed and deleted", async () => {
        const page = await freshPage(standIn.chatUrl);
        const titles = () => page.locator("#conversations .open-conversation").allTextContents();
        await ask(page, "first question about scaling");
        await answer(page, 1);
        await page.getByRole("button", { name: "New chat" }).click();
        expect(await page.locator("#conversation > .message").count()).toBe(0);
        await ask(page, "second question");
        await answer(page, 1);
        expect(await titles()).toEqual(["second question", "first question about scaling"]);

        await page.reload();
        await page.locator("#conversations .open-conversation").first().waitFor();
        expect(await titles()).toEqual(["second question", "first question about scaling"]);
        expect(await page.locator("#conversation > .message.user .text").allTextContents()).toEqual(["second question"]);
        await page.getByRole("button", { name: "first question about scaling", exact: true }).click();
        expect(await page.locator("#conversation > .message.user .text").allTextContents()).toEqual(["first question about scaling"]);
        expect(await page.locator("#conversations [aria-current]").textContent()).toBe("first question about scaling");

        // Renamed with the keyboard alone: Enter on Rename, type, Enter.
        await page.getByRole("button", { name: "Rename “first question about scaling”" }).focus();
        await page.keyboard.press("Enter");
        await page.keyboard.press("Control+A");
        await page.keyboard.type("Scaling notes");
        await page.keyboard.press("Enter");
        expect(await titles()).toEqual(["second question", "Scaling notes"]);

        page.once("dialog", (dialog) => void dialog.accept());
        await page.getByRole("button", { name: "Delete “second question”" }).click();
        expect(await titles()).toEqual(["Scaling notes"]);
        await page.reload();
        await page.locator("#conversations .open-conversation").first().waitFor();
        expect(await titles()).toEqual(["Scaling notes"]);
        expect(await page.locator("#conversation > .message.user .text").allTextContents()).toEqual(["first question about scaling"]);
      });

      it("when a model is picked, then the questions of that conversation go to it, and each conversation remembers its own", async () => {
        const page = await freshPage(standIn.chatUrl);
        const picker = page.getByLabel("Model");
        await page.locator("#model option").nth(2).waitFor({ state: "attached" });
        expect(await page.locator("#model option").allTextContents()).toEqual(["Default model", ...MODELS]);
        await ask(page, "with the default");
        await answer(page, 1);
        expect(standIn.requests.at(-1)!.model).toBeUndefined();

        await picker.selectOption("large-model");
        await ask(page, "with the large one");
        await answer(page, 2);
        expect(standIn.requests.at(-1)!.model).toBe("large-model");

        await page.getByRole("button", { name: "New chat" }).click();
        await picker.selectOption("small-model");
        await ask(page, "with the small one");
        await answer(page, 1);
        expect(standIn.requests.at(-1)!.model).toBe("small-model");

        await page.getByRole("button", { name: "with the default", exact: true }).click();
        expect(await picker.inputValue()).toBe("large-model");
        await page.reload();
        await page.locator("#model option").nth(2).waitFor({ state: "attached" });
        expect(await page.getByLabel("Model").inputValue()).toBe("large-model");
        await page.getByRole("button", { name: "with the small one", exact: true }).click();
        expect(await page.getByLabel("Model").inputValue()).toBe("small-model");
      });

      it("when an answer is stopped, then it stays as a stopped answer, not an error; Retry asks the same again and replaces it", async () => {
        const page = await freshPage(standIn.chatUrl);
        await ask(page, "held 3");
        await page.locator(".message.assistant[aria-busy] .text p").nth(2).waitFor();
        await page.getByRole("button", { name: "Stop" }).click();
        const stopped = page.locator("#conversation > .message.assistant");
        await stopped.locator(".note").waitFor();
        expect(await stopped.locator(".note").textContent()).toBe("Stopped: the answer above is as far as it got.");
        expect(await stopped.locator(".text p").allTextContents()).toEqual([1, 2, 3].map((n) => `Line ${n} of the answer, held.`));
        expect(await page.locator(".message.error").count()).toBe(0);
        expect(await page.getByRole("button", { name: "Send" }).isVisible()).toBe(true);
        expect(await page.locator("#prompt:focus").count()).toBe(1);
        const asked = standIn.requests.length;

        await stopped.getByRole("button", { name: "Retry" }).click();
        await page.locator(".message.assistant .note").waitFor({ state: "detached" });
        await page.locator(".message.assistant[aria-busy] .text p").nth(2).waitFor();
        standIn.release();
        const again = await answer(page, 1);
        expect(standIn.requests.length).toBe(asked + 1);
        expect(standIn.requests.at(-1)).toEqual(standIn.requests.at(-2));
        expect(await page.locator("#conversation > .message.assistant").count()).toBe(1);
        expect(again.text).toMatch(/Line 3 of the answer, held\.$/);
        expect(await page.locator(".message.assistant .note").count()).toBe(0);
      });

      it("when Escape is pressed mid-answer, then the answer stops where it is, marked as stopped, and focus stays in the message box", async () => {
        const page = await freshPage(standIn.chatUrl);
        await ask(page, "held 2");
        await page.locator(".message.assistant[aria-busy] .text p").nth(1).waitFor();
        await page.keyboard.press("Escape");
        await page.locator(".message.assistant .note").waitFor();
        expect(await page.locator(".message.assistant .text p").allTextContents()).toEqual(["Line 1 of the answer, held.", "Line 2 of the answer, held."]);
        expect(await page.locator(".message.error").count()).toBe(0);
        expect(await page.locator("#prompt:focus").count()).toBe(1);
      });

      it("when the page is reloaded while an answer streams, then the question stays and Retry asks it again", async () => {
        const page = await freshPage(standIn.chatUrl);
        await ask(page, "held 2");
        await page.locator(".message.assistant[aria-busy] .text p").nth(1).waitFor();
        await page.reload();
        const question = page.locator("#conversation > .message.user");
        await question.getByRole("button", { name: "Retry" }).click();
        await page.locator(".message.assistant[aria-busy] .text p").nth(1).waitFor();
        standIn.release();
        const again = await answer(page, 1);
        expect(again.text).toMatch(/Line 2 of the answer, held\.$/);
        expect(standIn.requests.at(-1)!.messages).toEqual([{ role: "user", content: "held 2" }]);
        expect(await question.getByRole("button", { name: "Retry" }).count()).toBe(0);
      });

      it("with the keyboard alone, a question is asked, the answer copied and a new chat started; focus is always visible; the answer is announced once, whole", async () => {
        const page = await freshPage(standIn.chatUrl, { permissions: ["clipboard-read", "clipboard-write"] });
        await page.evaluate(`
          window.announced = [];
          new MutationObserver(() => {
            const text = document.getElementById("announcer").textContent;
            if (text) window.announced.push(text);
          }).observe(document.getElementById("announcer"), { subtree: true, childList: true, characterData: true });
        `);
        // The page starts with focus in the message box.
        expect(await page.evaluate("document.activeElement.id")).toBe("prompt");
        await page.keyboard.type("markdown please");
        await page.keyboard.press("Enter");
        await answer(page, 1);
        await page.waitForFunction("window.announced.length > 0");
        const announced = await page.evaluate<string[]>("window.announced");
        expect(announced).toEqual([expect.stringMatching(/^Answer from stand-in: Scaling the backend Set replicas in Pulumi\.dev\.yaml, then: .* See the docs or this\.$/)]);
        expect(announced[0]).toContain("def replicas(load): return max(2, load // 100)");
        expect(announced[0]).not.toContain("Copy code");
        // The streaming answer was hidden from screen readers until complete, and the list is no live region.
        expect(await page.locator("#conversation").getAttribute("aria-live")).toBeNull();

        // Every stop of a full Tab cycle shows where focus is.
        const stops: { name: string; outline: string }[] = [];
        for (let i = 0; i < 14; i++) {
          await page.keyboard.press("Tab");
          // Past the last control focus leaves the page for the browser's own UI (the body is active): not a stop.
          const stop = await page.evaluate<{ name: string; outline: string } | null>(`(() => { const el = document.activeElement; if (el === document.body) return null; const style = getComputedStyle(el); return { name: (el.textContent || el.id || el.tagName).trim().slice(0, 30), outline: style.outlineStyle + " " + style.outlineWidth }; })()`);
          if (stop) stops.push(stop);
        }
        expect(stops.filter((stop) => stop.outline !== "solid 3px")).toEqual([]);
        expect(stops.map((stop) => stop.name)).toEqual(expect.arrayContaining(["New chat", "Copy code", "Copy", "Retry", "prompt", "Send"]));

        // Back from the message box to the answer's Copy button, and on to New chat.
        await page.getByLabel("Message").focus();
        for (let i = 0; i < 6 && (await page.evaluate("document.activeElement.textContent")) !== "Copy"; i++) await page.keyboard.press("Shift+Tab");
        await page.keyboard.press("Enter");
        await page.locator(".actions").getByRole("button", { name: "Copied" }).waitFor();
        expect(await page.evaluate("navigator.clipboard.readText()")).toContain("## Scaling the **backend**");
        await page.getByRole("button", { name: "New chat" }).focus();
        await page.keyboard.press("Enter");
        expect(await page.locator("#conversation > .message").count()).toBe(0);
        expect(await page.evaluate("document.activeElement.id")).toBe("prompt");
      });

      for (const colorScheme of ["light", "dark"] as const) {
        it(`in ${colorScheme} mode, with a conversation of Markdown, code, sources and a stopped answer in it, axe finds no serious or critical violation`, async () => {
          // axe is injected as a script: the page's CSP would refuse it, so this context bypasses CSP (axe only).
          const page = await freshPage(standIn.chatUrl, { colorScheme, bypassCSP: true });
          await ask(page, "markdown please");
          await answer(page, 1);
          await ask(page, "sources please");
          await answer(page, 2);
          await ask(page, "held 2");
          await page.locator(".message.assistant[aria-busy] .text p").nth(1).waitFor();
          await page.keyboard.press("Escape");
          await page.locator(".message.assistant .note").waitFor();
          await page.screenshot({ path: join(ARTIFACTS, `chat-${colorScheme}.png`) });
          await page.addScriptTag({ content: readFileSync(require.resolve("axe-core/axe.min.js"), "utf8") });
          const result = await page.evaluate<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[]; passes: unknown[] }>("axe.run(document)");
          const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(" ")) }));
          expect(serious).toEqual([]);
          // axe did check things (a run that checks nothing passes trivially).
          expect(result.passes.length).toBeGreaterThan(10);
        });
      }

      it("on first load, the page's JavaScript is under 100 KB compressed, the Markdown parser and sanitizer included", async () => {
        const context = await browser.newContext({ viewport: DESKTOP });
        contexts.push(context);
        const page = await context.newPage();
        const scripts: { url: string; raw: number; gzip: number; transferred: number; encoding?: string }[] = [];
        const seen: Promise<void>[] = [];
        page.on("response", (response) => {
          if (response.request().resourceType() !== "script") return;
          seen.push(
            (async () => {
              const body = await response.body();
              const { responseBodySize } = await response.request().sizes();
              const encoding = (await response.allHeaders())["content-encoding"];
              scripts.push({ url: new URL(response.url()).pathname, raw: body.length, gzip: gzipSync(body, { level: 6 }).length, transferred: responseBodySize, encoding });
            })(),
          );
        });
        await page.goto(standIn.chatUrl, { waitUntil: "networkidle" });
        await Promise.all(seen);
        const paths = scripts.map((s) => s.url).sort();
        expect(paths).toEqual(["/api.js", "/app.js", "/markdown.js", "/sse.js", "/store.js", "/vendor/marked.esm.js", "/vendor/purify.es.mjs", "/view.js"]);
        const sum = (key: "raw" | "gzip" | "transferred") => scripts.reduce((total, s) => total + s[key], 0);
        const total = { raw: sum("raw"), gzip: sum("gzip"), transferred: sum("transferred") };
        // Measured both ways: gzip of what the page runs, and the bytes the frontend actually sent (gzipped too).
        expect(total.gzip).toBeLessThan(100 * 1024);
        expect(total.transferred).toBeLessThan(100 * 1024);
        expect(scripts.filter((s) => s.encoding !== "gzip").map((s) => s.url)).toEqual([]);
        writeFileSync(join(ARTIFACTS, "chat-page-size.json"), `${JSON.stringify({ total, scripts }, null, 2)}\n`);
      });

      it("when 10,000 tokens of Markdown stream in, then nothing shifts, the page stays responsive and the whole answer renders", async () => {
        const page = await freshPage(standIn.chatUrl);
        await page.evaluate(`
          window.figures = { shifts: 0, longTasks: [], frameGaps: [] };
          new PerformanceObserver((list) => { for (const e of list.getEntries()) if (!e.hadRecentInput) window.figures.shifts += e.value; }).observe({ type: "layout-shift" });
          new PerformanceObserver((list) => { for (const e of list.getEntries()) window.figures.longTasks.push(e.duration); }).observe({ type: "longtask" });
          let last = performance.now();
          const tick = (now) => { window.figures.frameGaps.push(now - last); last = now; if (!window.figures.done) requestAnimationFrame(tick); };
          requestAnimationFrame(tick);
        `);
        await page.getByLabel("Message").fill("long 10000");
        const started = Date.now();
        await page.getByRole("button", { name: "Send" }).click();
        const long = await answer(page, 1);
        const elapsedMs = Date.now() - started;
        const figures = await page.evaluate<{ shifts: number; longTasks: number[]; frameGaps: number[] }>("window.figures.done = true, window.figures");
        const render = await page.evaluate<{ renders: number; totalMs: number; maxMs: number; lastFinishMs: number }>("window.chatRenderStats");
        expect(await long.item.locator(".text h3").count()).toBeGreaterThan(100);
        expect(await long.item.locator(".text .code-block").count()).toBeGreaterThan(100);
        const summary = {
          tokens: 10000,
          streamMs: standIn.lastEndedAt() - started,
          elapsedMs,
          cumulativeLayoutShift: Math.round(figures.shifts * 10000) / 10000,
          longTasks: figures.longTasks.length,
          longestTaskMs: Math.round(Math.max(0, ...figures.longTasks)),
          totalBlockingMs: Math.round(figures.longTasks.reduce((sum, d) => sum + Math.max(0, d - 50), 0)),
          longestFrameGapMs: Math.round(Math.max(...figures.frameGaps)),
          renders: render.renders,
          renderTotalMs: Math.round(render.totalMs),
          longestRenderMs: Math.round(render.maxMs),
          finishMs: Math.round(render.lastFinishMs),
        };
        writeFileSync(join(ARTIFACTS, "chat-page-rendering.json"), `${JSON.stringify(summary, null, 2)}\n`);
        // Rendered block by block as it streamed, it is the same as rendered whole (as after a reload).
        const streamed = await long.item.locator(".text").innerHTML();
        await page.reload();
        expect(await page.locator("#conversation > .message.assistant .text").innerHTML()).toBe(streamed);
        // No layout shift at all while it streams (the good-CLS line is 0.1).
        expect(summary.cumulativeLayoutShift).toBeLessThan(0.01);
        // Re-rendering is throttled: far fewer renders than tokens, and no render long enough to feel like a freeze.
        expect(summary.renders).toBeLessThan(1000);
        expect(summary.longestFrameGapMs).toBeLessThan(1000);
      });

      it("on a touch screen, Enter makes a new line and the Send button sends", async () => {
        const page = await freshPage(standIn.chatUrl, { viewport: PHONE, isMobile: true, hasTouch: true });
        const before = standIn.requests.length;
        await page.getByLabel("Message").tap();
        await page.keyboard.type("line one");
        await page.keyboard.press("Enter");
        await page.keyboard.type("line two");
        expect(await page.getByLabel("Message").inputValue()).toBe("line one\nline two");
        expect(standIn.requests.length).toBe(before);
        await page.getByRole("button", { name: "Send" }).tap();
        await answer(page, 1);
        expect(standIn.requests.at(-1)!.messages.at(-1)!.content).toBe("line one\nline two");
        // The conversations open as a drawer over the chat.
        await page.getByRole("button", { name: "Chats" }).tap();
        await page.getByRole("button", { name: "line one", exact: true }).waitFor();
        expect(await page.getByRole("button", { name: "Chats" }).getAttribute("aria-expanded")).toBe("true");
        // Once the drawer has slid in (0.15 s).
        await page.waitForTimeout(400);
        await page.screenshot({ path: join(ARTIFACTS, "chat-phone-conversations.png") });
        await page.getByRole("button", { name: "New chat" }).tap();
        await page.locator("#sidebar").waitFor({ state: "hidden" });
        // Opened again, a tap beside it closes it.
        await page.getByRole("button", { name: "Chats" }).tap();
        await page.getByRole("button", { name: "line one", exact: true }).waitFor();
        await page.waitForTimeout(400);
        await page.touchscreen.tap(370, 420);
        await page.locator("#sidebar").waitFor({ state: "hidden" });
      });
    });
  });
}
