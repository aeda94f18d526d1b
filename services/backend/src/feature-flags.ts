/**
 * Feature flags per request: OpenFeature's server SDK with the flagd provider in its in-process resolver, reading the
 * flag file the stack mounts (FEATURE_FLAGS_FILE; the contract is lib/feature-flags.ts). No flagd sidecar, no network.
 *
 * The provider's offline mode reads the file once, then watches it with `fs.watchFile`, which polls `stat` every
 * ~5 s (flagd-provider 0.16.1, FileFetch in src/lib/service/in-process/file/file-fetch.ts; its README: "Offline mode
 * uses fs.watchFile and polls every 5 seconds"). `stat` follows symlinks, so kubelet's update of a mounted ConfigMap
 * (a new `..<timestamp>` directory, then `..data` swapped to it by rename) shows as a new inode and the new flags are
 * read without a restart. A file that fails to parse later keeps the last good flags (the provider logs the error).
 * The provider watches only a file it could read at start (FileFetch.connect sets up `fs.watchFile` after its first
 * read succeeds), so a file missing or broken at start is tried again with a new provider every
 * {@link START_RETRY_MS} until it reads; meanwhile every flag gives its default.
 *
 * Evaluations never fail a request: an error (file missing or unreadable at start, a flag absent, a model not
 * served) gives the flag's default, which is what the backend does without flags, and is counted and logged as an
 * error (at most once a minute per flag and error, so a broken file cannot flood the log).
 */
import { randomUUID } from "crypto";
import { FlagdProvider } from "@openfeature/flagd-provider";
import { Client, EvaluationDetails, FlagValue, Logger as OpenFeatureLogger, OpenFeature } from "@openfeature/server-sdk";
import { AS_ASKED, FeatureName, FEATURES, OFF, ON, SwitchFeature } from "../../../lib/feature-flags";
import { Logger } from "./log";
import { BackendMetrics } from "./metrics";

/** What the flags leave on for one request; `model`: the model a request for the default model goes to instead. */
export interface RequestFeatures {
  knowledge: boolean;
  responseCache: boolean;
  semanticCache: boolean;
  model?: string;
  /** Each flag's variant, for the request's log line. */
  variants: Record<FeatureName, string>;
}

/** Without a flag file: everything as the settings say, as before flags existed. */
export const WITHOUT_FLAGS: RequestFeatures = {
  knowledge: true,
  responseCache: true,
  semanticCache: true,
  variants: { knowledge: ON, responseCache: ON, semanticCache: ON, model: AS_ASKED },
};

const LOG_EVERY_MS = 60_000;
/** How often a flag file that could not be read at start is tried again: about as often as the provider polls a good one. */
export const START_RETRY_MS = 5_000;

/** The SDK's and the provider's log calls, into the backend's JSON log (debug dropped). */
function openFeatureLogger(log: Logger): OpenFeatureLogger {
  const text = (args: unknown[]) => args.map((arg) => (arg instanceof Error ? arg.message : typeof arg === "string" ? arg : JSON.stringify(arg))).join(" ");
  return {
    error: (...args: unknown[]) => log.error("feature flags", { error: text(args) }),
    warn: (...args: unknown[]) => log.warn("feature flags", { error: text(args) }),
    info: (...args: unknown[]) => log.info("feature flags", { detail: text(args) }),
    debug: () => undefined,
  };
}

export class FeatureFlags {
  private readonly client: Client;
  private readonly domain: string;
  private readonly providerLogger: OpenFeatureLogger;
  private provider: FlagdProvider;
  private readonly started: Promise<void>;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly lastLogged = new Map<string, number>();

  /**
   * `served`: whether the backend serves a model (a `model` variant naming another one is an error). `retryMs`: how
   * often a file unreadable at start is tried again.
   */
  constructor(
    readonly file: string,
    private readonly served: (model: string) => boolean,
    private readonly metrics: BackendMetrics,
    private readonly log: Logger,
    private readonly retryMs = START_RETRY_MS,
  ) {
    this.providerLogger = openFeatureLogger(log);
    // A domain of its own: the OpenFeature API is one per process, and tests run several backends in one.
    this.domain = `ai-assistant-backend-${randomUUID()}`;
    this.client = OpenFeature.getClient(this.domain);
    this.client.setLogger(this.providerLogger);
    this.provider = this.newProvider();
    this.started = OpenFeature.setProviderAndWait(this.domain, this.provider).then(
      () => log.info("feature flags read", { file }),
      (error: Error) => {
        log.error("feature flags unusable; every flag gives its default until the file can be read (tried again every few seconds)", { file, error: error.message, retry_seconds: this.retryMs / 1000 });
        this.retryLater();
      },
    );
  }

  private newProvider(): FlagdProvider {
    return new FlagdProvider({ resolverType: "in-process", offlineFlagSourcePath: this.file }, this.providerLogger);
  }

  /** A new provider for the file after `retryMs`, and again after each failure (quietly: evaluations log the errors). */
  private retryLater(): void {
    if (this.closed) return;
    this.retry = setTimeout(() => {
      const failed = this.provider;
      this.provider = this.newProvider();
      void failed.onClose().catch(() => undefined);
      OpenFeature.setProviderAndWait(this.domain, this.provider).then(
        () => {
          // Closed while it was reading: close() stopped the provider it knew of, not necessarily this one.
          if (this.closed) void this.provider.onClose().catch(() => undefined);
          else this.log.info("feature flags read", { file: this.file, after_retry: true });
        },
        () => this.retryLater(),
      );
    }, this.retryMs);
    // Retrying never keeps the process alive on its own.
    this.retry.unref();
  }

  /** Resolves once the file was first read (or failed to be; retries go on in the background). */
  whenReady(): Promise<void> {
    return this.started;
  }

  /**
   * The flags for one request from the caller `key` (stable per caller: its bucket in every percentage). Never
   * rejects: the SDK turns a provider's failure into the default already, and anything else is one more error.
   */
  async evaluate(key: string): Promise<RequestFeatures> {
    try {
      return await this.evaluated(key);
    } catch (error) {
      for (const flag of FEATURES) this.failed(flag, "GENERAL", (error as Error)?.message ?? String(error), WITHOUT_FLAGS.variants[flag]);
      return WITHOUT_FLAGS;
    }
  }

  private async evaluated(key: string): Promise<RequestFeatures> {
    await this.started;
    const context = { targetingKey: key };
    const switchOf = async (flag: SwitchFeature): Promise<boolean> => {
      const details = await this.client.getBooleanDetails(flag, true, context);
      return this.counted(flag, details, details.value ? ON : OFF);
    };
    const [knowledge, responseCache, semanticCache, modelDetails] = await Promise.all([
      switchOf("knowledge"),
      switchOf("responseCache"),
      switchOf("semanticCache"),
      this.client.getStringDetails("model", "", context),
    ]);
    // A model variant is counted only once it is known to be served: the label stays one of the served models.
    let model = modelDetails.value || undefined;
    if (modelDetails.errorCode) {
      this.failed("model", modelDetails.errorCode, modelDetails.errorMessage ?? "", AS_ASKED);
      model = undefined;
    } else if (model !== undefined && !this.served(model)) {
      this.failed("model", "MODEL_NOT_SERVED", `the flag names the model ${JSON.stringify(model.slice(0, 100))}, which this backend does not serve`, AS_ASKED);
      model = undefined;
    } else this.metrics.flagEvaluated("model", model ?? AS_ASKED, "ok");
    const variants = { knowledge: knowledge ? ON : OFF, responseCache: responseCache ? ON : OFF, semanticCache: semanticCache ? ON : OFF, model: model ?? AS_ASKED };
    return { knowledge, responseCache, semanticCache, model, variants };
  }

  /** The value evaluated, counted by variant; on an error, the default's variant, counted and logged as an error. */
  private counted<T extends FlagValue>(flag: FeatureName, details: EvaluationDetails<T>, variant: string): T {
    if (details.errorCode) {
      this.failed(flag, details.errorCode, details.errorMessage ?? "", variant);
      return details.value;
    }
    this.metrics.flagEvaluated(flag, variant, "ok");
    return details.value;
  }

  private failed(flag: FeatureName, code: string, message: string, variant: string): void {
    this.metrics.flagEvaluated(flag, variant, "error");
    const key = `${flag} ${code}`;
    const now = Date.now();
    if (now - (this.lastLogged.get(key) ?? -Infinity) < LOG_EVERY_MS) return;
    this.lastLogged.set(key, now);
    this.log.error("feature flag evaluation failed; the default applies", { flag, error_code: code, error: message, variant, file: this.file });
  }

  /** Stops watching the file, and trying it again. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.started;
    await this.provider.onClose();
  }
}
