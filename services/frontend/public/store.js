// @ts-check
/**
 * The conversations the page keeps in this browser (`localStorage`, so they survive a reload and a new tab, and
 * stay on this device: nothing is stored on the server). One JSON document under one key; whatever fails to parse
 * or has the wrong shape is dropped rather than trusted.
 */

import { citedSources } from "./api.js";

/** @typedef {import("./api.js").CitedSource} CitedSource */
/**
 * One entry of a conversation. Errors and notes are shown but never sent back to the assistant; `stopped` marks an
 * answer the user stopped (a normal end, not a failure).
 * @typedef {{ role: "user" | "assistant" | "error", content: string, provider?: string, fallback?: boolean,
 *             stopped?: boolean, sources?: CitedSource[] }} Entry
 */
/**
 * @typedef {{ id: string, title: string, model: string, entries: Entry[], updated: number }} Conversation
 */

export const STORAGE_KEY = "ai-assistant.conversations";
const ROLES = ["user", "assistant", "error"];
/** Titles are the first question's start: enough to tell conversations apart in the list. */
const TITLE_LENGTH = 60;

/**
 * A title from the first question: its first line, shortened on a word boundary.
 * @param {string} question
 */
export function titleFrom(question) {
  const line = question.trim().split("\n")[0].replace(/\s+/g, " ");
  if (line.length <= TITLE_LENGTH) return line || "New chat";
  const cut = line.slice(0, TITLE_LENGTH);
  const space = cut.lastIndexOf(" ");
  return `${space > 20 ? cut.slice(0, space) : cut}…`;
}

/** @returns {Conversation} */
export function newConversation() {
  return { id: crypto.randomUUID(), title: "New chat", model: "", entries: [], updated: Date.now() };
}

/**
 * @param {any} entry
 * @returns {entry is Entry}
 */
function isEntry(entry) {
  return Boolean(entry) && typeof entry.content === "string" && ROLES.includes(entry.role);
}

/**
 * Only the fields the page knows, each of its type: storage is as editable as any input.
 * @param {Entry} entry
 * @returns {Entry}
 */
function entryOf(entry) {
  /** @type {Entry} */
  const kept = { role: entry.role, content: entry.content };
  if (typeof entry.provider === "string") kept.provider = entry.provider;
  if (entry.fallback === true) kept.fallback = true;
  if (entry.stopped === true) kept.stopped = true;
  const sources = citedSources(entry.sources);
  if (sources.length > 0) kept.sources = sources;
  return kept;
}

/**
 * @param {any} c
 * @returns {Conversation | undefined}
 */
function conversationOf(c) {
  if (!c || typeof c.id !== "string" || !Array.isArray(c.entries)) return undefined;
  return {
    id: c.id,
    title: typeof c.title === "string" && c.title.trim() ? c.title : "New chat",
    model: typeof c.model === "string" ? c.model : "",
    entries: c.entries.filter(isEntry).map(entryOf),
    updated: typeof c.updated === "number" ? c.updated : 0,
  };
}

/**
 * The stored conversations, newest first, and the id of the one last open.
 * @returns {{ conversations: Conversation[], currentId: string }}
 */
export function load() {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "{}");
    const conversations = (Array.isArray(stored.conversations) ? stored.conversations : []).map(conversationOf).filter(Boolean);
    return { conversations: /** @type {Conversation[]} */ (conversations), currentId: typeof stored.currentId === "string" ? stored.currentId : "" };
  } catch {
    return { conversations: [], currentId: "" };
  }
}

/**
 * Stores the conversations that have something in them. Returns false when storage is full or disabled (private
 * mode): the chat still works, it just will not survive a reload.
 * @param {Conversation[]} conversations
 * @param {string} currentId
 */
export function save(conversations, currentId) {
  try {
    const kept = conversations.filter((c) => c.entries.length > 0);
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ conversations: kept, currentId }));
    return true;
  } catch {
    return false;
  }
}
