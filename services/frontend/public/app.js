// @ts-check
/**
 * The chat page: conversations kept in this browser (store.js), each sent whole with each question; answers stream
 * in as Markdown (view.js, markdown.js) with who answered and the sources they cite; a model picker fed by
 * `GET /v1/models` and remembered per conversation; stop, retry and copy. Keyboard: Enter sends (on a touch screen it
 * makes a new line and the Send button sends), Shift+Enter adds a line, Escape stops an answer.
 * Screen readers hear each answer once, when it is complete, through one status region.
 */
import { ChatError, listModels, streamChat } from "./api.js";
import { load, newConversation, save, titleFrom } from "./store.js";
import { createItem, createRenderScheduler, updateExtras, updateItem } from "./view.js";

/** @typedef {import("./store.js").Entry} Entry */
/** @typedef {import("./store.js").Conversation} Conversation */

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
const announcer = element("announcer", HTMLParagraphElement);
const scroller = element("scroller", HTMLElement);
const jump = element("jump", HTMLButtonElement);
const hint = element("hint", HTMLParagraphElement);
const sidebar = element("sidebar", HTMLElement);
const toggleSidebar = element("toggle-sidebar", HTMLButtonElement);
const conversationList = element("conversations", HTMLUListElement);
const modelPicker = element("model-picker", HTMLSpanElement);
const modelSelect = element("model", HTMLSelectElement);

/** A touch screen's keyboard has no Shift+Enter: there Enter makes a new line and the Send button sends. */
const touch = matchMedia("(pointer: coarse)").matches;
if (touch) hint.textContent = "Enter starts a new line; the Send button sends.";

const stored = load();
/** @type {Conversation[]} */
let conversations = stored.conversations.sort((a, b) => b.updated - a.updated);
/** @type {Conversation} */
let current = conversations.find((c) => c.id === stored.currentId) ?? newConversation();
/** @type {AbortController | undefined} */
let inFlight;
/** True while the view follows the newest line; false once the user scrolls up to read. */
let following = true;
let lastScrollTop = 0;

function persist() {
  if (!conversations.includes(current) && current.entries.length > 0) conversations.unshift(current);
  save(conversations, current.id);
}

/** @param {string} text */
function announce(text) {
  // Cleared first so that the same words said twice are still announced.
  announcer.textContent = "";
  requestAnimationFrame(() => (announcer.textContent = text));
}

// ---- Keeping the newest line in view ----------------------------------------------------------------------------

function distanceFromBottom() {
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
}

function followIfFollowing() {
  if (following) scroller.scrollTop = scroller.scrollHeight;
  jump.hidden = following || distanceFromBottom() < 8;
}

scroller.addEventListener(
  "scroll",
  () => {
    const top = scroller.scrollTop;
    // The page only ever scrolls down by itself: a move up is the user's, and stops the following.
    if (top < lastScrollTop - 1) following = false;
    if (distanceFromBottom() < 8) following = true;
    lastScrollTop = top;
    jump.hidden = following || distanceFromBottom() < 8;
  },
  { passive: true },
);

jump.addEventListener("click", () => {
  following = true;
  followIfFollowing();
  prompt.focus();
});

const renderer = createRenderScheduler(followIfFollowing);
// The browser test reads the render figures here.
Object.defineProperty(window, "chatRenderStats", { value: renderer.stats });

// ---- The conversation on screen ---------------------------------------------------------------------------------

/** @type {Map<Entry, HTMLLIElement>} */
let items = new Map();

function lastEntry() {
  return current.entries[current.entries.length - 1];
}

/**
 * @param {Entry} entry
 * @param {{ streaming?: boolean }} [state]
 */
function show(entry, state = {}) {
  const item = createItem();
  if (state.streaming) item.classList.add("assistant");
  else updateItem(item, entry, { last: entry === lastEntry() && !inFlight });
  list.append(item);
  items.set(entry, item);
  empty.hidden = true;
  return item;
}

/** Redraws the actions of every entry: only the last answer offers Retry. */
function refreshLast() {
  for (const [entry, item] of items) {
    if (item.querySelector(".actions .retry") !== null) updateExtras(item, entry, { last: false });
  }
  const last = lastEntry();
  const item = last && items.get(last);
  // A question left without an answer (the page was reloaded while it streamed) can be asked again too.
  if (item) updateExtras(item, last, { last: !inFlight });
}

function showConversation() {
  list.replaceChildren();
  items = new Map();
  for (const entry of current.entries) show(entry);
  empty.hidden = current.entries.length > 0;
  modelSelect.value = [...modelSelect.options].some((o) => o.value === current.model) ? current.model : "";
  renderConversationList();
  following = true;
  scroller.scrollTop = scroller.scrollHeight;
  lastScrollTop = scroller.scrollTop;
  jump.hidden = true;
}

/** @param {boolean} busy */
function setBusy(busy) {
  send.hidden = busy;
  stop.hidden = !busy;
  newChat.disabled = busy;
  conversationList.querySelectorAll("button").forEach((b) => (b.disabled = busy));
  modelSelect.disabled = busy;
}

// ---- Asking and answering ---------------------------------------------------------------------------------------

/** Streams an answer to the conversation as it stands (which ends with the user's question). */
async function answer() {
  // Errors are the page's, and an answer stopped before it began has nothing to send.
  const history = current.entries.filter((e) => e.role !== "error" && e.content !== "").map((e) => ({ role: /** @type {"user" | "assistant"} */ (e.role), content: e.content }));
  /** @type {Entry} */
  const entry = { role: "assistant", content: "" };
  const item = show(entry, { streaming: true });
  // Screen readers skip the answer while it streams; the status region reads it once, whole.
  item.setAttribute("aria-busy", "true");
  inFlight = new AbortController();
  const signal = inFlight.signal;
  setBusy(true);
  refreshLast();
  followIfFollowing();
  /** What the status region says once the answer is complete (its final render included). */
  let spoken = () => "";
  try {
    await streamChat({
      messages: history,
      model: current.model || undefined,
      signal,
      onStart: (source) => {
        entry.provider = source.provider;
        entry.fallback = source.fallback;
        renderer.schedule(item, entry);
      },
      onDelta: (text) => {
        entry.content += text;
        renderer.schedule(item, entry);
      },
      onSources: (sources) => (entry.sources = sources),
    });
    current.entries.push(entry);
    spoken = () => `${entry.fallback ? `Fallback answer from ${entry.provider}` : `Answer from ${entry.provider}`}: ${spokenText(item)}`;
  } catch (err) {
    if (signal.aborted) {
      // Stopping is the user's choice, not a failure: what arrived stays, marked as stopped.
      entry.stopped = true;
      current.entries.push(entry);
      spoken = () => "Stopped.";
    } else {
      if (entry.content) current.entries.push(entry);
      else {
        item.remove();
        items.delete(entry);
      }
      /** @type {Entry} */
      const failure = { role: "error", content: err instanceof ChatError ? `The answer failed: ${err.message}.` : "The answer failed." };
      current.entries.push(failure);
      show(failure);
      spoken = () => failure.content;
    }
  } finally {
    const finishing = performance.now();
    if (items.has(entry)) {
      await renderer.finish(item, entry);
      updateExtras(item, entry, { last: entry === lastEntry() });
    }
    item.removeAttribute("aria-busy");
    inFlight = undefined;
    current.updated = Date.now();
    setBusy(false);
    refreshLast();
    persist();
    renderConversationList();
    followIfFollowing();
    prompt.focus();
    announce(spoken());
    renderer.stats.lastFinishMs = performance.now() - finishing;
  }
}

/**
 * An answer's words as a screen reader should hear them once: the rendered text without the code blocks' labels
 * and buttons, its white space collapsed.
 * @param {HTMLElement} item
 */
function spokenText(item) {
  const text = item.querySelector(".text");
  if (!text) return "";
  const words = [];
  const walker = document.createTreeWalker(text, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => (node instanceof Element && node.classList.contains("code-head") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  for (let length = 0; walker.nextNode() && length < SPOKEN_LENGTH; ) {
    if (walker.currentNode.nodeType === Node.TEXT_NODE) {
      words.push(walker.currentNode.nodeValue ?? "");
      length += words[words.length - 1].length;
    }
  }
  const spoken = words.join("").replace(/\s+/g, " ").trim();
  return spoken.length > SPOKEN_LENGTH ? `${spoken.slice(0, SPOKEN_LENGTH)}… The whole answer is in the conversation.` : spoken;
}

/** A long answer is read up to here once; the rest is in the conversation, where a screen reader can go on. */
const SPOKEN_LENGTH = 2000;

/** @param {string} question */
function ask(question) {
  /** @type {Entry} */
  const asked = { role: "user", content: question };
  if (current.entries.length === 0) current.title = titleFrom(question);
  current.entries.push(asked);
  refreshLast();
  show(asked);
  following = true;
  persist();
  renderConversationList();
  void answer();
}

/** Drops the last answer (or error) and asks the same question again. */
function retry() {
  if (inFlight) return;
  let end = current.entries.length;
  while (end > 0 && current.entries[end - 1].role !== "user") end--;
  if (end === 0) return;
  for (const entry of current.entries.slice(end)) {
    items.get(entry)?.remove();
    items.delete(entry);
  }
  current.entries = current.entries.slice(0, end);
  following = true;
  void answer();
}

/**
 * Copies `text`, and says so on the button that asked.
 * @param {string} text
 * @param {HTMLButtonElement} origin
 */
async function copy(text, origin) {
  const label = origin.textContent;
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch {
    copied = false;
  }
  origin.textContent = copied ? "Copied" : "Copy failed";
  announce(copied ? "Copied to the clipboard." : "Copying failed: select the text and copy it instead.");
  setTimeout(() => (origin.textContent = label), 2000);
}

list.addEventListener("click", (event) => {
  const target = /** @type {HTMLElement} */ (event.target);
  const clicked = target.closest("button");
  if (!clicked) return;
  const item = clicked.closest("li.message");
  const entry = [...items].find(([, li]) => li === item)?.[0];
  if (clicked.classList.contains("copy-code")) {
    void copy(clicked.closest(".code-block")?.querySelector("pre")?.textContent ?? "", clicked);
  } else if (clicked.classList.contains("copy-answer") && entry) {
    void copy(entry.content, clicked);
  } else if (clicked.classList.contains("retry")) {
    retry();
  }
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const question = prompt.value.trim();
  if (!question || inFlight) return;
  prompt.value = "";
  fitPrompt();
  ask(question);
});

prompt.addEventListener("keydown", (event) => {
  // Not while an input method composes (Japanese, Chinese, …): there Enter confirms the composition.
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !touch) {
    event.preventDefault();
    form.requestSubmit();
  }
});

/** The message box grows with what is typed, up to a third of the screen, then scrolls. */
function fitPrompt() {
  prompt.style.height = "auto";
  prompt.style.height = `${Math.min(prompt.scrollHeight + 2, Math.round(innerHeight / 3))}px`;
}
prompt.addEventListener("input", fitPrompt);

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && inFlight) inFlight.abort();
  else if (event.key === "Escape") closeSidebar(true);
});

stop.addEventListener("click", () => inFlight?.abort());

// ---- Conversations ----------------------------------------------------------------------------------------------

/** Closes the conversation drawer (narrow screens); `refocus` puts focus back on the button that opened it. */
function closeSidebar(refocus = false) {
  if (!sidebar.classList.contains("open")) return;
  sidebar.classList.remove("open");
  toggleSidebar.setAttribute("aria-expanded", "false");
  if (refocus) toggleSidebar.focus();
}

// A tap or click beside the open drawer closes it, as on any phone.
document.addEventListener("click", (event) => {
  const target = /** @type {Node} */ (event.target);
  if (sidebar.classList.contains("open") && !sidebar.contains(target) && !toggleSidebar.contains(target)) closeSidebar();
});

toggleSidebar.addEventListener("click", () => {
  const open = !sidebar.classList.contains("open");
  sidebar.classList.toggle("open", open);
  toggleSidebar.setAttribute("aria-expanded", String(open));
  if (open) /** @type {HTMLElement | null} */ (sidebar.querySelector("button"))?.focus();
});

/** @param {Conversation} conversation */
function open(conversation) {
  current = conversation;
  persist();
  showConversation();
  closeSidebar();
  prompt.focus();
}

/**
 * A button of the conversation list; an icon button (`action` given) gets the action as its tooltip and, for screen
 * readers, the action with the conversation's title.
 * @param {string} className
 * @param {string} text
 * @param {string} [action]
 * @param {string} [title]
 */
function listButton(className, text, action, title) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = className;
  button.textContent = text;
  if (action) {
    button.title = action;
    button.setAttribute("aria-label", `${action} “${title}”`);
  }
  return button;
}

function renderConversationList() {
  const shown = conversations.filter((c) => c.entries.length > 0);
  conversationList.replaceChildren(
    ...shown.map((c) => {
      const li = document.createElement("li");
      li.className = "conversation-entry";
      li.dataset.id = c.id;
      const openButton = listButton("quiet open-conversation", c.title);
      if (c === current) openButton.setAttribute("aria-current", "true");
      const rename = listButton("quiet small rename", "✎", "Rename", c.title);
      const remove = listButton("quiet small delete", "×", "Delete", c.title);
      const actions = document.createElement("span");
      actions.className = "entry-actions";
      actions.append(rename, remove);
      li.append(openButton, actions);
      return li;
    }),
  );
  if (inFlight) conversationList.querySelectorAll("button").forEach((b) => (b.disabled = true));
}

/**
 * An input in place of the title: Enter or leaving it keeps the new name, Escape keeps the old one.
 * @param {Conversation} conversation
 * @param {HTMLLIElement} li
 */
function startRename(conversation, li) {
  const input = document.createElement("input");
  input.type = "text";
  input.className = "rename-input";
  input.value = conversation.title;
  input.maxLength = 120;
  input.setAttribute("aria-label", "New name of the conversation");
  let done = false;
  /** @param {boolean} keep */
  const finish = (keep) => {
    if (done) return;
    done = true;
    const name = input.value.trim().replace(/\s+/g, " ");
    if (keep && name) conversation.title = name;
    persist();
    renderConversationList();
    /** @type {HTMLElement | null} */ (conversationList.querySelector(`li[data-id="${conversation.id}"] .rename`))?.focus();
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      finish(true);
    } else if (event.key === "Escape") {
      event.stopPropagation();
      finish(false);
    }
  });
  input.addEventListener("blur", () => finish(true));
  li.replaceChildren(input);
  input.focus();
  input.select();
}

conversationList.addEventListener("click", (event) => {
  const clicked = /** @type {HTMLElement} */ (event.target).closest("button");
  const li = /** @type {HTMLLIElement | null} */ (clicked?.closest("li") ?? null);
  const conversation = conversations.find((c) => c.id === li?.dataset.id);
  if (!clicked || !li || !conversation || inFlight) return;
  if (clicked.classList.contains("open-conversation")) open(conversation);
  else if (clicked.classList.contains("rename")) startRename(conversation, li);
  else if (clicked.classList.contains("delete")) {
    if (!confirm(`Delete the conversation “${conversation.title}”? This cannot be undone.`)) return;
    conversations = conversations.filter((c) => c !== conversation);
    if (conversation === current) {
      current = newConversation();
      current.model = modelSelect.value;
      showConversation();
    }
    persist();
    renderConversationList();
    announce(`Deleted “${conversation.title}”.`);
    (/** @type {HTMLElement | null} */ (conversationList.querySelector(".open-conversation")) ?? newChat).focus();
  }
});

newChat.addEventListener("click", () => {
  const fresh = newConversation();
  fresh.model = modelSelect.value;
  open(fresh);
  announce("New chat started.");
});

// ---- Models -----------------------------------------------------------------------------------------------------

modelSelect.addEventListener("change", () => {
  current.model = modelSelect.value;
  persist();
});

async function loadModels() {
  const ids = await listModels();
  if (ids.length === 0) return;
  const options = [new Option("Default model", ""), ...ids.map((id) => new Option(id, id))];
  // A model a conversation used that the backend no longer lists stays choosable, marked as such.
  if (current.model && !ids.includes(current.model)) options.push(new Option(`${current.model} (not listed)`, current.model));
  modelSelect.replaceChildren(...options);
  modelSelect.value = current.model;
  modelPicker.hidden = false;
}

// ---- Start ------------------------------------------------------------------------------------------------------

showConversation();
fitPrompt();
prompt.focus();
void loadModels();
