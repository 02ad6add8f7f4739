// helmInstall against the test bed's real API server: a release is installed into a namespace
// it creates, its objects are there for kubectl, and installing it again upgrades it in place.
// A bed without nodes suffices: the chart has no pods.

import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporaryDirectory } from '../../cluster/cluster-harness.js';
import { startBed, type Bed } from '../bed/bed.js';
import { KUBERNETES_VERSION } from '../bed/paths.js';
import { helm, helmInstall } from './helm.js';
import { writeTinyChart } from './tiny-chart.js';
import { ENSURE_SERVICES_TIMEOUT_MS, ensureServices } from './tool-paths.js';

const NAMESPACE = 'helm-install';

let bed: Bed;
let directory: string;
let chart: string;

beforeAll(async () => {
  await ensureServices();
  directory = await temporaryDirectory('helm-install');
  chart = writeTinyChart(directory);
  bed = await startBed({ nodes: 0 });
}, ENSURE_SERVICES_TIMEOUT_MS + 240_000);

afterAll(async () => {
  await bed?.stop();
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
}, 120_000);

async function greeting(): Promise<string> {
  return bed.kubectl(['get', 'configmap', 'demo-settings', '--namespace', NAMESPACE, '--output', 'jsonpath={.data.greeting}']);
}

describe('helmInstall on the test bed', () => {
  it('installs a release into a namespace it creates', async () => {
    await helmInstall({ directory, kubeconfig: bed.kubeconfig, release: 'demo', chart, namespace: NAMESPACE, values: { greeting: 'installed' }, wait: true });
    expect(await greeting()).toBe('installed');
    const kubeVersion = await bed.kubectl(['get', 'configmap', 'demo-settings', '--namespace', NAMESPACE, '--output', 'jsonpath={.data.kubeVersion}']);
    // Against a cluster, Helm renders for the API server's version rather than its default.
    expect(kubeVersion).toBe(KUBERNETES_VERSION);
  });

  it('upgrades the release when installed again', async () => {
    await helmInstall({ directory, kubeconfig: bed.kubeconfig, release: 'demo', chart, namespace: NAMESPACE, values: { greeting: 'upgraded' } });
    expect(await greeting()).toBe('upgraded');
    const [release] = JSON.parse(await helm(['list', '--namespace', NAMESPACE, '--output', 'json'], { directory, kubeconfig: bed.kubeconfig })) as { name: string; revision: string }[];
    expect(release).toMatchObject({ name: 'demo', revision: '2' });
  });
});
