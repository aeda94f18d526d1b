/**
 * Splits a document's text into passages of about `size` characters, neighbours overlapping by `overlap`, so that
 * a sentence cut at one passage's end is whole at the next one's start. Cuts prefer a paragraph break, then a
 * sentence end, then a space, in the last third of the window; only a word longer than that is cut mid-word.
 */
export function chunkText(text: string, size: number, overlap: number): string[] {
  const chunks: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + size, text.length);
    if (end < text.length) {
      const window = text.slice(start, end);
      const floor = Math.floor(size * (2 / 3));
      const cut = [window.lastIndexOf("\n\n"), lastSentenceEnd(window), window.lastIndexOf(" ")].find((at) => at >= floor);
      if (cut !== undefined) end = start + cut + 1;
    }
    const chunk = text.slice(start, end).trim();
    if (chunk) chunks.push(chunk);
    if (end >= text.length) break;
    // The next passage starts `overlap` characters back, at a word boundary, and always moves forward.
    let next = Math.max(end - overlap, start + 1);
    const space = text.indexOf(" ", next);
    if (overlap > 0 && space !== -1 && space < end) next = space + 1;
    start = next;
  }
  return chunks;
}

function lastSentenceEnd(window: string): number {
  const match = /[.!?]\s(?![\s\S]*[.!?]\s)/.exec(window);
  return match ? match.index + 1 : -1;
}
