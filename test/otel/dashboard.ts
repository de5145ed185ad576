import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The provisioned Grafana dashboard and its PromQL, as the tests read it. */
export const DASHBOARD_PATH = resolve('grafana/dashboards/voicemode-latency.json');

export interface DashboardQuery {
  panel: string;
  refId: string;
  expr: string;
}

export function dashboardQueries(): DashboardQuery[] {
  const dash = JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as {
    panels: { title: string; datasource?: { type?: string }; targets?: { refId: string; expr?: string; datasource?: { type?: string } }[] }[];
  };
  const out: DashboardQuery[] = [];
  for (const p of dash.panels) {
    for (const t of p.targets ?? []) {
      const type = t.datasource?.type ?? p.datasource?.type;
      if (type === 'prometheus') out.push({ panel: p.title, refId: t.refId, expr: t.expr ?? '' });
    }
  }
  return out;
}

/** Grafana's built-in interval variables, as Grafana would fill them for a short window. */
export function expandGrafanaVariables(expr: string, rateInterval = '5s', range = '1m'): string {
  return expr.replaceAll('$__rate_interval', rateInterval).replaceAll('$__interval', rateInterval).replaceAll('$__range', range);
}
