/**
 * The e2e harness's own small runner: named checks run in order, each passes or fails with its reason, and the run
 * ends with one plain line a reader (or CI) can count: `e2e: N passed, N failed`. Steps that later checks need
 * (builds, starting containers) are checks too, so a failed build shows as the failure it is and what depends on it
 * is skipped and counted, never silently passed.
 */

export type Outcome = "passed" | "failed" | "skipped";

export interface CheckResult {
  name: string;
  outcome: Outcome;
  seconds: number;
  detail?: string;
}

export class Checks {
  readonly results: CheckResult[] = [];
  private readonly started = Date.now();

  /** Runs `body` unless one of `needs` (names of earlier checks) did not pass; returns whether it passed. */
  async check(name: string, body: () => Promise<string | void>, needs: string[] = []): Promise<boolean> {
    const missing = needs.filter((need) => this.results.find((r) => r.name === need)?.outcome !== "passed");
    if (missing.length > 0) {
      this.record({ name, outcome: "skipped", seconds: 0, detail: `needs ${missing.join(", ")}` });
      return false;
    }
    const began = Date.now();
    process.stdout.write(`... ${name}\n`);
    try {
      const detail = await body();
      this.record({ name, outcome: "passed", seconds: (Date.now() - began) / 1000, detail: detail || undefined });
      return true;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.record({ name, outcome: "failed", seconds: (Date.now() - began) / 1000, detail: message });
      return false;
    }
  }

  private record(result: CheckResult): void {
    this.results.push(result);
    const mark = { passed: "ok  ", failed: "FAIL", skipped: "skip" }[result.outcome];
    const detail = result.detail ? `: ${result.detail}` : "";
    process.stdout.write(`${mark} ${result.name} (${result.seconds.toFixed(1)} s)${detail}\n`);
  }

  count(outcome: Outcome): number {
    return this.results.filter((r) => r.outcome === outcome).length;
  }

  /** The closing line. */
  summary(): string {
    const minutes = ((Date.now() - this.started) / 60000).toFixed(1);
    return `e2e: ${this.count("passed")} passed, ${this.count("failed")} failed, ${this.count("skipped")} skipped in ${minutes} min`;
  }
}

/** Throws with `message` unless `condition` holds. */
export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
