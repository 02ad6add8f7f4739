// npm run manifests: rewrites manifests/beaver-vault.yaml from the chart.
// test/operator/manifests.test.ts fails while the file is out of date.
import { readFile, writeFile } from 'node:fs/promises';
import { MANIFESTS_FILE, renderManifests } from './manifests.js';

const rendered = await renderManifests();
const current = await readFile(MANIFESTS_FILE, 'utf8').catch(() => '');
if (rendered === current) console.log('manifests/beaver-vault.yaml is up to date');
else {
  await writeFile(MANIFESTS_FILE, rendered);
  console.log('manifests/beaver-vault.yaml was rewritten from the chart');
}
