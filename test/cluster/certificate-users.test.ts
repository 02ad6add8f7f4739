// A verified client certificate's common name is the user, over real TLS, as in etcd: with
// client-cert-auth and authentication on, etcdctl 3.4 with a certificate whose CN is a user
// holding a read grant on a prefix reads inside it without --user, and is refused outside it and
// for writes with etcd's text; a certificate with CN root may do everything; and a token from
// --user wins over the certificate's CN, in both directions. One member: what is checked is the
// member's own reading of the certificate, not replication.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdctl, etcdctlOk, type EtcdctlResult } from '../etcd-compat/etcdctl-runner.js';
import { TestCertificates, tlsServerArgs, type CertificateFiles } from '../support/test-certificates.js';
import { type ServerProcess, TestCluster, temporaryDirectory } from './cluster-harness.js';

const PERMISSION_DENIED = 'etcdserver: permission denied';

let certificates: TestCertificates;
let reader: CertificateFiles;
let root: CertificateFiles;
let cluster: TestCluster | undefined;

beforeAll(async () => {
  certificates = await TestCertificates.create(await temporaryDirectory('certificate-users'));
  const [server, peer] = [await certificates.issue('server'), await certificates.issue('peer')];
  reader = await certificates.issue('reader');
  root = await certificates.issue('root');
  const clientTls = await certificates.clientMaterial(root);
  cluster = await TestCluster.start({ size: 1, prefix: 'certificate-users', extraArgs: tlsServerArgs(certificates.caFile, server, peer), memberOptions: () => ({ clientTls }) });

  // Set up while auth is off, as an operator would: any verified certificate may.
  const asRoot = as(root);
  await etcdctlOk(onlyMember(), [...asRoot, 'put', 'shared/a', 'for everyone']);
  await etcdctlOk(onlyMember(), [...asRoot, 'put', 'private/b', 'for root']);
  await etcdctlOk(onlyMember(), [...asRoot, 'user', 'add', 'root:rootpw', '--interactive=false']);
  await etcdctlOk(onlyMember(), [...asRoot, 'user', 'grant-role', 'root', 'root']);
  await etcdctlOk(onlyMember(), [...asRoot, 'user', 'add', 'reader:readerpw', '--interactive=false']);
  await etcdctlOk(onlyMember(), [...asRoot, 'role', 'add', 'shared-reader']);
  await etcdctlOk(onlyMember(), [...asRoot, 'role', 'grant-permission', 'shared-reader', '--prefix=true', 'read', 'shared/']);
  await etcdctlOk(onlyMember(), [...asRoot, 'user', 'grant-role', 'reader', 'shared-reader']);
  await etcdctlOk(onlyMember(), [...asRoot, 'auth', 'enable']);
});

afterAll(async () => {
  await cluster?.destroy();
});

function onlyMember(): ServerProcess[] {
  if (cluster === undefined) throw new Error('the cluster did not start');
  return cluster.members;
}

function as(certificate: CertificateFiles): string[] {
  return ['--cacert', certificates.caFile, '--cert', certificate.certFile, '--key', certificate.keyFile];
}

function expectRefused(result: EtcdctlResult): void {
  expect(result.code).not.toBe(0);
  expect(result.stderr).toContain(PERMISSION_DENIED);
}

describe('a client certificate\'s CN as the user (client-cert-auth, auth on)', () => {
  it('lets CN reader read inside its prefix without --user, and refuses it outside the prefix and for writes', async () => {
    expect((await etcdctlOk(onlyMember(), [...as(reader), 'get', 'shared/a', '--print-value-only'])).trim()).toBe('for everyone');
    expect(await etcdctlOk(onlyMember(), [...as(reader), 'get', 'shared/', '--prefix', '--keys-only'])).toContain('shared/a');
    expectRefused(await etcdctl(onlyMember(), [...as(reader), 'get', 'private/b']));
    expectRefused(await etcdctl(onlyMember(), [...as(reader), 'put', 'shared/a', 'overwritten']));
    expectRefused(await etcdctl(onlyMember(), [...as(reader), 'del', 'shared/a']));
    expect((await etcdctlOk(onlyMember(), [...as(root), 'get', 'shared/a', '--print-value-only'])).trim()).toBe('for everyone');
  });

  it('lets CN root do everything: read, write, delete and manage users', async () => {
    expect((await etcdctlOk(onlyMember(), [...as(root), 'get', 'private/b', '--print-value-only'])).trim()).toBe('for root');
    expect((await etcdctlOk(onlyMember(), [...as(root), 'put', 'private/c', 'v'])).trim()).toBe('OK');
    expect((await etcdctlOk(onlyMember(), [...as(root), 'del', 'private/c'])).trim()).toBe('1');
    expect(await etcdctlOk(onlyMember(), [...as(root), 'user', 'list'])).toBe('reader\nroot\n');
  });

  it('takes the user a token from --user names over the certificate\'s CN', async () => {
    // CN reader with root's password: root's rights.
    expect((await etcdctlOk(onlyMember(), [...as(reader), '--user', 'root:rootpw', 'put', 'private/d', 'v'])).trim()).toBe('OK');
    expect((await etcdctlOk(onlyMember(), [...as(reader), '--user', 'root:rootpw', 'get', 'private/d', '--print-value-only'])).trim()).toBe('v');
    // CN root with reader's password: only reader's.
    expectRefused(await etcdctl(onlyMember(), [...as(root), '--user', 'reader:readerpw', 'get', 'private/b']));
    expect((await etcdctlOk(onlyMember(), [...as(root), '--user', 'reader:readerpw', 'get', 'shared/a', '--print-value-only'])).trim()).toBe('for everyone');
  });
});
