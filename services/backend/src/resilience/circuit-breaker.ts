/**
 * A short circuit breaker per upstream: after `failures` consecutive failures the provider is skipped for
 * `cooldownMs` (the fallback answers at once instead of waiting on a provider that keeps failing); then one trial
 * request goes through, and its outcome closes or reopens the circuit.
 */
export type BreakerState = "closed" | "open" | "half-open";

export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openedAt?: number;
  private trialInFlight = false;

  constructor(
    private readonly failures: number,
    private readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    if (this.openedAt === undefined) return "closed";
    return this.now() - this.openedAt >= this.cooldownMs ? "half-open" : "open";
  }

  /** May a request go to this provider now? In half-open state, only one at a time (the trial). */
  allow(): boolean {
    const state = this.state;
    if (state === "closed") return true;
    if (state === "open" || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  success(): void {
    this.consecutiveFailures = 0;
    this.openedAt = undefined;
    this.trialInFlight = false;
  }

  failure(): void {
    this.consecutiveFailures++;
    if (this.trialInFlight || this.consecutiveFailures >= this.failures) this.openedAt = this.now();
    this.trialInFlight = false;
  }

  /** The outcome of an allowed request was neither (the client went away): free the trial slot. */
  release(): void {
    this.trialInFlight = false;
  }
}
