/**
 * A small builder for Grafana dashboard JSON (schema 39): enough for time series and stat panels on a Prometheus
 * data source, laid out left to right on Grafana's 24-column grid.
 */

/** One PromQL query of a panel. */
export interface Query {
  expr: string;
  /** Series name in the legend, e.g. `{{model_name}}`. */
  legend?: string;
}

export interface PanelSpec {
  title: string;
  type: "timeseries" | "stat";
  queries: Query[];
  /** Grafana unit id: reqps, percentunit, s, mbytes, currencyUSD, … */
  unit: string;
  description?: string;
  /** Value at which the panel turns red: the matching alert's threshold, so the picture and the page agree. */
  threshold?: number;
  /** Width in grid columns (24 is the full row); stats default to 6, graphs to 12. */
  width?: number;
}

export interface Dashboard {
  uid: string;
  title: string;
  [field: string]: unknown;
}

const DATASOURCE = { type: "prometheus", uid: "${datasource}" };

function thresholds(threshold: number | undefined) {
  const steps: { color: string; value: number | null }[] = [{ color: "green", value: null }];
  if (threshold !== undefined) steps.push({ color: "red", value: threshold });
  return { mode: "absolute", steps };
}

function panel(spec: PanelSpec, id: number, gridPos: { x: number; y: number; w: number; h: number }) {
  return {
    id,
    type: spec.type,
    title: spec.title,
    description: spec.description,
    datasource: DATASOURCE,
    gridPos,
    targets: spec.queries.map((query, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DATASOURCE,
      expr: query.expr,
      legendFormat: query.legend ?? "__auto",
      // Stats show one number for the whole time range; graphs one point per step.
      instant: spec.type === "stat",
      range: spec.type !== "stat",
    })),
    fieldConfig: {
      defaults: {
        unit: spec.unit,
        thresholds: thresholds(spec.threshold),
        ...(spec.type === "timeseries" && spec.threshold !== undefined && { custom: { thresholdsStyle: { mode: "line" } } }),
      },
      overrides: [],
    },
    options:
      spec.type === "stat"
        ? { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "value", graphMode: "none" }
        : { legend: { displayMode: "list", placement: "bottom", showLegend: true }, tooltip: { mode: "multi", sort: "desc" } },
  };
}

/** Places panels left to right, wrapping at 24 columns; each row is as tall as its tallest panel. */
function layout(specs: PanelSpec[]) {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return specs.map((spec, i) => {
    const w = spec.width ?? (spec.type === "stat" ? 6 : 12);
    const h = spec.type === "stat" ? 4 : 8;
    if (x + w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const placed = panel(spec, i + 1, { x, y, w, h });
    x += w;
    rowHeight = Math.max(rowHeight, h);
    return placed;
  });
}

/** A whole dashboard, with a data source picker that defaults to the chart's provisioned Prometheus. */
export function dashboard(uid: string, title: string, description: string, specs: PanelSpec[]): Dashboard {
  return {
    uid,
    title,
    description,
    tags: ["ai-assistant"],
    editable: false,
    schemaVersion: 39,
    time: { from: "now-6h", to: "now" },
    refresh: "30s",
    timezone: "browser",
    templating: {
      list: [
        {
          name: "datasource",
          label: "Data source",
          type: "datasource",
          query: "prometheus",
          // kube-prometheus-stack provisions its Prometheus with this uid.
          current: { text: "Prometheus", value: "prometheus" },
          hide: 0,
        },
      ],
    },
    panels: layout(specs),
  };
}

/** Every PromQL expression of a dashboard, with the panel it belongs to. */
export function dashboardQueries(board: Dashboard): { panel: string; expr: string }[] {
  const panels = board.panels as { title: string; targets: { expr: string }[] }[];
  return panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));
}
