/**
 * HTTP/1.1 requests written byte for byte on a socket, so that tests can send what `fetch` and node's client refuse
 * or normalise (unknown methods, odd paths and headers, a body cut off by a client that leaves). Every request asks
 * for `Connection: close`, and the answer is what arrives until the server closes.
 */
import { connect } from "net";

export interface RawRequest {
  method: string;
  path: string;
  headers: [string, string][];
  body: Buffer;
  /** Send only part of the request, then close the socket (a client that leaves mid-request). */
  abort?: boolean;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The bytes as received, for messages. */
  raw: string;
}

/** Sends `request` to 127.0.0.1:`port`; resolves with the parsed answer, or `aborted`. Rejects if nothing well-formed comes back within `timeoutMs`. */
export function rawRequest(port: number, request: RawRequest, timeoutMs = 5000): Promise<RawResponse | "aborted"> {
  const head = [`${request.method} ${request.path} HTTP/1.1`, "Host: 127.0.0.1", "Connection: close", ...request.headers.map(([k, v]) => `${k}: ${v}`)].join("\r\n");
  const bytes = Buffer.concat([Buffer.from(`${head}\r\n\r\n`, "latin1"), request.body]);
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms to ${request.method} ${request.path.slice(0, 80)}; got ${JSON.stringify(Buffer.concat(chunks).toString("latin1").slice(0, 200))}`));
    }, timeoutMs);
    socket.on("error", () => undefined);
    if (request.abort) {
      socket.write(bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))), () => {
        socket.destroy();
        clearTimeout(timer);
        resolve("aborted");
      });
      return;
    }
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("close", () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const raw = all.toString("latin1");
      const end = raw.indexOf("\r\n\r\n");
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(raw);
      if (!status || end < 0) return reject(new Error(`not an HTTP response to ${request.method} ${request.path.slice(0, 80)}: ${JSON.stringify(raw.slice(0, 200))}`));
      const headers: Record<string, string> = {};
      for (const line of raw.slice(0, end).split("\r\n").slice(1)) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(status[1]), headers, body: all.subarray(end + 4), raw });
    });
    socket.write(bytes);
  });
}
