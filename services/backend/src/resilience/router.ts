/**
 * Who answers a chat request: the model's provider, then the fallback chain (`LLM_FALLBACK`). Each provider gets
 * a timeout per attempt, retries with backoff on 429/5xx and refused connections (honouring `Retry-After` up to
 * `LLM_RETRY_MAX_WAIT_SECONDS`; a longer one skips to the fallback at once) and a circuit breaker. A stream is
 * committed to a provider once its first event arrives: until then a failure moves on to the next provider; after
 * that it can only end the stream (see server.ts).
 */
import { setTimeout as sleep } from "timers/promises";
import { BackendSettings, ProviderName, withoutUrlSecrets } from "../../../../lib/backend-env";
import { LOCAL_MODEL_REQUEST_REASONS, UpstreamErrorKind } from "../../../../lib/metrics-contract";
import { createProvider } from "../providers";
import { CallCancellation, ChatRequest, Completion, Provider, StreamEvent, UpstreamError } from "../providers/types";
import { BreakerState, CircuitBreaker } from "./circuit-breaker";
import type { ClientPresence } from "./client-presence";
import { backoffMs } from "./retry-after";
import { upstreamKind } from "../upstream-errors";

/** The client went away: nothing is answered, nothing counts against the provider. */
export class ClientGone extends Error {
  override name = "ClientGone";
}

export interface Served {
  provider: Provider;
  /** A provider of the fallback chain answered. */
  fallback: boolean;
  /** Attempts made in all, retries and earlier providers included. */
  attempts: number;
  /** Why earlier providers did not answer, for the log. */
  failures: string[];
}

export interface OpenedStream extends Served {
  /** The answer's events; throws an {@link UpstreamError} when the stream breaks off. */
  events: AsyncGenerator<StreamEvent, void, undefined>;
}

/**
 * One call to an upstream, stopped on its timeout (re-armed by `refresh`) or when the client goes away. The signal
 * for the SDKs is made only when one asks for it (see {@link CallCancellation}).
 */
class Attempt implements CallCancellation {
  private controller: AbortController | undefined;
  private stop: ((reason: unknown) => void) | undefined;
  private stopped: { reason: unknown } | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly unwatchClient: () => void;

  constructor(timeoutMs: number, client: ClientPresence) {
    this.timer = setTimeout(() => this.cancel(new UpstreamError(`timed out after ${timeoutMs / 1000} s`, "timeout")), timeoutMs);
    this.unwatchClient = client.onGone((reason) => this.cancel(reason));
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.stopped) this.controller.abort(this.stopped.reason);
    }
    return this.controller.signal;
  }

  onCancel(stop: (reason: unknown) => void): () => void {
    if (this.stopped) {
      stop(this.stopped.reason);
      return () => {};
    }
    this.stop = stop;
    return () => {
      if (this.stop === stop) this.stop = undefined;
    };
  }

  refresh(): void {
    this.timer.refresh();
  }

  /** Done with the upstream call; `abandon` stops it if it is still running (a stream left unread). */
  end(abandon = false): void {
    clearTimeout(this.timer);
    this.unwatchClient();
    if (abandon) this.cancel(new ClientGone("the answer was abandoned"));
  }

  private cancel(reason: unknown): void {
    if (this.stopped) return;
    this.stopped = { reason };
    this.controller?.abort(reason);
    this.stop?.(reason);
  }
}

/** In-cluster model servers: they may be asleep (scaled to zero) or still waking. */
const LOCAL_PROVIDERS: readonly ProviderName[] = ["vllm", "triton", "ollama"];
export const isLocalProvider = (name: ProviderName) => LOCAL_PROVIDERS.includes(name);

export type LocalOutcome = (typeof LOCAL_MODEL_REQUEST_REASONS)[number];

/** What the router tells the metrics, as it happens. Every member is optional. */
export interface RouterEvents {
  /** The fate of a request whose model an in-cluster server serves, once known (KEDA wakes the server on these). */
  local?(model: string, outcome: LocalOutcome): void;
  /** A call to `provider` failed (every attempt, retried or not, and a stream that broke off). */
  upstreamError?(provider: ProviderName, kind: UpstreamErrorKind): void;
  /** A call to `provider` is about to be repeated. */
  retry?(provider: ProviderName): void;
  /** A fallback provider answered a request meant for `from`. */
  fallback?(from: ProviderName, to: ProviderName): void;
}

/** One upstream's circuit, for /readyz and the circuit-state gauge. */
export interface CircuitView {
  provider: ProviderName;
  /** The upstream's base URL without userinfo or query (`mock` for the mock). */
  upstream: string;
  state: BreakerState;
}

/**
 * Whether a local server's failure means it is not there to answer: scaled to zero (its Service has no endpoints,
 * so connections are refused), not ready yet (503), or its circuit opened on exactly that. Such a request goes to
 * the fallback at once, without retries: the server takes minutes to wake, not seconds.
 */
export function isAsleep(error: UpstreamError): boolean {
  return error.kind === "network" || error.kind === "circuit-open" || (error.kind === "http" && error.status === 503);
}

function asUpstreamError(error: unknown): UpstreamError | ClientGone {
  if (error instanceof UpstreamError || error instanceof ClientGone) return error;
  return new UpstreamError(`failed: ${(error as Error)?.message ?? String(error)}`, "protocol");
}

export class Router {
  private readonly byModel = new Map<string, Provider>();
  private readonly fallbacks: Provider[];
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly upstreams = new Map<string, Omit<CircuitView, "state">>();
  private readonly onLocal: (model: string, outcome: LocalOutcome) => void;

  /** `events` learns of local-model fates, failures, retries and fallbacks as they happen (the backend counts them). */
  constructor(
    private readonly settings: BackendSettings,
    private readonly events: RouterEvents = {},
  ) {
    this.onLocal = (model, outcome) => events.local?.(model, outcome);
    const made = new Map<string, Provider>();
    const make = (upstream: BackendSettings["primary"], role: "primary" | "fallback") => {
      const provider = createProvider(upstream, settings, role);
      const id = `${provider.key} ${provider.model}`;
      if (!made.has(id)) made.set(id, provider);
      if (!this.breakers.has(provider.key)) {
        this.breakers.set(provider.key, new CircuitBreaker(settings.breaker.failures, settings.breaker.cooldownMs));
        this.upstreams.set(provider.key, { provider: provider.name, upstream: upstream.baseUrl ? withoutUrlSecrets(upstream.baseUrl) : provider.name });
      }
      return made.get(id)!;
    };
    for (const upstream of settings.models) this.byModel.set(upstream.model, make(upstream, "primary"));
    this.fallbacks = settings.fallbacks.map((upstream) => make(upstream, "fallback"));
  }

  /** Served model names, the default first. */
  get models(): string[] {
    return [...this.byModel.keys()];
  }

  get defaultModel(): string {
    return this.models[0];
  }

  has(model: string): boolean {
    return this.byModel.has(model);
  }

  /** Circuit state per upstream, for /readyz and the gauge; URLs without credentials. */
  circuits(): CircuitView[] {
    return [...this.breakers].map(([key, breaker]) => ({ ...this.upstreams.get(key)!, state: breaker.state }));
  }

  private chain(model: string): Provider[] {
    const primary = this.byModel.get(model)!;
    return [primary, ...this.fallbacks.filter((p) => p !== primary)];
  }

  /**
   * Runs `call` on each provider of the chain until one succeeds, with retries per provider. `call` gets an
   * attempt whose signal to pass on; it returns what the caller keeps (and ends the attempt itself, or not).
   */
  private async firstAnswer<T>(model: string, client: ClientPresence, call: (provider: Provider, attempt: Attempt) => Promise<T>): Promise<Served & { value: T }> {
    const failures: string[] = [];
    let attempts = 0;
    let last: UpstreamError | undefined;
    const chain = this.chain(model);
    const local = isLocalProvider(chain[0].name);
    for (const [index, provider] of chain.entries()) {
      const breaker = this.breakers.get(provider.key)!;
      if (!breaker.allow()) {
        failures.push(`${provider.name}: circuit open`);
        last ??= new UpstreamError(`${provider.name} is failing; its circuit is open`, "circuit-open");
        if (index === 0 && local) this.onLocal(model, "asleep");
        continue;
      }
      for (let retry = 0; ; retry++) {
        attempts++;
        const attempt = new Attempt(this.settings.timeoutMs, client);
        try {
          const value = await call(provider, attempt);
          breaker.success();
          if (index === 0 && local) this.onLocal(model, "served");
          if (index > 0) this.events.fallback?.(chain[0].name, provider.name);
          return { provider, fallback: index > 0, attempts, failures, value };
        } catch (thrown) {
          attempt.end(true);
          const error = asUpstreamError(thrown);
          if (error instanceof ClientGone) {
            breaker.release();
            throw error;
          }
          this.events.upstreamError?.(provider.name, upstreamKind(error));
          if (error.clientFault) {
            // It answered, and refused this request: the provider is fine, and no other would accept it either.
            breaker.success();
            if (index === 0 && local) this.onLocal(model, "served");
            throw error;
          }
          last = error;
          const asleep = index === 0 && local && isAsleep(error);
          const wait = error.retryable && !asleep && retry < this.settings.maxRetries ? (error.retryAfterMs ?? backoffMs(retry, this.settings.retryMaxWaitMs)) : undefined;
          if (wait === undefined || wait > this.settings.retryMaxWaitMs) {
            failures.push(`${provider.name}: ${error.message}`);
            breaker.failure();
            if (index === 0 && local) this.onLocal(model, asleep ? "asleep" : "failed");
            break;
          }
          this.events.retry?.(provider.name);
          try {
            await sleep(wait, undefined, { signal: client.signal });
          } catch {
            breaker.release();
            throw new ClientGone("the client closed the connection");
          }
        }
      }
    }
    throw last ?? new UpstreamError("no provider to ask", "circuit-open");
  }

  async complete(request: ChatRequest, client: ClientPresence): Promise<Served & { value: Completion }> {
    return this.firstAnswer(request.model, client, async (provider, attempt) => {
      const value = await provider.complete(request, attempt);
      attempt.end();
      return value;
    });
  }

  async openStream(request: ChatRequest, client: ClientPresence): Promise<OpenedStream> {
    const opened = await this.firstAnswer(request.model, client, async (provider, attempt) => {
      const iterator = provider.stream(request, attempt.signal)[Symbol.asyncIterator]();
      const first = await iterator.next();
      if (first.done) throw new UpstreamError("ended its stream without an answer", "protocol");
      return { iterator, first: first.value, attempt };
    });
    const { iterator, first, attempt } = opened.value;
    const breaker = this.breakers.get(opened.provider.key)!;
    const failed = (error: UpstreamError) => {
      breaker.failure();
      this.events.upstreamError?.(opened.provider.name, upstreamKind(error));
    };
    async function* events(): AsyncGenerator<StreamEvent, void, undefined> {
      let finished = first.type === "finish";
      try {
        yield first;
        for (;;) {
          const next = await iterator.next();
          if (next.done) break;
          attempt.refresh();
          finished ||= next.value.type === "finish";
          yield next.value;
        }
      } catch (thrown) {
        const error = asUpstreamError(thrown);
        if (!(error instanceof ClientGone)) failed(error);
        throw error;
      } finally {
        attempt.end(true);
        iterator.return?.().catch(() => undefined);
      }
      if (!finished) {
        const error = new UpstreamError("ended its stream before the answer was complete", "protocol");
        failed(error);
        throw error;
      }
    }
    return { provider: opened.provider, fallback: opened.fallback, attempts: opened.attempts, failures: opened.failures, events: events() };
  }
}
