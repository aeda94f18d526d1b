// @ts-check
/**
 * How one conversation entry looks in the page: who wrote it, which provider answered (and whether it was the
 * fallback), the text (an answer's Markdown rendered safely, a question or an error as plain text), the sources an
 * answer cites, and its actions. Rendering an answer while it streams is throttled to one render per animation
 * frame, and spaced further when a render is slow, so that a long answer never freezes the page.
 */
import { createStreamingRenderer, isWebUrl, renderMarkdown } from "./markdown.js";

/** @typedef {import("./store.js").Entry} Entry */
/** @typedef {import("./api.js").CitedSource} CitedSource */

/**
 * @param {string} tag
 * @param {string} className
 * @param {string} [text]
 */
function el(tag, className, text) {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * The numbered list of documents an answer drew on: a link for a web page (http/https only, opened without an
 * opener or referrer), the file name otherwise.
 * @param {CitedSource[]} sources
 */
function sourcesList(sources) {
  const box = el("section", "sources");
  const heading = el("h3", "sources-title", "Sources");
  const list = el("ol", "sources-list");
  for (const source of sources) {
    const item = /** @type {HTMLLIElement} */ (el("li", "source"));
    item.value = source.index;
    if (isWebUrl(source.source)) {
      const link = /** @type {HTMLAnchorElement} */ (el("a", "source-link", source.title || source.source));
      link.href = source.source;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      const host = el("span", "source-where", new URL(source.source).host);
      item.append(link, " ", host);
    } else {
      const file = source.source.split(/[\\/]/).pop() || source.source;
      item.append(el("span", "source-title", source.title || file));
      if (source.title && source.title !== file) item.append(" ", el("span", "source-where", file));
    }
    list.append(item);
  }
  box.append(heading, list);
  return box;
}

/** The parts of an entry's list item that change while it streams, in a fixed order. */
export function createItem() {
  const item = /** @type {HTMLLIElement} */ (el("li", "message"));
  const meta = el("div", "meta");
  meta.append(el("span", "who"));
  item.append(meta, el("div", "text"));
  return item;
}

/**
 * Shows `entry` in `item`: meta line, text, then note, sources and actions.
 * @param {HTMLLIElement} item
 * @param {Entry} entry
 * @param {{ last?: boolean }} [state]
 */
export function updateItem(item, entry, state = {}) {
  updateMeta(item, entry);
  updateText(item, entry);
  updateExtras(item, entry, state);
}

/**
 * The parts under an entry's text: the stopped note, the sources and the actions (Retry on the last one only).
 * @param {HTMLLIElement} item
 * @param {Entry} entry
 * @param {{ last?: boolean }} state
 */
export function updateExtras(item, entry, state) {
  item.querySelectorAll(":scope > .note, :scope > .sources, :scope > .actions").forEach((part) => part.remove());
  if (entry.stopped) item.append(el("p", "note", entry.content ? "Stopped: the answer above is as far as it got." : "Stopped before the answer began."));
  if (entry.sources && entry.sources.length > 0) item.append(sourcesList(entry.sources));
  if (entry.role !== "user" || state.last) {
    const actions = el("div", "actions");
    if (entry.role === "assistant" && entry.content) actions.append(button("copy-answer", "Copy", "Copy the answer"));
    if (state.last) actions.append(button("retry", "Retry", entry.role === "assistant" ? "Write the answer again" : "Ask again"));
    if (actions.childElementCount > 0) item.append(actions);
  }
}

/**
 * @param {string} className
 * @param {string} text
 * @param {string} title
 */
function button(className, text, title) {
  const b = /** @type {HTMLButtonElement} */ (el("button", `quiet small ${className}`, text));
  b.type = "button";
  b.title = title;
  return b;
}

/**
 * @param {HTMLLIElement} item
 * @param {Entry} entry
 */
export function updateMeta(item, entry) {
  item.className = `message ${entry.role}${entry.fallback ? " fallback" : ""}`;
  const meta = /** @type {HTMLElement} */ (item.querySelector(".meta"));
  /** @type {HTMLElement} */ (meta.querySelector(".who")).textContent = entry.role === "user" ? "You" : entry.role === "error" ? "Error" : "Assistant";
  meta.querySelectorAll(".badge").forEach((badge) => badge.remove());
  if (entry.provider) {
    const badge = el("span", "badge provider", entry.provider);
    badge.title = `answered by ${entry.provider}`;
    meta.append(badge);
  }
  if (entry.fallback) {
    const badge = el("span", "badge fallback", "fallback answer");
    badge.title = "the configured provider failed; the fallback answered";
    meta.append(badge);
  }
}

/**
 * @param {HTMLLIElement} item
 * @param {Entry} entry
 */
function updateText(item, entry) {
  const text = /** @type {HTMLElement} */ (item.querySelector(".text"));
  if (entry.role === "assistant") {
    text.classList.add("markdown");
    text.replaceChildren(renderMarkdown(entry.content));
  } else {
    // Questions and errors are plain text, whatever they contain.
    text.classList.remove("markdown");
    text.textContent = entry.content;
  }
}

/**
 * Renders streaming answers at most once per animation frame, each render costing only what is new (see
 * createStreamingRenderer), and after a slow render waits twice as long as it took before the next, so the page
 * keeps at least two thirds of its time for scrolling, typing and clicks. `afterRender` runs after each render (the
 * page keeps the newest line in view there).
 * @param {() => void} afterRender
 */
export function createRenderScheduler(afterRender) {
  /** @type {Map<HTMLLIElement, Entry>} */
  const pending = new Map();
  /** @type {WeakMap<HTMLLIElement, ReturnType<typeof createStreamingRenderer>>} */
  const renderers = new WeakMap();
  let frame = 0;
  let readyAt = 0;
  /** Figures the browser test reads: renders while streaming, and the time the last answer's ending took. */
  const stats = { renders: 0, totalMs: 0, maxMs: 0, lastFinishMs: 0 };

  /** @param {HTMLLIElement} item */
  function rendererOf(item) {
    let renderer = renderers.get(item);
    if (!renderer) {
      const text = /** @type {HTMLElement} */ (item.querySelector(".text"));
      text.classList.add("markdown");
      text.replaceChildren();
      renderer = createStreamingRenderer(text);
      renderers.set(item, renderer);
    }
    return renderer;
  }

  /** @param {() => void} work */
  function measured(work) {
    const started = performance.now();
    work();
    const took = performance.now() - started;
    stats.renders++;
    stats.totalMs += took;
    stats.maxMs = Math.max(stats.maxMs, took);
    return took;
  }

  function flush() {
    frame = 0;
    if (performance.now() < readyAt) {
      frame = requestAnimationFrame(flush);
      return;
    }
    const took = measured(() => {
      for (const [item, entry] of pending) renderSome(item, entry);
      afterRender();
    });
    readyAt = performance.now() + 2 * took;
    if (pending.size > 0) frame = requestAnimationFrame(flush);
  }

  /**
   * One bounded render of `item`. Finished blocks left over (a burst of text) keep it pending for the next frame;
   * an answer that has ended gets its last block rendered as final once nothing is left over.
   * @param {HTMLLIElement} item
   * @param {Entry} entry
   */
  function renderSome(item, entry) {
    updateMeta(item, entry);
    const renderer = rendererOf(item);
    if (renderer.update(entry.content)) return;
    pending.delete(item);
    const ended = ending.get(item);
    if (ended) {
      renderer.finish(entry.content);
      ending.delete(item);
      ended();
    }
  }

  /** @type {Map<HTMLLIElement, () => void>} */
  const ending = new Map();

  return {
    stats,
    /**
     * @param {HTMLLIElement} item
     * @param {Entry} entry
     */
    schedule(item, entry) {
      pending.set(item, entry);
      if (!frame) frame = requestAnimationFrame(flush);
    },
    /**
     * Renders what is left of an answer that has ended (or was stopped), frame by frame as while it streamed (at
     * once in a hidden tab, where frames do not run); resolves once it is all on the page.
     * @param {HTMLLIElement} item
     * @param {Entry} entry
     * @returns {Promise<void>}
     */
    finish(item, entry) {
      return new Promise((resolve) => {
        ending.set(item, resolve);
        pending.set(item, entry);
        if (document.visibilityState === "hidden") {
          while (pending.has(item)) renderSome(item, entry);
        } else if (!frame) {
          frame = requestAnimationFrame(flush);
        }
      });
    },
  };
}
