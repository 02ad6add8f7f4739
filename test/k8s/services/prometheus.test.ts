// Prometheus as the test bed starts it: it scrapes a real Beaver-Vault server's /metrics,
// answers PromQL about it, takes rule files through a reload, and is gone, by pid, once
// stopped; promtool passes a good rule file and explains what is wrong with a bad one.

import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, temporaryDirectory, waitFor } from '../../cluster/cluster-harness.js';
import { isAlive, PidRegistry, stopByPid } from '../bed/processes.js';
import { promtool, startPrometheus, type Prometheus, type ScrapeTarget, type Sample } from './prometheus.js';
import { ENSURE_SERVICES_TIMEOUT_MS, ensureServices } from './tool-paths.js';

/** Several scrape intervals of one second, with room for a loaded machine. */
const SCRAPE_TIMEOUT_MS = 30_000;

const GOOD_RULES = `groups:
  - name: bvault
    rules:
      - record: bvault:has_leader:max
        expr: max(bvault_server_has_leader)
`;
const BAD_RULES = `groups:
  - name: bvault
    rules:
      - record: bvault:broken
        expr: max(bvault_server_has_leader
`;

let directory: string;
let registry: PidRegistry;
let cluster: TestCluster;
let prometheus: Prometheus;
let bvault: ScrapeTarget;

beforeAll(async () => {
  await ensureServices();
  directory = await temporaryDirectory('prometheus');
  registry = new PidRegistry(join(directory, 'pids'));
  cluster = await TestCluster.start({ size: 1, prefix: 'prometheus-target' });
  bvault = { job: 'bvault', targets: [`127.0.0.1:${cluster.member('n1').ports.http}`] };
  prometheus = await startPrometheus({ directory, registry, scrapeTargets: [bvault] });
}, ENSURE_SERVICES_TIMEOUT_MS + 90_000);

afterAll(async () => {
  if (registry !== undefined) await stopByPid(registry.entries().map((entry) => entry.pid), 5_000);
  await cluster?.destroy();
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
}, 60_000);

/** The samples of an instant query, once it returns at least one. */
function samplesOf(promql: string): Promise<readonly Sample[]> {
  return waitFor(promql, SCRAPE_TIMEOUT_MS, async () => {
    const data = await prometheus.query(promql);
    return data.resultType === 'vector' && data.result.length > 0 ? data.result : undefined;
  });
}

describe('Prometheus scraping Beaver-Vault', () => {
  it('scrapes the server and answers PromQL about its metrics', async () => {
    const up = await samplesOf('up{job="bvault"} == 1');
    expect(up[0]?.metric.instance).toBe(bvault.targets[0]);
    const leader = await samplesOf('bvault_server_has_leader{job="bvault"}');
    expect(leader[0]?.value[1]).toBe('1');
    const [target] = await prometheus.targets();
    expect(target?.health).toBe('up');
  });

  it('passes a good rule file through promtool and explains what is wrong with a bad one', async () => {
    await writeFile(join(directory, 'good.rules.yml'), GOOD_RULES);
    await writeFile(join(directory, 'bad.rules.yml'), BAD_RULES);
    expect(await promtool(['check', 'rules', join(directory, 'good.rules.yml')])).toContain('SUCCESS: 1 rules found');
    await expect(promtool(['check', 'rules', join(directory, 'bad.rules.yml')])).rejects.toThrow(/bvault:broken[\s\S]*unclosed left parenthesis/);
  });

  it('evaluates the rule files of a reloaded configuration', async () => {
    await prometheus.reload({ scrapeTargets: [bvault], ruleFiles: [join(directory, 'good.rules.yml')] });
    const recorded = await samplesOf('bvault:has_leader:max');
    expect(recorded[0]?.value[1]).toBe('1');
  });

  it('is gone, and out of the registry, once stopped', async () => {
    await prometheus.stop();
    expect(isAlive(prometheus.pid)).toBe(false);
    expect(registry.entries()).toEqual([]);
  });
});
