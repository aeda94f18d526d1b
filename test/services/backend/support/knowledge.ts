/** Helpers for knowledge tests: the admin API as the CLI calls it, and a stand-in `/v1/embeddings` server. */
import { createServer, Server } from "http";
import { AddressInfo } from "net";
import { LocalEmbedder } from "../../../../services/backend/src/knowledge/embedder";

/** A small corpus of one topic per document, in three of the four types. */
export const CORPUS = {
  backups: {
    source: "runbooks/backups.md",
    content:
      "# Database backups\n\nThe knowledge database is backed up to S3 every night. Write-ahead log files are archived continuously, " +
      "so a restore can recover to any point in time within the retention window of thirty days.\n\n## Restoring\n\n" +
      "To restore, set knowledge.restore.from in the stack file to a backup name or a timestamp and run pulumi up.",
  },
  oncall: {
    source: "https://wiki.example.com/oncall.html",
    content: "<html><head><title>On-call escalation</title></head><body><h1>Pager duty</h1><p>When the pager fires, the duty engineer acknowledges within five minutes and escalates to the team lead after thirty minutes.</p></body></html>",
  },
  vacation: { source: "policies/vacation.txt", content: "Vacation policy. Employees take twenty-five days of paid vacation per year; unused vacation days carry over until March." },
};

export const ADMIN_KEY = "test-admin-key-0123456789";

export function admin(url: string, key = ADMIN_KEY) {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined && { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // The body is read at once: one left unread when a test then stops the server errors ("terminated") outside any
    // test, failing the whole file on a loaded machine.
    const bytes = await response.arrayBuffer();
    return new Response(bytes.byteLength > 0 ? bytes : null, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return {
    add: (doc: Record<string, unknown>) => call("POST", "/v1/knowledge/documents", doc),
    list: () => call("GET", "/v1/knowledge/documents"),
    remove: (id: string) => call("DELETE", `/v1/knowledge/documents/${encodeURIComponent(id)}`),
    search: (query: string, extra: Record<string, unknown> = {}) => call("POST", "/v1/knowledge/search", { query, ...extra }),
  };
}

export interface EmbeddingsStandIn {
  baseUrl: string;
  /** Bodies of the embeddings requests received. */
  received: { model: string; input: string[]; dimensions?: number; authorization?: string }[];
  /** Answer every request with this status (undefined: answer). */
  failWith: number | undefined;
  /** Answer after this many milliseconds. */
  delayMs: number;
  close(): Promise<void>;
}

/** An OpenAI-style `/v1/embeddings` server answering with the local hashing embedder's vectors. */
export async function startEmbeddingsStandIn(dimensions: number): Promise<EmbeddingsStandIn> {
  const embedder = new LocalEmbedder("stand-in", dimensions);
  const state: EmbeddingsStandIn = { baseUrl: "", received: [], failWith: undefined, delayMs: 0, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      const body = JSON.parse(text || "{}");
      const input: string[] = Array.isArray(body.input) ? body.input : [body.input];
      state.received.push({ model: body.model, input, dimensions: body.dimensions, authorization: req.headers.authorization });
      if (req.url !== "/v1/embeddings") return void res.writeHead(404).end();
      if (state.failWith) {
        res.writeHead(state.failWith, { "content-type": "application/json" });
        return void res.end(JSON.stringify({ error: { message: "stand-in embeddings failure", type: "server_error" } }));
      }
      // Listed in reverse order on purpose: clients must order by `index`, as OpenAI documents.
      const data = input.map((t, index) => ({ object: "embedding", index, embedding: embedder.embedOne(t) })).reverse();
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ object: "list", data, model: body.model, usage: { prompt_tokens: 1, total_tokens: 1 } }));
      }, state.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
