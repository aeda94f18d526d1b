/**
 * Which method each path answers. Every request gets an answer from this table: the route's handler, `204` with
 * `Allow` for `OPTIONS`, `405` with `Allow` for any other method, `404` for an unknown path. `HEAD` is answered
 * wherever `GET` is (node:http sends the headers and drops the body).
 */
import { HttpError } from "./errors";
import { excerpt } from "./redact";

export const CHAT_ROUTE = "/v1/chat/completions";
export const MODELS_ROUTE = "/v1/models";
/** Probes and scrapes: not counted in the request metrics, nor logged, as they would drown the traffic. */
export const QUIET_PATHS: ReadonlySet<string> = new Set(["/healthz", "/readyz", "/metrics"]);

const ALLOWED: Record<string, readonly string[]> = {
  [CHAT_ROUTE]: ["POST", "OPTIONS"],
  [MODELS_ROUTE]: ["GET", "HEAD", "OPTIONS"],
  ...Object.fromEntries([...QUIET_PATHS].map((path) => [path, ["GET", "HEAD", "OPTIONS"]])),
};

/** The methods `path` answers, or undefined for an unknown path. */
export const allowedMethods = (path: string): readonly string[] | undefined => (Object.hasOwn(ALLOWED, path) ? ALLOWED[path] : undefined);

export function notFound(path: string): HttpError {
  return new HttpError(404, `Unknown path ${excerpt(path)}; the API is under /v1 (POST ${CHAT_ROUTE}, GET ${MODELS_ROUTE}).`, "not_found_error", "not_found");
}

export function methodNotAllowed(method: string | undefined, allowed: readonly string[]): HttpError {
  const allow = allowed.join(", ");
  return new HttpError(405, `${excerpt(method ?? "", 16)} is not allowed here; use ${allow}.`, "invalid_request_error", "method_not_allowed", null, { allow });
}
