// The cached Helm: it reports the pinned version, assumes the bed's Kubernetes version when it
// has no cluster to ask, lints a good chart and names the fault in a broken one, renders a chart
// with values, and keeps its files in the test's directory rather than the user's home.

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { temporaryDirectory } from '../../cluster/cluster-harness.js';
import { KUBERNETES_VERSION } from '../bed/paths.js';
import { helm } from './helm.js';
import { writeTinyChart } from './tiny-chart.js';
import { ENSURE_SERVICES_TIMEOUT_MS, ensureServices, HELM_VERSION } from './tool-paths.js';


let directory: string;
let chart: string;

beforeAll(async () => {
  await ensureServices();
  directory = await temporaryDirectory('helm');
  chart = writeTinyChart(directory);
}, ENSURE_SERVICES_TIMEOUT_MS);

afterAll(async () => {
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
});

describe('Helm', () => {
  it('reports the pinned version', async () => {
    expect(await helm(['version', '--template', '{{ .Version }}'], { directory })).toBe(HELM_VERSION);
  });

  it('lints a good chart and names the fault in a broken one', async () => {
    expect(await helm(['lint', chart], { directory })).toContain('1 chart(s) linted, 0 chart(s) failed');
    const broken = writeTinyChart(join(directory, 'broken'), 'data:\n  greeting: {{ .Values.greeting | quote\n');
    await expect(helm(['lint', broken], { directory })).rejects.toThrow(/configmap\.yaml.*unclosed action/);
  });

  it('renders a chart with its values for the bed\'s Kubernetes version', async () => {
    const rendered = await helm(['template', 'demo', chart, '--set', 'greeting=hi'], { directory });
    const [configMap] = parseAllDocuments(rendered).map((document) => document.toJS() as { metadata: { name: string }; data: Record<string, string> });
    expect(configMap?.metadata.name).toBe('demo-settings');
    expect(configMap?.data.greeting).toBe('hi');
    const minor = KUBERNETES_VERSION.split('.')[1];
    expect(configMap?.data.kubeVersion).toBe(`v1.${minor}.0`);
  });

  it('keeps its cache, configuration, data and registry logins in the directory it is given', async () => {
    const environment = await helm(['env'], { directory });
    for (const variable of ['HELM_CACHE_HOME', 'HELM_CONFIG_HOME', 'HELM_DATA_HOME', 'HELM_REGISTRY_CONFIG']) {
      expect(environment).toMatch(new RegExp(`^${variable}="${join(directory, 'helm')}/`, 'm'));
    }
  });
});
