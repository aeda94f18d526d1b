/** What a stack's dashboards are built from. */
export interface DashboardParams {
  /** Namespace the assistant runs in; baked into the queries so each stack's dashboards show that stack only. */
  appNamespace: string;
  /** USD per GPU-hour, for the cost estimate. */
  gpuHourlyCostUsd: number;
  /**
   * What the hosted API charges per million tokens (config hostedApi.usdPerMillionTokens), for the money the response
   * cache saved; absent: the cost dashboard shows the tokens saved only.
   */
  tokenPrices?: { provider: string; prompt: number; completion: number };
}

/** Grafana's rate window: at least four scrapes, whatever the zoom. */
export const RATE = "$__rate_interval";
