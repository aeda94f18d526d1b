/**
 * The knowledge base's admin API, behind its own key (`Authorization: Bearer $KNOWLEDGE_ADMIN_KEY`, compared in
 * constant time):
 * - `POST /v1/knowledge/documents` `{source, title?, content_type?, content | content_base64}`: adds or replaces a
 *   document (201 created; 200 replaced or unchanged: re-adding the same bytes writes nothing);
 * - `GET /v1/knowledge/documents`: lists them; `DELETE /v1/knowledge/documents/{id or source}` removes one;
 * - `POST /v1/knowledge/search` `{query, top_k?}`: the passages a question would retrieve (for `npm run knowledge`).
 * A bad document gets a 4xx saying why (415 unsupported type, 413 too large, 422 unreadable); a failing embeddings
 * server a 502; nothing is stored unless all of a document's passages are.
 */
import { createHash, timingSafeEqual } from "crypto";
import { IncomingMessage, ServerResponse } from "http";
import { z } from "zod";
import { badRequest, HttpError } from "../errors";
import { EmbeddingError } from "./embedder";
import { CONTENT_TYPES, contentTypeOf, ContentType, DocumentError } from "./extract";
import { Knowledge, KnowledgeUnavailable } from "./knowledge";

export const DOCUMENTS_ROUTE = "/v1/knowledge/documents";
export const SEARCH_ROUTE = "/v1/knowledge/search";

/** The route template of a knowledge path (for metrics and logs), or undefined when it is not one. */
export function knowledgeRoute(path: string): string | undefined {
  if (path === DOCUMENTS_ROUTE || path.startsWith(`${DOCUMENTS_ROUTE}/`)) return DOCUMENTS_ROUTE;
  if (path === SEARCH_ROUTE) return SEARCH_ROUTE;
  return undefined;
}

const digest = (text: string) => createHash("sha256").update(text).digest();

const addSchema = z
  .object({
    source: z.string({ error: "expected the document's source (a URL or file name)" }).min(1).max(2048),
    title: z.string().min(1).max(500).optional(),
    content_type: z.string().optional(),
    content: z.string().optional(),
    content_base64: z.string().optional(),
  })
  .refine((b) => (b.content === undefined) !== (b.content_base64 === undefined), { message: "expected exactly one of content and content_base64", path: ["content"] });

const searchSchema = z.object({
  query: z.string({ error: "expected a query" }).min(1).max(10_000),
  top_k: z.number().int().min(1).max(50).optional(),
  min_score: z.number().min(0).max(1).optional(),
});

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const tooLarge = () => new HttpError(413, `The request body is larger than ${maxBytes} bytes.`, "invalid_request_error", "request_too_large");
  if (Number(req.headers["content-length"]) > maxBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      req.off("data", onData);
      req.resume();
      reject(tooLarge());
    };
    req.on("data", onData);
    req.once("error", reject);
    req.once("end", () => {
      if (size > maxBytes) return;
      try {
        resolve(JSON.parse(Buffer.concat(chunks, size).toString("utf8")));
      } catch {
        reject(badRequest("The request body is not valid JSON.", null, "invalid_json"));
      }
    });
  });
}

function parsed<T>(schema: z.ZodType<T>, body: unknown): T {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest("expected a JSON object as the request body");
  const result = schema.safeParse(body);
  if (!result.success) {
    const [issue] = result.error.issues;
    const param = issue.path.map(String).join(".") || null;
    throw badRequest(`${param ?? "body"}: ${issue.message.replace(/^Invalid input: /, "")}`, param);
  }
  return result.data;
}

/** Maps the knowledge base's failures to what the client sees. */
function asHttpError(error: unknown): unknown {
  if (error instanceof DocumentError) {
    const tooLarge = error.message.includes("larger than");
    return new HttpError(tooLarge ? 413 : 422, `The document cannot be added: ${error.message}.`, "invalid_request_error", tooLarge ? "document_too_large" : "unreadable_document");
  }
  if (error instanceof EmbeddingError) return new HttpError(502, `The document could not be embedded: ${error.message}; nothing was stored.`, "upstream_error", "embedding_failed");
  if (error instanceof KnowledgeUnavailable) return new HttpError(503, `The knowledge base is unavailable: ${error.message}.`, "service_unavailable", "knowledge_unavailable", null, { "retry-after": "5" });
  return error;
}

export function knowledgeAdmin(knowledge: Knowledge) {
  const key = digest(knowledge.settings.adminKey);
  // base64 takes 4 bytes per 3, plus room for the JSON around the document.
  const maxBody = Math.ceil((knowledge.settings.maxDocumentBytes * 4) / 3) + 64 * 1024;

  function authorise(req: IncomingMessage): void {
    const header = req.headers.authorization ?? "";
    const given = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : "";
    // Digests have equal lengths, so the comparison takes the same time whatever the given key is.
    if (!given || !timingSafeEqual(digest(given), key)) {
      throw new HttpError(401, "The knowledge admin API needs `Authorization: Bearer <KNOWLEDGE_ADMIN_KEY>`.", "invalid_request_error", "invalid_admin_key", null, { "www-authenticate": "Bearer" });
    }
  }

  async function add(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = parsed(addSchema, await readJson(req, maxBody));
    const contentType = (body.content_type?.split(";")[0].trim().toLowerCase() ?? contentTypeOf(body.source)) as ContentType | undefined;
    if (!contentType || !CONTENT_TYPES.includes(contentType)) {
      throw new HttpError(415, `Unsupported document type ${JSON.stringify(body.content_type ?? body.source)}; expected one of ${CONTENT_TYPES.join(", ")} (or a .md, .txt, .html or .pdf source).`, "invalid_request_error", "unsupported_document_type", "content_type");
    }
    const bytes = body.content !== undefined ? Buffer.from(body.content, "utf8") : Buffer.from(body.content_base64!, "base64");
    const { status, document } = await knowledge.ingest({ source: body.source, title: body.title, contentType, bytes });
    send(res, status === "created" ? 201 : 200, { object: "knowledge.document", status, ...document });
  }

  return async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    authorise(req);
    try {
      if (path === SEARCH_ROUTE) {
        if (req.method !== "POST") throw new HttpError(405, "Use POST to search.", "invalid_request_error", "method_not_allowed", null, { allow: "POST" });
        const body = parsed(searchSchema, await readJson(req, 64 * 1024));
        const passages = await knowledge.search(body.query, body.top_k, body.min_score);
        return send(res, 200, { object: "list", data: passages });
      }
      if (path === DOCUMENTS_ROUTE) {
        if (req.method === "POST") return await add(req, res);
        if (req.method === "GET") return send(res, 200, { object: "list", data: await listed(knowledge) });
        throw new HttpError(405, "Use GET to list documents, POST to add one.", "invalid_request_error", "method_not_allowed", null, { allow: "GET, POST" });
      }
      let id: string;
      try {
        id = decodeURIComponent(path.slice(DOCUMENTS_ROUTE.length + 1));
      } catch {
        throw badRequest("The document id in the path is not valid percent-encoding.", null, "invalid_path");
      }
      if (req.method !== "DELETE") throw new HttpError(405, "Use DELETE to remove a document.", "invalid_request_error", "method_not_allowed", null, { allow: "DELETE" });
      const removed = id ? await removed_(knowledge, id) : undefined;
      if (!removed) throw new HttpError(404, `No document has the id or source ${JSON.stringify(id)}.`, "not_found_error", "document_not_found");
      send(res, 200, { object: "knowledge.document", deleted: true, ...removed });
    } catch (error) {
      throw asHttpError(error);
    }
  };
}

async function listed(knowledge: Knowledge) {
  if (!knowledge.isReady) throw new KnowledgeUnavailable("the knowledge database is not reachable yet");
  return knowledge.store.listDocuments();
}

async function removed_(knowledge: Knowledge, id: string) {
  if (!knowledge.isReady) throw new KnowledgeUnavailable("the knowledge database is not reachable yet");
  return knowledge.store.removeDocument(id);
}
