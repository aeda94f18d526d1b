/**
 * Turns text into vectors for the knowledge base and the semantic cache. Two kinds:
 * - `OpenAiEmbedder`: the phase's provider's OpenAI-compatible `POST /v1/embeddings` (OpenAI, Hugging Face's router,
 *   vLLM or Ollama serving an embedding model) through the official SDK, in batches;
 * - `LocalEmbedder`: the mock phase's, so the whole path works without keys or GPUs. It hashes words and character
 *   trigrams into a fixed number of dimensions (the "hashing trick"), then normalises the vector to length 1. Texts
 *   that share words land close together; it knows no synonyms, which is what a real embedding model is for.
 */
import { createHash } from "crypto";
import OpenAI from "openai";
import { EmbeddingsSettings } from "../../../../lib/backend-env";
import { httpFetch } from "../providers/http-fetch";

export interface Embedder {
  readonly model: string;
  readonly dimensions: number;
  /** One vector per text, in order, each of `dimensions` numbers with length 1. Throws {@link EmbeddingError}. */
  embed(texts: string[], signal?: AbortSignal): Promise<number[][]>;
}

/** The embedder failed: its server refused or answered something unusable. The message never carries a key. */
export class EmbeddingError extends Error {
  override name = "EmbeddingError";
}

function normalise(vector: number[]): number[] {
  const length = Math.hypot(...vector);
  return length === 0 ? vector : vector.map((x) => x / length);
}

/** Lower case, accents stripped, split on anything that is not a letter or a digit. */
export function words(text: string): string[] {
  return text
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 1 && !STOP_WORDS.has(w));
}

/** Words too common to tell passages apart. */
const STOP_WORDS = new Set(
  "the a an and or of to in on for is are was were be been it its this that these those with as by at from how what which who whom why when where do does did can could should would will shall may might must i you he she we they our your their my me us them not no yes if then than so there here about into over".split(" "),
);

export class LocalEmbedder implements Embedder {
  constructor(
    readonly model: string,
    readonly dimensions: number,
  ) {}

  private bucket(feature: string): [number, number] {
    const digest = createHash("sha256").update(feature).digest();
    return [digest.readUInt32BE(0) % this.dimensions, digest[4] & 1 ? 1 : -1];
  }

  embedOne(text: string): number[] {
    const vector = new Array<number>(this.dimensions).fill(0);
    for (const word of words(text)) {
      const [i, sign] = this.bucket(`w:${word}`);
      vector[i] += sign * 2;
      // Trigrams of the word give "backup" and "backups" most of their features in common.
      const padded = `^${word}$`;
      for (let k = 0; k + 3 <= padded.length; k++) {
        const [j, s] = this.bucket(`g:${padded.slice(k, k + 3)}`);
        vector[j] += s * 0.5;
      }
    }
    return normalise(vector);
  }

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((text) => this.embedOne(text));
  }
}

export class OpenAiEmbedder implements Embedder {
  private readonly client: OpenAI;

  constructor(
    readonly model: string,
    readonly dimensions: number,
    baseUrl: string,
    apiKey: string | undefined,
    private readonly batch: number,
    /** OpenAI's text-embedding-3 models shorten vectors on request; other servers may refuse the field. */
    private readonly sendDimensions: boolean,
  ) {
    this.client = new OpenAI({ baseURL: baseUrl, apiKey: apiKey ?? "unused", defaultHeaders: apiKey ? undefined : { Authorization: null }, maxRetries: 2, fetch: httpFetch, timeout: 60_000 });
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    const vectors: number[][] = [];
    for (let start = 0; start < texts.length; start += this.batch) {
      const input = texts.slice(start, start + this.batch);
      let answer: OpenAI.CreateEmbeddingResponse;
      try {
        answer = await this.client.embeddings.create(
          { model: this.model, input, encoding_format: "float", ...(this.sendDimensions && { dimensions: this.dimensions }) },
          { signal },
        );
      } catch (error) {
        const e = error as { status?: number; message?: string };
        // The SDK's message is the server's error text; a key is never in it (it is sent as a header only).
        throw new EmbeddingError(e.status ? `the embeddings server answered ${e.status}` : `the embeddings server could not be reached: ${e.message ?? String(error)}`);
      }
      const data = [...(answer.data ?? [])].sort((a, b) => a.index - b.index);
      if (data.length !== input.length) throw new EmbeddingError(`the embeddings server returned ${data.length} vectors for ${input.length} texts`);
      for (const item of data) {
        if (!Array.isArray(item.embedding) || item.embedding.length !== this.dimensions) {
          throw new EmbeddingError(`the embeddings server returned vectors of ${Array.isArray(item.embedding) ? item.embedding.length : "no"} dimensions, not EMBEDDINGS_DIMENSIONS=${this.dimensions}`);
        }
        vectors.push(normalise(item.embedding));
      }
    }
    return vectors;
  }
}

export function createEmbedder(settings: EmbeddingsSettings): Embedder {
  if (settings.kind === "local") return new LocalEmbedder(settings.model, settings.dimensions);
  return new OpenAiEmbedder(settings.model, settings.dimensions, settings.baseUrl, settings.apiKey, settings.batch, settings.sendDimensions);
}
