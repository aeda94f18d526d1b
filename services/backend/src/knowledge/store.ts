/**
 * The knowledge base in Postgres with pgvector: documents, their passages with embeddings (an HNSW index for cosine
 * nearest-neighbour search), and the semantic cache's answers. One pool of real `pg` connections; every statement is
 * parameterised. A document's passages are written in one transaction: they land together or not at all.
 */
import { Pool, PoolClient } from "pg";

export interface DocumentRecord {
  id: string;
  title: string;
  source: string;
  contentType: string;
  checksum: string;
  bytes: number;
  chunks: number;
  addedAt: string;
}

export interface Passage {
  documentId: string;
  title: string;
  source: string;
  ordinal: number;
  content: string;
  /** Cosine similarity to the question, 1 = same direction. */
  score: number;
}

export interface CachedAnswer {
  text: string;
  finishReason: string;
  sources: unknown[] | null;
  distance: number;
}

/** pgvector's text form of a vector: `[0.1,0.2,…]`. */
const literal = (vector: number[]) => `[${vector.join(",")}]`;

/** The schema, made idempotently at start. The vector column's size is the embedder's. */
export function schema(dimensions: number): string[] {
  return [
    "CREATE EXTENSION IF NOT EXISTS vector",
    `CREATE TABLE IF NOT EXISTS knowledge_documents (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       source text NOT NULL UNIQUE,
       title text NOT NULL,
       content_type text NOT NULL,
       checksum text NOT NULL,
       bytes integer NOT NULL,
       chunks integer NOT NULL,
       added_at timestamptz NOT NULL DEFAULT now())`,
    `CREATE TABLE IF NOT EXISTS knowledge_chunks (
       id bigserial PRIMARY KEY,
       document_id uuid NOT NULL REFERENCES knowledge_documents (id) ON DELETE CASCADE,
       ordinal integer NOT NULL,
       content text NOT NULL,
       embedding vector(${dimensions}) NOT NULL)`,
    "CREATE INDEX IF NOT EXISTS knowledge_chunks_document ON knowledge_chunks (document_id)",
    // HNSW: approximate nearest neighbours that need no training and stay good as rows are added (pgvector >= 0.5).
    "CREATE INDEX IF NOT EXISTS knowledge_chunks_embedding ON knowledge_chunks USING hnsw (embedding vector_cosine_ops)",
    `CREATE TABLE IF NOT EXISTS semantic_cache (
       id bigserial PRIMARY KEY,
       model text NOT NULL,
       embedding vector(${dimensions}) NOT NULL,
       answer text NOT NULL,
       finish_reason text NOT NULL,
       sources jsonb,
       created_at timestamptz NOT NULL DEFAULT now())`,
    "CREATE INDEX IF NOT EXISTS semantic_cache_embedding ON semantic_cache USING hnsw (embedding vector_cosine_ops)",
    "CREATE INDEX IF NOT EXISTS semantic_cache_created ON semantic_cache (created_at)",
  ];
}

/** The database holds vectors of another size than the embedder makes (the embedding model changed). */
export class DimensionMismatch extends Error {
  override name = "DimensionMismatch";
}

function toRecord(row: Record<string, unknown>): DocumentRecord {
  return {
    id: String(row.id),
    title: String(row.title),
    source: String(row.source),
    contentType: String(row.content_type),
    checksum: String(row.checksum),
    bytes: Number(row.bytes),
    chunks: Number(row.chunks),
    addedAt: new Date(row.added_at as string).toISOString(),
  };
}

export class KnowledgeStore {
  readonly pool: Pool;

  constructor(
    databaseUrl: string,
    poolSize: number,
    private readonly dimensions: number,
    onIdleError: (error: Error) => void,
  ) {
    this.pool = new Pool({ connectionString: databaseUrl, max: poolSize, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30_000, statement_timeout: 10_000 });
    // A pooled connection the server drops (failover, restart) must not crash the gateway: the pool replaces it.
    this.pool.on("error", onIdleError);
  }

  /** Makes the schema (idempotent) and checks the stored vectors' size. */
  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      for (const statement of schema(this.dimensions)) await client.query(statement);
      const { rows } = await client.query(
        "SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'knowledge_chunks'::regclass AND attname = 'embedding'",
      );
      const expected = `vector(${this.dimensions})`;
      if (rows[0]?.type !== expected) {
        throw new DimensionMismatch(`knowledge_chunks.embedding is ${rows[0]?.type}, but the embedder makes ${expected}: re-create the knowledge base or set EMBEDDINGS_DIMENSIONS`);
      }
    } finally {
      client.release();
    }
  }

  async findBySource(source: string): Promise<DocumentRecord | undefined> {
    const { rows } = await this.pool.query("SELECT * FROM knowledge_documents WHERE source = $1", [source]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /**
   * Stores a document and its passages in one transaction, replacing an earlier version from the same source.
   * `passages[i]` has the embedding `embeddings[i]`.
   */
  async putDocument(doc: Omit<DocumentRecord, "id" | "addedAt" | "chunks">, passages: string[], embeddings: number[][]): Promise<DocumentRecord> {
    return this.transaction(async (client) => {
      await client.query("DELETE FROM knowledge_documents WHERE source = $1", [doc.source]);
      const { rows } = await client.query(
        "INSERT INTO knowledge_documents (source, title, content_type, checksum, bytes, chunks) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
        [doc.source, doc.title, doc.contentType, doc.checksum, doc.bytes, passages.length],
      );
      const id = rows[0].id as string;
      // Inserted in slices of one multi-row statement each: a few round trips per document, not one per passage.
      const SLICE = 100;
      for (let start = 0; start < passages.length; start += SLICE) {
        const values: unknown[] = [];
        const tuples = passages.slice(start, start + SLICE).map((content, k) => {
          values.push(id, start + k, content, literal(embeddings[start + k]));
          const p = values.length;
          return `($${p - 3}, $${p - 2}, $${p - 1}, $${p}::vector)`;
        });
        await client.query(`INSERT INTO knowledge_chunks (document_id, ordinal, content, embedding) VALUES ${tuples.join(", ")}`, values);
      }
      // Cached answers may rest on the old passages: the cache starts over whenever the documents change.
      await client.query("DELETE FROM semantic_cache");
      return toRecord(rows[0]);
    });
  }

  async listDocuments(): Promise<DocumentRecord[]> {
    const { rows } = await this.pool.query("SELECT * FROM knowledge_documents ORDER BY source");
    return rows.map(toRecord);
  }

  /** Deletes a document (by id or source) and its passages; false when there was none. */
  async removeDocument(idOrSource: string): Promise<DocumentRecord | undefined> {
    const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrSource);
    return this.transaction(async (client) => {
      const { rows } = await client.query(`DELETE FROM knowledge_documents WHERE ${isUuid ? "id::text = lower($1) OR " : ""}source = $1 RETURNING *`, [idOrSource]);
      if (rows[0]) await client.query("DELETE FROM semantic_cache");
      return rows[0] ? toRecord(rows[0]) : undefined;
    });
  }

  /** The `limit` passages nearest to `embedding` with a similarity of at least `minScore`, nearest first. */
  async search(embedding: number[], limit: number, minScore: number): Promise<Passage[]> {
    // ORDER BY the distance operator itself, so the HNSW index serves the query; the threshold filters its result.
    const { rows } = await this.pool.query(
      `SELECT * FROM (
         SELECT c.document_id, c.ordinal, c.content, d.title, d.source, 1 - (c.embedding <=> $1::vector) AS score
         FROM knowledge_chunks c JOIN knowledge_documents d ON d.id = c.document_id
         ORDER BY c.embedding <=> $1::vector
         LIMIT $2) nearest
       WHERE score >= $3 ORDER BY score DESC`,
      [literal(embedding), limit, minScore],
    );
    return rows.map((row) => ({
      documentId: String(row.document_id),
      title: String(row.title),
      source: String(row.source),
      ordinal: Number(row.ordinal),
      content: String(row.content),
      score: Number(row.score),
    }));
  }

  /** The cached answer nearest to `embedding` for `model`, if within `maxDistance` and younger than `ttlMs`. */
  async cachedAnswer(model: string, embedding: number[], maxDistance: number, ttlMs: number): Promise<CachedAnswer | undefined> {
    const { rows } = await this.pool.query(
      `SELECT answer, finish_reason, sources, embedding <=> $1::vector AS distance FROM semantic_cache
       WHERE model = $2 AND created_at > now() - make_interval(secs => $3)
       ORDER BY embedding <=> $1::vector LIMIT 1`,
      [literal(embedding), model, ttlMs / 1000],
    );
    const row = rows[0];
    if (!row || Number(row.distance) > maxDistance) return undefined;
    return { text: String(row.answer), finishReason: String(row.finish_reason), sources: (row.sources as unknown[] | null) ?? null, distance: Number(row.distance) };
  }

  /** Keeps an answer for the semantic cache, and drops the expired ones. */
  async cacheAnswer(model: string, embedding: number[], text: string, finishReason: string, sources: unknown[] | undefined, ttlMs: number): Promise<void> {
    await this.pool.query("INSERT INTO semantic_cache (model, embedding, answer, finish_reason, sources) VALUES ($1, $2::vector, $3, $4, $5)", [
      model,
      literal(embedding),
      text,
      finishReason,
      sources ? JSON.stringify(sources) : null,
    ]);
    await this.pool.query("DELETE FROM semantic_cache WHERE created_at < now() - make_interval(secs => $1)", [ttlMs / 1000]);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
