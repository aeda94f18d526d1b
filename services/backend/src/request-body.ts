/**
 * Reading a chat request's body: JSON only (`415` otherwise, so a cross-site form post of `text/plain` never runs a
 * completion), no content coding, at most `maxBytes` (`413`). A client that leaves mid-body is {@link ClientGone},
 * not an error of the gateway's.
 */
import { IncomingMessage } from "http";
import { badRequest, HttpError } from "./errors";
import { excerpt } from "./redact";
import { ClientGone } from "./resilience/router";

const JSON_TYPE = /^application\/json\s*(;|$)/i;

/** Refuses a request whose body is not plain JSON, before anything is read. */
export function checkJsonBody(req: IncomingMessage): void {
  const type = req.headers["content-type"];
  if (!type || !JSON_TYPE.test(type)) {
    throw new HttpError(415, `Send the request body as application/json (found ${type ? excerpt(type, 40) : "no Content-Type"}).`, "invalid_request_error", "unsupported_media_type");
  }
  const coding = req.headers["content-encoding"];
  if (coding && coding.toLowerCase() !== "identity") {
    throw new HttpError(415, `Send the request body without Content-Encoding (found ${excerpt(coding, 20)}).`, "invalid_request_error", "unsupported_media_type");
  }
}

export function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const tooLarge = () => new HttpError(413, `The request body is larger than ${maxBytes} bytes.`, "invalid_request_error", "request_too_large");
  if (Number(req.headers["content-length"]) > maxBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      // Stop keeping it, but let the rest flow away, so the 413 can still be written on this connection.
      req.off("data", onData);
      req.resume();
      settle(() => reject(tooLarge()));
    };
    req.on("data", onData);
    req.once("error", () => settle(() => reject(new ClientGone("the client closed the connection while sending"))));
    req.once("close", () => settle(() => reject(new ClientGone("the client closed the connection while sending"))));
    req.once("end", () =>
      settle(() => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks, size).toString("utf8")));
        } catch {
          reject(badRequest("The request body is not valid JSON.", null, "invalid_json"));
        }
      }),
    );
  });
}
