// The KVCluster CRD against a real API server: it is accepted, documented (kubectl explain),
// defaulted, printed with its columns, scaled through the scale subresource, and it refuses
// bad specs and changes to what must not change, at kubectl apply, before any operator sees them.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../cluster/cluster-harness.js';
import { startBed, type Bed } from '../k8s/bed/bed.js';
import { REPOSITORY_ROOT } from '../k8s/bed/paths.js';

const CRD = join(REPOSITORY_ROOT, 'operator', 'crd', 'kvclusters.kv.beavervault.io.yaml');

let bed: Bed;

beforeAll(async () => {
  bed = await startBed({ nodes: 0 });
  await bed.kubectl(['apply', '--server-side', '-f', CRD]);
  await bed.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/kvclusters.kv.beavervault.io']);
}, 240_000);

afterAll(async () => {
  await bed?.stop();
}, 120_000);

function kvcluster(name: string, spec: string): string {
  return `apiVersion: kv.beavervault.io/v1alpha1\nkind: KVCluster\nmetadata:\n  name: ${name}\nspec:\n${spec}\n`;
}

/** kubectl's error text for a command that must fail. */
async function refusal(args: string[], input?: string): Promise<string> {
  const outcome = await bed.kubectl(args, input).then(() => 'accepted', (error: Error) => error.message);
  expect(outcome).not.toBe('accepted');
  return outcome;
}

describe('the KVCluster CRD', () => {
  it('documents every field through kubectl explain', async () => {
    // The API server publishes a new CRD's OpenAPI a moment after it is Established.
    const explained = await waitFor('kubectl explain kvcluster.spec.backup', 30_000, () => bed.kubectl(['explain', 'kvcluster.spec.backup']).catch(() => undefined));
    expect(explained).toContain('Scheduled backups to an S3 bucket');
    expect(explained).toMatch(/retention\s+<Object>/);
    const recursive = await bed.kubectl(['explain', 'kvc.spec', '--recursive']);
    for (const field of ['replicas', 'version', 'storageClassName', 'operatorCA', 'issuerRef', 'rootPasswordSecret', 'schedule', 'credentialsSecret', 'restoreFrom', 'topologySpreadConstraints', 'settings']) {
      expect(recursive).toContain(field);
    }
    const crd = JSON.parse(await bed.kubectl(['get', 'crd', 'kvclusters.kv.beavervault.io', '-o', 'json'])) as { spec: { versions: { schema: { openAPIV3Schema: unknown } }[] } };
    expect(fieldsWithoutDescription(crd.spec.versions[0]?.schema.openAPIV3Schema, '')).toEqual([]);
  });

  it('defaults, prints its columns and scales through the scale subresource', async () => {
    await bed.kubectl(['apply', '-f', '-'], kvcluster('orders', '  version: 0.1.0\n  storage: { storageClassName: fast }'));
    const created = JSON.parse(await bed.kubectl(['get', 'kvc', 'orders', '-o', 'json'])) as { spec: { replicas: number; storage: { size: string } } };
    expect(created.spec.replicas).toBe(3);
    expect(created.spec.storage.size).toBe('8Gi');
    const table = await bed.kubectl(['get', 'kvc']);
    expect(table.split('\n')[0]?.split(/\s{2,}/)).toEqual(['NAME', 'READY', 'DESIRED', 'LEADER', 'VERSION', 'PHASE', 'LAST BACKUP', 'AGE']);
    await bed.kubectl(['scale', 'kvc/orders', '--replicas=5']);
    expect((await bed.kubectl(['get', 'kvc', 'orders', '-o', 'jsonpath={.spec.replicas}'])).trim()).toBe('5');
    expect(await refusal(['scale', 'kvc/orders', '--replicas=10'])).toContain('spec.replicas in body should be less than or equal to 9');
  });

  it('refuses bad specs at apply, naming the field', async () => {
    const bad = await refusal(['apply', '-f', '-'], kvcluster('bad', '  replicas: 0\n  version: latest\n  storage: { size: -1Gi }\n  backup: { schedule: "@daily", s3: { bucket: b } }'));
    expect(bad).toContain('spec.replicas in body should be greater than or equal to 1');
    expect(bad).toContain('spec.version in body should match');
    expect(bad).toContain('spec.storage.size in body should match');
    expect(bad).toContain('spec.backup.s3.credentialsSecret: Required value');
    expect(await refusal(['apply', '-f', '-'], kvcluster('two-sources', '  tls: { client: { operatorCA: true, secretName: mine } }'))).toContain('give exactly one of operatorCA, issuerRef and secretName');
    expect(await refusal(['apply', '-f', '-'], kvcluster('owned-setting', '  settings: { data-dir: /elsewhere }'))).toContain('settings cannot name a setting the operator owns');
    expect(await bed.kubectl(['get', 'kvc', '-o', 'name'])).not.toMatch(/bad|two-sources|owned-setting/);
  });

  it('refuses changes to what is fixed at creation', async () => {
    expect(await refusal(['patch', 'kvc/orders', '--type=merge', '-p', '{"spec":{"storage":{"storageClassName":"slow"}}}'])).toContain('storageClassName cannot change after the cluster is created');
    await bed.kubectl(['apply', '-f', '-'], kvcluster('default-class', '  version: 0.1.0'));
    expect(await refusal(['patch', 'kvc/default-class', '--type=merge', '-p', '{"spec":{"storage":{"storageClassName":"slow"}}}'])).toContain('storageClassName cannot be added or removed');
    expect(await refusal(['patch', 'kvc/orders', '--type=merge', '-p', '{"spec":{"restoreFrom":{"s3":{"bucket":"backups","credentialsSecret":{"name":"s3"}}}}}'])).toContain('restoreFrom can only be given when the cluster is created');
    expect((await bed.kubectl(['get', 'kvc', 'orders', '-o', 'jsonpath={.spec.storage.storageClassName}'])).trim()).toBe('fast');
    expect(await refusal(['patch', 'kvc/orders', '--type=merge', '-p', '{"spec":{"storage":{"size":"512Mi"}}}'])).toContain('storage.size cannot shrink');
    await bed.kubectl(['patch', 'kvc/orders', '--type=merge', '-p', '{"spec":{"storage":{"size":"1.5Ti"}}}']);
    // Authentication may be asked for later, but once asked for it stays.
    await bed.kubectl(['patch', 'kvc/default-class', '--type=merge', '-p', '{"spec":{"auth":{"rootPasswordSecret":{"name":"root"}}}}']);
    expect(await refusal(['patch', 'kvc/default-class', '--type=json', '-p', '[{"op":"remove","path":"/spec/auth"}]'])).toContain('auth cannot be removed once given');
  });
});

/** Paths in a structural schema whose node has no description (metadata is the API server's). */
function fieldsWithoutDescription(schema: unknown, path: string): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const node = schema as { description?: string; properties?: Record<string, unknown>; items?: unknown; additionalProperties?: unknown };
  const missing = path !== '' && path !== '.metadata' && !path.endsWith('[]') && !path.endsWith('{}') && node.description === undefined ? [path] : [];
  for (const [name, child] of Object.entries(node.properties ?? {})) missing.push(...fieldsWithoutDescription(child, `${path}.${name}`));
  if (node.items !== undefined) missing.push(...fieldsWithoutDescription(node.items, `${path}[]`));
  if (typeof node.additionalProperties === 'object') missing.push(...fieldsWithoutDescription(node.additionalProperties, `${path}{}`));
  return missing;
}
