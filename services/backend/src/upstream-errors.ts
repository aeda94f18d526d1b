/**
 * An upstream failure as the client sees it, and as the metrics count it. The client gets the kind of failure, the
 * upstream's status number and a fixed message: never the upstream's own text, which may echo the key ("Incorrect API
 * key provided: sk-…"), carry an HTML error page, or describe the provider's internals. The upstream's text goes to
 * the log only, redacted (log.ts).
 */
import { UpstreamErrorKind } from "../../../lib/metrics-contract";
import { HttpError } from "./errors";
import { UpstreamError } from "./providers/types";

/** The kind of an upstream failure, as `ai_assistant_upstream_errors_total` and the `upstream_error` outcome name it. */
export function upstreamKind(error: UpstreamError): UpstreamErrorKind {
  if (error.kind === "timeout") return "timeout";
  if (error.kind === "http" && error.status === 429) return "rate_limited";
  if (error.clientFault) return "rejected";
  return "failed";
}

/** What a failure without a status was, in words that reveal nothing of the upstream's answer. */
function what(error: UpstreamError): string {
  if (error.kind === "http") return `it answered HTTP ${error.status}`;
  if (error.kind === "network") return "it could not be reached";
  if (error.kind === "protocol") return "its answer could not be read";
  return "it is failing";
}

/** Whole seconds of a wait, at least 1, for a Retry-After header. */
export const retryAfterSeconds = (ms: number) => String(Math.max(1, Math.ceil(ms / 1000)));

/**
 * The client's error for an upstream failure. `circuitRetryMs`: when an open circuit may let calls through again
 * (the breaker cooldown), sent as Retry-After with the 503.
 */
export function toHttpError(error: UpstreamError, circuitRetryMs: number): HttpError {
  switch (upstreamKind(error)) {
    case "timeout":
      return new HttpError(504, "The model provider did not answer in time.", "timeout_error", "upstream_timeout");
    case "rate_limited": {
      const headers: Record<string, string> = error.retryAfterMs !== undefined ? { "retry-after": retryAfterSeconds(error.retryAfterMs) } : {};
      return new HttpError(429, "The model provider is rate limiting requests; retry later.", "rate_limit_error", "upstream_rate_limited", null, headers);
    }
    case "rejected":
      return new HttpError(
        error.status!,
        `The model provider refused this request (HTTP ${error.status}): it may be too long for the model or use a parameter the model does not support.`,
        "invalid_request_error",
        "upstream_rejected",
      );
    default:
      if (error.kind === "circuit-open") {
        return new HttpError(503, "No model provider is available right now; retry later.", "service_unavailable", "circuit_open", null, { "retry-after": retryAfterSeconds(circuitRetryMs) });
      }
      return new HttpError(502, `The model provider failed (${what(error)}).`, "upstream_error", "upstream_failed");
  }
}

/** The error event that ends a stream which broke off after its 200 was sent. */
export function streamInterruptedEvent(error: UpstreamError): string {
  const message = upstreamKind(error) === "timeout" ? "The model provider stopped sending the answer (timed out)." : `The model provider's stream broke off (${what(error)}).`;
  return JSON.stringify({ error: { message, type: "upstream_error", param: null, code: "stream_interrupted" } });
}
