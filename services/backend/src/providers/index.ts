/** Builds each upstream's provider once, at start (SDK clients keep their connections between requests). */
import { BackendSettings, UpstreamSettings } from "../../../../lib/backend-env";
import { AnthropicProvider } from "./anthropic";
import { MockProvider } from "./mock";
import { OllamaProvider } from "./ollama";
import { OpenAiStyleProvider } from "./openai-style";
import { Provider } from "./types";

/** `role`: whether the provider serves a model (`primary`) or stands in when that fails (`fallback`). */
export function createProvider(upstream: UpstreamSettings, settings: BackendSettings, role: "primary" | "fallback" = "primary"): Provider {
  const baseUrl = upstream.baseUrl ?? "";
  switch (upstream.provider) {
    case "mock":
      return new MockProvider(settings.mockWordDelayMs, role === "fallback" ? "fallback" : "phase");
    case "anthropic":
      return new AnthropicProvider(upstream.model, baseUrl, settings.apiKey ?? "", settings.maxTokens);
    case "ollama":
      return new OllamaProvider(upstream.model, baseUrl);
    case "vllm":
      // In-cluster, keyless; the hosted API's key is never sent to it.
      return new OpenAiStyleProvider("vllm", upstream.model, baseUrl, undefined);
    case "openai":
    case "huggingface":
    case "openai-compatible":
      return new OpenAiStyleProvider(upstream.provider, upstream.model, baseUrl, settings.apiKey);
  }
}
