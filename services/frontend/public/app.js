// @ts-check
/**
 * The chat page: keeps the conversation (sent whole with each question, kept in sessionStorage so that a reload
 * keeps it), streams each answer into the page as it arrives, and says who answered. Keyboard: Enter sends,
 * Shift+Enter adds a line, Escape stops an answer; focus stays in (or returns to) the message box.
 */
import { ChatError, streamChat } from "./api.js";

/**
 * One entry of the conversation as the page keeps it. Errors are shown but never sent back to the assistant.
 * @typedef {{ role: "user" | "assistant" | "error", content: string, provider?: string, fallback?: boolean }} Entry
 */

const STORAGE_KEY = "ai-assistant.conversation";

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
function element(id, type) {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page has no #${id}`);
  return found;
}

const form = element("composer", HTMLFormElement);
const prompt = element("prompt", HTMLTextAreaElement);
const send = element("send", HTMLButtonElement);
const stop = element("stop", HTMLButtonElement);
const newChat = element("new-chat", HTMLButtonElement);
const list = element("conversation", HTMLOListElement);
const empty = element("empty", HTMLParagraphElement);
const status = element("status", HTMLParagraphElement);

/** @returns {Entry[]} */
function loadConversation() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? "[]");
    return Array.isArray(stored) ? stored.filter((e) => e && typeof e.content === "string" && ["user", "assistant", "error"].includes(e.role)) : [];
  } catch {
    return [];
  }
}

/** @type {Entry[]} */
let conversation = loadConversation();
/** @type {AbortController | undefined} */
let inFlight;

function save() {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(conversation));
  } catch {
    // Storage full or disabled (private mode): the chat still works, it just will not survive a reload.
  }
}

/**
 * The list item of one entry. Its parts are filled in by `update`.
 * @param {Entry} entry
 */
function render(entry) {
  const item = document.createElement("li");
  const meta = document.createElement("div");
  meta.className = "meta";
  const who = document.createElement("span");
  who.className = "who";
  const text = document.createElement("div");
  text.className = "text";
  meta.append(who);
  item.append(meta, text);
  update(item, entry);
  list.append(item);
  empty.hidden = true;
  item.scrollIntoView({ block: "end" });
  return item;
}

/**
 * Shows `entry` in `item`: its text, and for an answer the provider badge and the fallback mark.
 * @param {HTMLLIElement} item
 * @param {Entry} entry
 */
function update(item, entry) {
  item.className = `message ${entry.role}${entry.fallback ? " fallback" : ""}`;
  const meta = /** @type {HTMLElement} */ (item.querySelector(".meta"));
  const who = /** @type {HTMLElement} */ (meta.querySelector(".who"));
  who.textContent = entry.role === "user" ? "You" : entry.role === "error" ? "Error" : "Assistant";
  meta.querySelectorAll(".badge").forEach((badge) => badge.remove());
  if (entry.provider) {
    const badge = document.createElement("span");
    badge.className = "badge provider";
    badge.textContent = entry.provider;
    badge.title = `answered by ${entry.provider}`;
    meta.append(badge);
  }
  if (entry.fallback) {
    const badge = document.createElement("span");
    badge.className = "badge fallback";
    badge.textContent = "fallback answer";
    badge.title = "the configured provider failed; the fallback answered";
    meta.append(badge);
  }
  /** @type {HTMLElement} */ (item.querySelector(".text")).textContent = entry.content;
}

/** @param {boolean} busy */
function setBusy(busy) {
  send.disabled = busy;
  stop.hidden = !busy;
  newChat.disabled = busy;
}

/** @param {string} question */
async function ask(question) {
  const history = conversation.filter((e) => e.role !== "error").map((e) => ({ role: /** @type {"user" | "assistant"} */ (e.role), content: e.content }));
  /** @type {Entry} */
  const asked = { role: "user", content: question };
  conversation.push(asked);
  save();
  render(asked);

  /** @type {Entry} */
  const answer = { role: "assistant", content: "" };
  const item = render(answer);
  // Screen readers wait for the whole answer instead of reading every word as it streams in.
  item.setAttribute("aria-busy", "true");
  inFlight = new AbortController();
  setBusy(true);
  status.textContent = "The assistant is answering…";
  try {
    await streamChat({
      messages: [...history, { role: "user", content: question }],
      signal: inFlight.signal,
      onStart: (source) => {
        answer.provider = source.provider;
        answer.fallback = source.fallback;
        update(item, answer);
      },
      onDelta: (text) => {
        answer.content += text;
        update(item, answer);
        item.scrollIntoView({ block: "end" });
      },
    });
    conversation.push(answer);
    status.textContent = answer.fallback ? `Answered by the fallback, ${answer.provider}.` : `Answered by ${answer.provider}.`;
  } catch (err) {
    const stopped = inFlight.signal.aborted;
    if (answer.content) {
      // Keep what arrived: it is part of the conversation the user saw.
      conversation.push(answer);
    } else {
      item.remove();
    }
    /** @type {Entry} */
    const failure = { role: "error", content: stopped ? "Stopped." : err instanceof ChatError ? `The answer failed: ${err.message}.` : "The answer failed." };
    conversation.push(failure);
    render(failure);
    status.textContent = failure.content;
  } finally {
    item.removeAttribute("aria-busy");
    inFlight = undefined;
    setBusy(false);
    save();
    prompt.focus();
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const question = prompt.value.trim();
  if (!question || inFlight) return;
  prompt.value = "";
  void ask(question);
});

prompt.addEventListener("keydown", (event) => {
  // Not while an input method composes (Japanese, Chinese, …): there Enter confirms the composition.
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && inFlight) inFlight.abort();
});

stop.addEventListener("click", () => inFlight?.abort());

newChat.addEventListener("click", () => {
  conversation = [];
  save();
  list.replaceChildren();
  empty.hidden = false;
  status.textContent = "New chat started.";
  prompt.focus();
});

for (const entry of conversation) render(entry);
prompt.focus();
