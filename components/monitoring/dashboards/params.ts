/** What a stack's dashboards are built from. */
export interface DashboardParams {
  /** Namespace the assistant runs in; baked into the queries so each stack's dashboards show that stack only. */
  appNamespace: string;
  /** USD per GPU-hour, for the cost estimate. */
  gpuHourlyCostUsd: number;
}

/** Grafana's rate window: at least four scrapes, whatever the zoom. */
export const RATE = "$__rate_interval";
