// @ts-check
/**
 * Server-sent events from a fetch body, as the HTML standard parses them: lines end in LF, CRLF or CR; a blank
 * line ends an event; `data:` lines of one event join with LF; lines starting with `:` are comments. Only the
 * `data` field matters here (OpenAI's stream sends nothing else).
 */

/**
 * The `data` of each event in `body`, as the event completes.
 * @param {ReadableStream<Uint8Array>} body
 * @returns {AsyncGenerator<string, void, void>}
 */
export async function* readEventData(body) {
  const reader = body.getReader();
  // One decoder for the whole stream: a multi-byte character split across chunks decodes whole.
  const decoder = new TextDecoder();
  let buffer = "";
  /** @type {string[]} */
  let data = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += decoder.decode(value, { stream: !done });
      // A CR at the very end may be the first half of a CRLF: keep it until the next chunk (or the end) says.
      const lines = buffer.split(done ? /\r\n|\r|\n/ : /\r\n|\r(?!$)|\n/);
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        if (line === "") {
          if (data.length > 0) yield data.join("\n");
          data = [];
        } else if (line.startsWith("data:")) {
          data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
        }
      }
      if (done) break;
    }
  } finally {
    reader.releaseLock();
  }
  // A stream cut off before its blank line is incomplete: its last event is not dispatched (as in EventSource).
}
