/** Errors as OpenAI's API writes them, so OpenAI clients show the message: `{"error": {message, type, param, code}}`. */

export type ErrorType = "invalid_request_error" | "not_found_error" | "rate_limit_error" | "server_error" | "upstream_error" | "timeout_error" | "service_unavailable";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: ErrorType,
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): string {
    return JSON.stringify({ error: { message: this.message, type: this.type, param: this.param, code: this.code } });
  }
}

export const badRequest = (message: string, param: string | null = null, code = "invalid_request") =>
  new HttpError(400, message, "invalid_request_error", code, param);
