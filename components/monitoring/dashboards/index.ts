/** Every dashboard of a stack, provisioned as ConfigMaps that Grafana's sidecar loads. */
import { costDashboard } from "./cost";
import { Dashboard } from "./grafana";
import { gpuDashboard } from "./gpu";
import { infrastructureDashboard } from "./infrastructure";
import { knowledgeDashboard } from "./knowledge";
import { modelServerDashboard } from "./model-server";
import { overviewDashboard } from "./overview";
import { tritonDashboard } from "./triton";
import { DashboardParams } from "./params";
import { sharedStateDashboard } from "./shared-state";

export { dashboardQueries } from "./grafana";
export type { Dashboard } from "./grafana";
export type { DashboardParams } from "./params";

export function dashboards(params: DashboardParams): Dashboard[] {
  return [overviewDashboard(params), modelServerDashboard(params), tritonDashboard(params), gpuDashboard(), costDashboard(params), infrastructureDashboard(params), sharedStateDashboard(params), knowledgeDashboard(params)];
}
