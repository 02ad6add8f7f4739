// Debian's Prometheus as the metrics server a test asks for: it scrapes the targets it is given
// and answers PromQL, listening on a free loopback port with its database in the test's
// directory. Every configuration is checked with promtool before Prometheus sees it, so a bad
// one fails with promtool's explanation rather than a server that will not start.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../cluster/cluster-harness.js';
import type { PidRegistry } from '../bed/processes.js';
import { runTool } from './run-tool.js';
import { startService } from './service-process.js';
import { installed, SERVICE_BINARIES } from './tool-paths.js';

const READY_TIMEOUT_MS = 60_000;
/** The rules unit tests evaluate days of alerts minute by minute: about 10 s of CPU, more on a busy machine. */
const PROMTOOL_TIMEOUT_MS = 120_000;
const REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_SCRAPE_INTERVAL_SECONDS = 1;

export interface ScrapeTarget {
  readonly job: string;
  /** host:port of each endpoint. */
  readonly targets: readonly string[];
  readonly scheme?: 'http' | 'https';
  readonly metricsPath?: string;
  /** For https: the CA that signed the targets' certificates. */
  readonly caFile?: string;
}

export interface PrometheusConfig {
  readonly scrapeTargets: readonly ScrapeTarget[];
  /** Absolute paths of rule files to evaluate. */
  readonly ruleFiles?: readonly string[];
  /** How often targets are scraped and rules evaluated; short, so tests see data quickly. */
  readonly scrapeIntervalSeconds?: number;
}

export interface PrometheusOptions extends PrometheusConfig {
  /** The configuration, the database and the log go here; the caller removes it. */
  readonly directory: string;
  readonly registry: PidRegistry;
}

export interface Sample {
  readonly metric: Readonly<Record<string, string>>;
  /** [unix time in seconds, value as Prometheus prints it]. */
  readonly value: readonly [number, string];
}

/** The data of an /api/v1/query answer. */
export type QueryData =
  | { readonly resultType: 'vector'; readonly result: readonly Sample[] }
  | { readonly resultType: 'matrix'; readonly result: readonly { metric: Readonly<Record<string, string>>; values: readonly (readonly [number, string])[] }[] }
  | { readonly resultType: 'scalar' | 'string'; readonly result: readonly [number, string] };

export interface ActiveTarget {
  readonly labels: Readonly<Record<string, string>>;
  readonly scrapeUrl: string;
  readonly health: 'up' | 'down' | 'unknown';
  readonly lastError: string;
}

export interface Prometheus {
  readonly pid: number;
  readonly url: string;
  query(promql: string): Promise<QueryData>;
  targets(): Promise<ActiveTarget[]>;
  /** Writes and checks a new configuration, then has Prometheus load it (e.g. once pods exist). */
  reload(config: PrometheusConfig): Promise<void>;
  stop(): Promise<void>;
}

/** promtool's stdout; rejects with what promtool printed when it fails (e.g. `check rules` of a bad file). */
export function promtool(args: readonly string[], cwd?: string): Promise<string> {
  return runTool(installed(SERVICE_BINARIES.promtool), args, { cwd, timeoutMs: PROMTOOL_TIMEOUT_MS });
}

export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  const configFile = join(options.directory, 'prometheus.yml');
  await writeCheckedConfig(configFile, options);
  const url = `http://127.0.0.1:${await freePort()}`;
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(options.directory, 'data')}`,
    `--web.listen-address=${new URL(url).host}`,
    // For reload(): POST /-/reload.
    '--web.enable-lifecycle',
  ];
  const service = await startService('prometheus', installed(SERVICE_BINARIES.prometheus), args, {
    registry: options.registry,
    logFile: join(options.directory, 'prometheus.log'),
    readyUrl: `${url}/-/ready`,
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
  return {
    pid: service.pid,
    url,
    query: async (promql) => (await apiGet(url, `/api/v1/query?query=${encodeURIComponent(promql)}`)) as QueryData,
    targets: async () => ((await apiGet(url, '/api/v1/targets')) as { activeTargets: ActiveTarget[] }).activeTargets,
    reload: async (config) => {
      await writeCheckedConfig(configFile, config);
      const response = await fetch(`${url}/-/reload`, { method: 'POST', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      if (response.status !== 200) throw new Error(`Prometheus refused to reload ${configFile}: ${response.status} ${await response.text()}`);
    },
    stop: () => service.stop(),
  };
}

async function writeCheckedConfig(configFile: string, config: PrometheusConfig): Promise<void> {
  const intervalSeconds = config.scrapeIntervalSeconds ?? DEFAULT_SCRAPE_INTERVAL_SECONDS;
  const document = {
    global: { scrape_interval: `${intervalSeconds}s`, evaluation_interval: `${intervalSeconds}s` },
    rule_files: config.ruleFiles ?? [],
    scrape_configs: config.scrapeTargets.map((target) => ({
      job_name: target.job,
      scheme: target.scheme ?? 'http',
      metrics_path: target.metricsPath ?? '/metrics',
      static_configs: [{ targets: target.targets }],
      ...(target.caFile === undefined ? {} : { tls_config: { ca_file: target.caFile } }),
    })),
  };
  writeFileSync(configFile, stringify(document));
  await promtool(['check', 'config', configFile]);
}

/** The `data` of a Prometheus HTTP API answer; an error answer rejects with Prometheus's message. */
async function apiGet(url: string, path: string): Promise<unknown> {
  const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const answer = (await response.json()) as { status: string; data?: unknown; error?: string };
  if (answer.status !== 'success') throw new Error(`Prometheus ${path} answered ${response.status}: ${answer.error ?? JSON.stringify(answer)}`);
  return answer.data;
}
