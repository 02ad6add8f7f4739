// The Grafana dashboards of observability/grafana as the tests read them: their panels and
// queries, the queries with Grafana's variables replaced as Grafana would replace them, the
// metric names a query reads, and the structural rules every panel must keep. There is no
// dashboard linter to run here (Grafana's dashboard-linter and mixtool do not build from the Go
// module proxy on this machine), so these rules and real Prometheus answers stand in for one.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPOSITORY_ROOT } from '../cluster/cluster-harness.js';
import type { Prometheus } from '../k8s/services/prometheus.js';

export const DASHBOARD_DIRECTORY = join(REPOSITORY_ROOT, 'observability', 'grafana');
export const DASHBOARD_FILES = ['bvault-cluster.json', 'bvault-member.json', 'bvault-operator.json'] as const;
export type DashboardFile = (typeof DASHBOARD_FILES)[number];

/** The Grafana schema version the dashboards are written in, or later. */
const SCHEMA_VERSION_MINIMUM = 39;
const PANEL_TYPES = new Set(['timeseries', 'stat', 'gauge']);
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

export interface Target {
  readonly expr: string;
  readonly refId: string;
  readonly legendFormat?: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
}

export interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos?: { readonly h: number; readonly w: number; readonly x: number; readonly y: number };
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly fieldConfig?: { readonly defaults?: { readonly unit?: string } };
  readonly targets?: readonly Target[];
  /** A collapsed row's panels. */
  readonly panels?: readonly Panel[];
}

export interface Variable {
  readonly name: string;
  readonly type: string;
  readonly query?: string | { readonly query?: string };
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly Variable[] };
}

export function loadDashboard(file: DashboardFile): Dashboard {
  return JSON.parse(readFileSync(join(DASHBOARD_DIRECTORY, file), 'utf8')) as Dashboard;
}

/** Every panel, rows included, with the panels of collapsed rows. */
export function allPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

/** The panels that draw data (not rows). */
export function dataPanels(dashboard: Dashboard): Panel[] {
  return allPanels(dashboard).filter((panel) => panel.type !== 'row');
}

export interface PanelQuery {
  /** "<panel title> <refId>", for messages. */
  readonly where: string;
  readonly expr: string;
}

export function queriesOf(dashboard: Dashboard): PanelQuery[] {
  return dataPanels(dashboard).flatMap((panel) => (panel.targets ?? []).map((target) => ({ where: `${dashboard.uid}: "${panel.title}" ${target.refId}`, expr: target.expr })));
}

/**
 * The query as Grafana sends it: $__rate_interval, $__range and the dashboard's own variables
 * ($name and ${name}) replaced. A variable that is not given is left as it is, and so fails
 * Prometheus's parse, which shows it.
 */
export function substitute(expr: string, variables: Readonly<Record<string, string>>): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => variables[braced ?? bare ?? ''] ?? whole);
}

/** The metric names a query selects: every dashboard query gives each metric a {…} selector. */
export function metricNames(expr: string): string[] {
  return [...new Set([...expr.matchAll(/([a-zA-Z_:][\w:]*)\{/g)].map((match) => match[1]!))];
}

/** A histogram's or summary's series back to its family's name, as docs/observability.md lists it. */
export function familyOf(metric: string): string {
  return metric.replace(/_(bucket|sum|count)$/, '');
}

/** What is wrong with a dashboard's structure; empty when nothing is. */
export function structuralProblems(dashboard: Dashboard): string[] {
  const problems: string[] = [];
  if (dashboard.schemaVersion < SCHEMA_VERSION_MINIMUM) problems.push(`${dashboard.uid}: schemaVersion ${dashboard.schemaVersion} is older than ${SCHEMA_VERSION_MINIMUM}`);
  const datasource = dashboard.templating.list.find((variable) => variable.name === 'datasource');
  if (datasource?.type !== 'datasource' || datasource.query !== 'prometheus') problems.push(`${dashboard.uid}: no datasource variable of type prometheus`);
  const ids = new Set<number>();
  for (const panel of allPanels(dashboard)) {
    const where = `${dashboard.uid}: panel ${panel.id} "${panel.title}"`;
    if (!Number.isInteger(panel.id) || ids.has(panel.id)) problems.push(`${where}: its id is not unique`);
    ids.add(panel.id);
    const grid = panel.gridPos;
    if (grid === undefined || [grid.h, grid.w, grid.x, grid.y].some((value) => !Number.isInteger(value)) || grid.x + grid.w > 24) problems.push(`${where}: no gridPos within 24 columns`);
    if (panel.type === 'row') continue;
    if (!PANEL_TYPES.has(panel.type)) problems.push(`${where}: type ${panel.type} is not one of ${[...PANEL_TYPES].join(', ')}`);
    if (panel.datasource?.type !== DATASOURCE.type || panel.datasource.uid !== DATASOURCE.uid) problems.push(`${where}: its datasource is not the datasource variable`);
    if (typeof panel.fieldConfig?.defaults?.unit !== 'string' || panel.fieldConfig.defaults.unit === '') problems.push(`${where}: no unit`);
    const targets = panel.targets ?? [];
    if (targets.length === 0) problems.push(`${where}: no query`);
    for (const target of targets) {
      if (target.datasource?.uid !== DATASOURCE.uid) problems.push(`${where} ${target.refId}: its datasource is not the datasource variable`);
      // Grafana picks a range that holds at least four scrapes only through $__rate_interval.
      for (const range of target.expr.matchAll(/\[([^\]]+)\]/g)) {
        if (range[1] !== '$__rate_interval' && range[1] !== '$__range') problems.push(`${where} ${target.refId}: the range [${range[1]}] is neither $__rate_interval nor $__range`);
      }
    }
  }
  return problems;
}

export interface QueryOutcome {
  readonly where: string;
  /** The query as sent, variables replaced. */
  readonly promql: string;
  /** Metrics it names that Prometheus has no series of. */
  readonly unknownMetrics: readonly string[];
  /** Whether the answer held no sample. */
  readonly empty: boolean;
}

/** The panel queries of the dashboard that `select` picks (all by default), with the variables replaced, run against Prometheus now. */
export async function runPanelQueries(prometheus: Prometheus, dashboard: Dashboard, variables: Readonly<Record<string, string>>, select: (query: PanelQuery) => boolean = () => true): Promise<QueryOutcome[]> {
  const known = await metricNamesIn(prometheus);
  const outcomes: QueryOutcome[] = [];
  for (const query of queriesOf(dashboard).filter(select)) {
    const promql = substitute(query.expr, variables);
    const data = await prometheus.query(promql);
    const empty = data.resultType === 'vector' || data.resultType === 'matrix' ? data.result.length === 0 : false;
    outcomes.push({ where: query.where, promql, unknownMetrics: metricNames(promql).filter((metric) => !known.has(metric)), empty });
  }
  return outcomes;
}

/** The metric names Prometheus holds series of (/api/v1/label/__name__/values). */
export async function metricNamesIn(prometheus: Prometheus): Promise<Set<string>> {
  const response = await fetch(`${prometheus.url}/api/v1/label/__name__/values`, { signal: AbortSignal.timeout(10_000) });
  return new Set(((await response.json()) as { data: string[] }).data);
}
