// npm run manifests: rewrites manifests/beaver-vault.yaml and manifests/dashboards/grafana-dashboards.yaml
// from the chart. test/operator/operator-deployment.test.ts (beaver-vault.yaml) and helm-chart.test.ts (the dashboards) fail while they are out of date.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { DASHBOARDS_FILE, MANIFESTS_FILE, renderDashboardManifests, renderManifests } from './manifests.js';

for (const [file, render] of [[MANIFESTS_FILE, renderManifests], [DASHBOARDS_FILE, renderDashboardManifests]] as const) {
  const rendered = await render();
  const current = await readFile(file, 'utf8').catch(() => '');
  const name = relative(process.cwd(), file);
  if (rendered === current) console.log(`${name} is up to date`);
  else {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, rendered);
    console.log(`${name} was rewritten from the chart`);
  }
}
