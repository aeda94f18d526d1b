// @ts-check
/**
 * An answer's Markdown as safe DOM: parsed by `marked` (GitHub-flavoured: tables, fenced code, strikethrough),
 * sanitized by DOMPurify against a short allowlist, then finished for reading (code blocks get a language label and
 * a copy button; links open in a new tab without an opener or a referrer). Both libraries are vendored files the
 * page's own origin serves (public/vendor, pinned in package-lock.json): the CSP allows no other script.
 * HTML written in an answer is shown as the text it is (escaped before parsing ends), and DOMPurify removes anything
 * executable that would still get through: answers come from a model, which may repeat what a web page told it.
 */
import { Marked } from "./vendor/marked.esm.js";
import DOMPurify from "./vendor/purify.es.mjs";

/** @param {string} text */
function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const marked = new Marked({
  gfm: true,
  async: false,
  renderer: {
    // Raw HTML in an answer (block or inline) is shown as typed, never interpreted.
    html: ({ text }) => escapeHtml(text),
  },
});

/** What an answer may contain once rendered: Markdown's own output, nothing that loads, runs or submits. */
const SANITIZE = {
  ALLOWED_TAGS: ["p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "span", "sup", "sub", "kbd"],
  ALLOWED_ATTR: ["href", "title", "class", "align", "start"],
  ALLOW_DATA_ATTR: false,
  RETURN_DOM_FRAGMENT: true,
};

/** Links keep their href only when it is http(s); every link opens in a new tab that cannot reach back. */
DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.nodeName !== "A") return;
  const href = node.getAttribute("href") ?? "";
  if (!isWebUrl(href)) {
    node.removeAttribute("href");
    return;
  }
  node.setAttribute("target", "_blank");
  node.setAttribute("rel", "noopener noreferrer");
});

/**
 * True for an absolute http or https URL: the only links the page makes clickable.
 * @param {string} value
 */
export function isWebUrl(value) {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/**
 * The class `marked` gives a fenced block's `<code>` (`language-python`), as a label ("python"), or "".
 * @param {Element} code
 */
function languageOf(code) {
  const match = /(?:^|\s)language-([\w+#.-]{1,32})/.exec(code.className);
  return match ? match[1] : "";
}

/**
 * Each `<pre>` inside a frame with a header: the language label and a copy button (clicks are handled by the
 * page, which finds the code next to the button).
 * @param {DocumentFragment} fragment
 */
function frameCodeBlocks(fragment) {
  for (const pre of fragment.querySelectorAll("pre")) {
    const code = pre.querySelector("code");
    const frame = document.createElement("div");
    frame.className = "code-block";
    const head = document.createElement("div");
    head.className = "code-head";
    const label = document.createElement("span");
    label.className = "code-lang";
    label.textContent = code ? languageOf(code) || "text" : "text";
    const copy = document.createElement("button");
    copy.type = "button";
    copy.className = "copy-code quiet";
    copy.textContent = "Copy code";
    head.append(label, copy);
    pre.replaceWith(frame);
    // Scrollable code must be reachable by keyboard (axe: scrollable-region-focusable).
    pre.tabIndex = 0;
    frame.append(head, pre);
  }
}

/**
 * HTML from `marked` as a sanitized fragment with framed code blocks, ready to put in the page.
 * @param {string} html
 * @returns {DocumentFragment}
 */
function safeFragment(html) {
  const fragment = /** @type {DocumentFragment} */ (/** @type {unknown} */ (DOMPurify.sanitize(html, SANITIZE)));
  frameCodeBlocks(fragment);
  return fragment;
}

/**
 * `markdown` as a sanitized fragment, ready to put in the page.
 * @param {string} markdown
 * @returns {DocumentFragment}
 */
export function renderMarkdown(markdown) {
  return safeFragment(/** @type {string} */ (marked.parse(markdown)));
}

/** Enough for a screenful of new text per frame at any speed a model streams. */
const FINISHED_BLOCKS_PER_RENDER = 40;
/** Characters of a backlog read per render: far more than 40 blocks of any usual size. */
const LEX_WINDOW = 16_384;

/**
 * The index of the last token that is not blank space, or -1.
 * @param {import("./vendor/marked.esm.js").Token[]} tokens
 */
function lastBlock(tokens) {
  let last = tokens.length - 1;
  while (last >= 0 && tokens[last].type === "space") last--;
  return last;
}

/**
 * Renders a growing answer into `container` in time proportional to what is new, not to the whole answer: the
 * blocks before the last one are finished (Markdown cannot change a block once another block follows it), so they
 * are rendered once and kept; only the last block is rendered again as it grows. `finish` renders the rest.
 * @param {HTMLElement} container
 */
export function createStreamingRenderer(container) {
  /** Characters of the answer already rendered as finished blocks, and the nodes they became. */
  let done = 0;
  let kept = 0;
  /**
   * Renders the answer so far; returns true when finished blocks were left for the next call: a render adds at most
   * FINISHED_BLOCKS_PER_RENDER of them, so a burst of text is spread over several frames instead of one long task.
   * @param {string} markdown the whole answer so far
   * @param {boolean} final
   * @returns {boolean}
   */
  function render(markdown, final) {
    // As marked's lexer reads line ends, so that offsets into the answer match the tokens' raw text.
    const source = markdown.replace(/\r\n?/g, "\n").slice(done);
    // With a backlog, only its start is read: blocks before the last one read there are finished whatever follows.
    let cut = !final && source.length > LEX_WINDOW;
    let tokens = marked.lexer(cut ? source.slice(0, LEX_WINDOW) : source);
    let last = lastBlock(tokens);
    if (cut && last <= 0) {
      // One block longer than the window (a long code block): read it all.
      cut = false;
      tokens = marked.lexer(source);
      last = lastBlock(tokens);
    }
    const ready = final ? tokens.length : Math.max(0, last);
    const finished = final ? ready : Math.min(ready, FINISHED_BLOCKS_PER_RENDER);
    const more = finished < ready || (cut && finished > 0);
    const block = (/** @type {import("./vendor/marked.esm.js").Token[]} */ part) => safeFragment(/** @type {string} */ (marked.parser(Object.assign(part, { links: tokens.links }))));
    // The previous render's unfinished tail goes; finished blocks are added once; the new tail follows them.
    while (container.childNodes.length > kept) /** @type {ChildNode} */ (container.lastChild).remove();
    if (finished > 0) {
      const fragment = block(tokens.slice(0, finished));
      kept += fragment.childNodes.length;
      done += tokens.slice(0, finished).reduce((sum, token) => sum + token.raw.length, 0);
      container.append(fragment);
    }
    // The growing last block shows once the backlog before it is drained.
    if (!final && !more) container.append(block(tokens.slice(finished)));
    return more;
  }
  return {
    /** @param {string} markdown */
    update: (markdown) => render(markdown, false),
    /** @param {string} markdown */
    finish: (markdown) => void render(markdown, true),
  };
}
