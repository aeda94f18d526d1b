/**
 * The knowledge base as the gateway uses it: ingestion (text out of a document, passages, embeddings, one
 * transaction), retrieval for chat requests (never failing a request: a failure answers without sources and is
 * counted), and the semantic cache. The database may be down when the gateway starts: the schema is made as soon as
 * it answers, and until then retrieval counts failures and the admin API answers 503.
 */
import { createHash } from "crypto";
import { KnowledgeSettings } from "../../../../lib/backend-env";
import { AnswerSource } from "../../../../lib/answer-sources";
import { Logger } from "../log";
import { BackendMetrics } from "../metrics";
import { ChatRequest } from "../providers/types";
import { chunkText } from "./chunk";
import { createEmbedder, Embedder } from "./embedder";
import { ContentType, DocumentError, extractText } from "./extract";
import { groundMessages, questionOf, sourcesOf } from "./grounding";
import { CachedAnswer, DocumentRecord, KnowledgeStore, Passage } from "./store";

export interface NewDocument {
  source: string;
  title?: string;
  contentType: ContentType;
  bytes: Buffer;
}

export interface Ingested {
  /** created: new source; replaced: the source's content changed; unchanged: same checksum, nothing written. */
  status: "created" | "replaced" | "unchanged";
  document: DocumentRecord;
}

export interface Grounded {
  request: ChatRequest;
  /** Absent when no passage was close enough, or retrieval failed. */
  sources?: AnswerSource[];
  /** The question's embedding, for the semantic cache (absent when embedding failed). */
  embedding?: number[];
}

/** The knowledge base cannot be used right now (database unreachable, schema not made yet). */
export class KnowledgeUnavailable extends Error {
  override name = "KnowledgeUnavailable";
}

export class Knowledge {
  readonly store: KnowledgeStore;
  readonly embedder: Embedder;
  private ready = false;
  private readonly started: Promise<void>;
  private stopped = false;

  constructor(
    readonly settings: KnowledgeSettings,
    private readonly metrics: BackendMetrics,
    private readonly log: Logger,
  ) {
    this.embedder = createEmbedder(settings.embeddings);
    this.store = new KnowledgeStore(settings.databaseUrl, settings.poolSize, settings.embeddings.dimensions, (error) =>
      log.warn("knowledge database connection lost", { error: error.message }),
    );
    this.started = this.migrateUntilReady();
  }

  /** Resolves once the schema is made (tests and the CLI wait on it). */
  whenReady(): Promise<void> {
    return this.started;
  }

  get isReady(): boolean {
    return this.ready;
  }

  private async migrateUntilReady(): Promise<void> {
    for (let wait = 500; !this.stopped; wait = Math.min(wait * 2, 30_000)) {
      try {
        await this.store.migrate();
        this.ready = true;
        this.log.info("knowledge base ready", { embeddings_model: this.embedder.model, dimensions: this.embedder.dimensions });
        return;
      } catch (error) {
        this.log.error("knowledge database not usable yet; retrying", { error: (error as Error).message, retry_ms: wait });
        await new Promise((resolve) => setTimeout(resolve, wait).unref());
      }
    }
  }

  private ensureReady(): void {
    if (!this.ready) throw new KnowledgeUnavailable("the knowledge database is not reachable yet");
  }

  async ingest(doc: NewDocument): Promise<Ingested> {
    this.ensureReady();
    if (doc.bytes.length > this.settings.maxDocumentBytes) throw new DocumentError(`the document is larger than ${this.settings.maxDocumentBytes} bytes`);
    const checksum = createHash("sha256").update(doc.bytes).digest("hex");
    const existing = await this.store.findBySource(doc.source);
    if (existing && existing.checksum === checksum && (!doc.title || doc.title === existing.title)) return { status: "unchanged", document: existing };
    const extracted = await extractText(doc.bytes, doc.contentType);
    const passages = chunkText(extracted.text, this.settings.chunkChars, this.settings.chunkOverlap);
    const title = doc.title ?? extracted.title ?? doc.source.split("/").pop() ?? doc.source;
    // The title rides along in each embedded passage: a question naming the document finds it.
    const embeddings = await this.embedder.embed(passages.map((p) => `${title}\n${p}`));
    const document = await this.store.putDocument({ source: doc.source, title, contentType: doc.contentType, checksum, bytes: doc.bytes.length }, passages, embeddings);
    return { status: existing ? "replaced" : "created", document };
  }

  async search(query: string, limit = this.settings.topK, minScore = this.settings.minScore): Promise<Passage[]> {
    this.ensureReady();
    const [embedding] = await this.embedder.embed([query]);
    return this.store.search(embedding, limit, minScore);
  }

  /**
   * The request grounded in the passages nearest its question. Never throws: a failure is logged and counted, and
   * the request goes on as it came.
   */
  async ground(request: ChatRequest, signal?: AbortSignal): Promise<Grounded> {
    const began = performance.now();
    const seconds = () => (performance.now() - began) / 1000;
    let embedding: number[] | undefined;
    // A slow database or embedder must not hold the answer back: past the deadline the question goes on without.
    const deadline = AbortSignal.timeout(this.settings.timeoutMs);
    const within = <T>(work: Promise<T>) =>
      Promise.race([work, new Promise<never>((_, reject) => deadline.addEventListener("abort", () => reject(new Error(`retrieval took longer than ${this.settings.timeoutMs} ms`)), { once: true }))]);
    try {
      this.ensureReady();
      [embedding] = await within(this.embedder.embed([questionOf(request.messages)], signal ? AbortSignal.any([signal, deadline]) : deadline));
      const passages = await within(this.store.search(embedding, this.settings.topK, this.settings.minScore));
      this.metrics.retrieval(passages.length > 0 ? "hit" : "miss", seconds());
      if (passages.length === 0) return { request, embedding };
      return { request: { ...request, messages: groundMessages(request.messages, passages) }, sources: sourcesOf(passages), embedding };
    } catch (error) {
      this.metrics.retrieval("failed", seconds());
      this.log.warn("knowledge retrieval failed; answering without sources", { error: (error as Error).message });
      return { request, embedding };
    }
  }

  /** The semantic cache's answer for this question and model, if any (never throws: a failure is a miss). */
  async cached(model: string, embedding: number[] | undefined): Promise<CachedAnswer | undefined> {
    const cache = this.settings.semanticCache;
    if (!cache || !embedding || !this.ready) return undefined;
    try {
      const deadline = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the lookup took longer than ${this.settings.timeoutMs} ms`)), this.settings.timeoutMs).unref());
      const hit = await Promise.race([this.store.cachedAnswer(model, embedding, cache.maxDistance, cache.ttlMs), deadline]);
      this.metrics.semanticCacheLookup(hit ? "hit" : "miss");
      return hit;
    } catch (error) {
      this.metrics.semanticCacheLookup("miss");
      this.log.warn("semantic cache lookup failed", { error: (error as Error).message });
      return undefined;
    }
  }

  /** Keeps a complete answer for the semantic cache (in the background; a failure is only logged). */
  remember(model: string, embedding: number[] | undefined, text: string, finishReason: string, sources: AnswerSource[] | undefined): Promise<void> {
    const cache = this.settings.semanticCache;
    if (!cache || !embedding || !this.ready || finishReason !== "stop") return Promise.resolve();
    return this.store.cacheAnswer(model, embedding, text, finishReason, sources, cache.ttlMs).catch((error: Error) => {
      this.log.warn("semantic cache write failed", { error: error.message });
    });
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.store.close();
  }
}
