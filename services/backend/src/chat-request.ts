/**
 * What a chat request may contain, checked before any provider sees it. Unknown fields are dropped (OpenAI
 * clients send many); what the gateway acts on is checked strictly. Text content parts are joined; other parts
 * (images, audio) are refused, as no provider here is asked for them.
 */
import { z } from "zod";
import { BackendSettings } from "../../../lib/backend-env";
import { badRequest, HttpError } from "./errors";
import { excerpt } from "./redact";
import { ChatRequest, Role } from "./providers/types";

const ROLES = ["system", "developer", "user", "assistant"] as const satisfies readonly Role[];

const textPart = z.object({ type: z.literal("text"), text: z.string() });

function requestSchema(limits: BackendSettings["limits"]) {
  const content = z
    .union([z.string(), z.array(textPart, { error: "expected text content parts ({type: \"text\", text})" })], {
      error: "expected a string or an array of text content parts",
    })
    .transform((value) => (typeof value === "string" ? value : value.map((part) => part.text).join("")))
    .refine((text) => text.length <= limits.messageChars, { message: `expected at most ${limits.messageChars} characters` });
  const message = z.object({
    role: z.enum(ROLES, { error: `expected one of ${ROLES.join(", ")} (tools are not supported)` }),
    content,
  });
  const number = (min: number, max: number) => z.number({ error: `expected a number from ${min} to ${max}` }).min(min).max(max);
  return z.object({
    model: z.string({ error: "expected a model name" }).min(1).optional(),
    messages: z
      .array(message, { error: "expected an array of messages" })
      .min(1, { message: "expected at least one message" })
      .max(limits.messages, { message: `expected at most ${limits.messages} messages` })
      .refine((messages) => messages.some((m) => m.role === "user"), { message: "expected at least one user message" }),
    stream: z.boolean({ error: "expected true or false" }).nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
    temperature: number(0, 2).nullish(),
    top_p: number(0, 1).nullish(),
    max_tokens: z.number().int().min(1).nullish(),
    max_completion_tokens: z.number().int().min(1).nullish(),
    stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
    seed: z.number().int().nullish(),
    n: z.literal(1, { error: "expected n to be 1 (one answer per request)" }).nullish(),
  });
}

export type RequestValidator = (body: unknown, knownModel: (model: string) => boolean, defaultModel: string) => ChatRequest;

export function requestValidator(limits: BackendSettings["limits"]): RequestValidator {
  const schema = requestSchema(limits);
  return (body, knownModel, defaultModel) => {
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest("expected a JSON object as the request body");
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const [issue] = parsed.error.issues;
      const param = issue.path.map(String).join(".") || null;
      throw badRequest(`${param ?? "body"}: ${issue.message.replace(/^Invalid input: /, "")}`, param);
    }
    const r = parsed.data;
    const model = r.model ?? defaultModel;
    if (!knownModel(model)) {
      throw new HttpError(404, `The model \`${excerpt(model)}\` does not exist here; GET /v1/models lists the served ones.`, "invalid_request_error", "model_not_found", "model");
    }
    return {
      model,
      messages: r.messages,
      stream: r.stream ?? false,
      includeUsage: r.stream_options?.include_usage ?? false,
      temperature: r.temperature ?? undefined,
      topP: r.top_p ?? undefined,
      maxTokens: r.max_tokens ?? undefined,
      maxCompletionTokens: r.max_completion_tokens ?? undefined,
      stop: r.stop == null ? undefined : typeof r.stop === "string" ? [r.stop] : r.stop,
      seed: r.seed ?? undefined,
    };
  };
}
