/**
 * The contract between the backend, which grounds answers in the team's documents, and whoever shows those answers
 * (the chat page, any OpenAI client). Sources ride as an extension field that OpenAI clients ignore:
 * - a JSON answer (`chat.completion`) carries a top-level `sources` array;
 * - a streamed answer ends, just before `data: [DONE]`, with one `chat.completion.chunk` whose `choices` is empty
 *   and which carries `sources`: the same shape OpenAI uses for its final usage chunk, so clients that already
 *   skip a chunk without choices skip this one too.
 * An answer that drew on no document has no `sources` field (never an empty array).
 */

/** One document passage an answer drew on. */
export interface AnswerSource {
  /** The citation marker's number in the answer text: `[1]` cites the source whose index is 1. */
  index: number;
  /** The document's title, for display. */
  title: string;
  /** Where the document came from: an http(s) URL, or the file name it was added from. */
  source: string;
  /** Retrieval similarity of the passage to the question, from 0 to 1. */
  score: number;
}

/** The `object` of the final streamed chunk that carries the sources (OpenAI's own chunk type). */
export const SOURCES_CHUNK_OBJECT = "chat.completion.chunk";
