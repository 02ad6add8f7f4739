// docs/kvcluster-reference.md is what the CRD says: after a change to the CRD,
// `npm run docs:kvcluster` must be run and its result committed.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { renderKvclusterReference } from '../../scripts/kvcluster-reference.js';

const CRD = new URL('../../operator/crd/kvclusters.kv.beavervault.io.yaml', import.meta.url);
const DOC = new URL('../../docs/kvcluster-reference.md', import.meta.url);

describe('docs/kvcluster-reference.md', () => {
  it('is the reference the CRD gives (run npm run docs:kvcluster)', async () => {
    const crd = await readFile(CRD, 'utf8');
    expect(await readFile(DOC, 'utf8'), 'docs/kvcluster-reference.md is out of date with the CRD: run npm run docs:kvcluster').toBe(renderKvclusterReference(crd));
  });

  it('has a row for every field, with its limits, and the rules on changes', async () => {
    const reference = renderKvclusterReference(await readFile(CRD, 'utf8'));
    expect(reference).toContain('| `spec.replicas` | integer | `3` |');
    expect(reference).toContain('| **`spec.backup.schedule`** | string |');
    expect(reference).toMatch(/\| `spec\.backup\.retention\.count` \| integer \|/);
    expect(reference).toContain('at most 9');
    expect(reference).toContain('storage.size cannot shrink');
    // A field added to the CRD shows up.
    const withField = (await readFile(CRD, 'utf8')).replace('                replicas:\n', '                extraField: { type: string, description: "An added field." }\n                replicas:\n');
    expect(renderKvclusterReference(withField)).toContain('`spec.extraField` | string |  | An added field.');
  });
});
