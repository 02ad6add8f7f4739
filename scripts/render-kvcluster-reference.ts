// npm run docs:kvcluster: rewrites docs/kvcluster-reference.md from the KVCluster CRD.
// test/operator/kvcluster-reference.test.ts fails while the file is out of date.
import { readFile, writeFile } from 'node:fs/promises';
import { renderKvclusterReference } from './kvcluster-reference.js';

const CRD = new URL('../operator/crd/kvclusters.kv.beavervault.io.yaml', import.meta.url);
const DOC = new URL('../docs/kvcluster-reference.md', import.meta.url);

const rendered = renderKvclusterReference(await readFile(CRD, 'utf8'));
const current = await readFile(DOC, 'utf8').catch(() => '');
if (rendered === current) console.log('docs/kvcluster-reference.md is up to date');
else {
  await writeFile(DOC, rendered);
  console.log('docs/kvcluster-reference.md was rewritten from the CRD');
}
