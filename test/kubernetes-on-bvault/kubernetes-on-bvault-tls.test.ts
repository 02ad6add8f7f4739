// Kubernetes on Beaver-Vault as real clusters run it: the API server reaches its three members
// over TLS with a client certificate (--etcd-cafile, --etcd-certfile, --etcd-keyfile), and the
// members refuse any client without one. The controllers, the scheduler and the node agent
// work on top, as they do over plaintext (kubernetes-on-bvault.test.ts).

import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../cluster/cluster-harness.js';
import { etcdctl } from '../etcd-compat/etcdctl-runner.js';
import { startBed, type Bed } from '../k8s/bed/bed.js';
import { hostShellDeployment, readyReplicas } from './workloads.js';
import { startStoreCluster, type StoreCluster } from '../k8s/bed/beaver-vault-store.js';

let store: StoreCluster;
let bed: Bed;

beforeAll(async () => {
  store = await startStoreCluster({ tls: true });
  bed = await startBed({ nodes: 1, storage: store.storage });
}, 240_000);

afterAll(async () => {
  await bed?.stop();
  await store?.cluster.destroy();
}, 120_000);

it('the API server stores objects over TLS with its client certificate, and the controllers converge them', async () => {
  expect(store.storage.servers.every((server) => server.startsWith('https://'))).toBe(true);
  await bed.kubectl(['create', 'namespace', 'secure']);
  await bed.kubectl(['create', 'secret', 'generic', 'token', '-n', 'secure', '--from-literal=value=t0ken']);
  await bed.kubectl(['apply', '-f', '-'], hostShellDeployment('secure', 'web', 2));
  await waitFor('the Deployment to have 2 ready replicas', 120_000, async () => (await readyReplicas(bed, 'deployment', 'secure', 'web')) === 2 || undefined);
  expect(await bed.kubectl(['get', 'secret', 'token', '-n', 'secure', '-o', 'jsonpath={.data.value}'])).toBe(Buffer.from('t0ken').toString('base64'));

  const member = store.cluster.members[0];
  if (member === undefined) throw new Error('no member');
  // The members answer a client with the API server's certificate, and refuse one without.
  const tls = store.storage.tls;
  if (tls === undefined) throw new Error('the store has no TLS');
  const get = ['get', '/registry/deployments/secure/', '--prefix', '--keys-only', '--cacert', tls.caFile, '--dial-timeout', '3s'];
  const withCertificate = await etcdctl([member], [...get, '--cert', tls.certFile, '--key', tls.keyFile]);
  expect(withCertificate.stdout.trim()).toBe('/registry/deployments/secure/web');
  const anonymous = await etcdctl([member], get);
  expect(anonymous.code).not.toBe(0);
  expect(anonymous.stdout).toBe('');
}, 180_000);
