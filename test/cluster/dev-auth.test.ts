// How `bvault dev --tls` turns authentication on, against one real member over TLS: the first
// start stores root's password with mode 0600 and enables auth; a start interrupted after root was
// added (auth still off, another password) finishes with the stored one; a restart finds auth on
// and reuses the password; and auth on with the password file gone, or holding a password the
// cluster refuses, is an error that says to start afresh.

import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enableDevAuth } from '../../src/cli/dev-auth.js';
import type { ClientTlsMaterial } from '../../src/tls/index.js';
import { etcdctl, etcdctlOk } from '../etcd-compat/etcdctl-runner.js';
import { TestCertificates, tlsServerArgs, type CertificateFiles } from '../support/test-certificates.js';
import { type ServerProcess, TestCluster, temporaryDirectory } from './cluster-harness.js';

let certificates: TestCertificates;
let client: CertificateFiles;
let clientTls: Required<ClientTlsMaterial>;
let cluster: TestCluster | undefined;
let dataDir: string;

beforeAll(async () => {
  certificates = await TestCertificates.create(await temporaryDirectory('dev-auth-certs'));
  const [server, peer] = [await certificates.issue('server'), await certificates.issue('peer')];
  client = await certificates.issue('bvault-dev-client');
  clientTls = await certificates.clientMaterial(client);
  dataDir = await temporaryDirectory('dev-auth');
  cluster = await TestCluster.start({ size: 1, prefix: 'dev-auth', extraArgs: tlsServerArgs(certificates.caFile, server, peer), memberOptions: () => ({ clientTls }) });
});

afterAll(async () => {
  await cluster?.destroy();
});

function members(): ServerProcess[] {
  if (cluster === undefined) throw new Error('the member did not start');
  return cluster.members;
}

function grpcAddress(): string {
  return `127.0.0.1:${members()[0]!.ports.grpc}`;
}

const withCertificate = (): string[] => ['--cacert', certificates.caFile, '--cert', client.certFile, '--key', client.keyFile];

describe('bvault dev --tls authentication', () => {
  it('finishes an interrupted start with the stored password, then reuses it, and refuses a missing or wrong one', async () => {
    const passwordFile = join(dataDir, 'root-password');
    // An earlier start wrote the password and then stopped after adding root with another one.
    await writeFile(passwordFile, 'storedPassword1\n', { mode: 0o600 });
    await etcdctlOk(members(), [...withCertificate(), 'user', 'add', 'root:other', '--interactive=false']);

    const first = await enableDevAuth(grpcAddress(), clientTls, dataDir);
    expect(first).toEqual({ user: 'root', password: 'storedPassword1', passwordFile, enabledNow: true });
    expect((await etcdctl(members(), [...withCertificate(), 'get', 'x'])).stderr).toContain('etcdserver: permission denied');
    expect((await etcdctlOk(members(), [...withCertificate(), '--user', 'root:storedPassword1', 'put', 'x', 'v'])).trim()).toBe('OK');

    expect(await enableDevAuth(grpcAddress(), clientTls, dataDir)).toEqual({ ...first, enabledNow: false });

    await writeFile(passwordFile, 'notThePassword\n');
    await expect(enableDevAuth(grpcAddress(), clientTls, dataDir)).rejects.toThrow(`authentication is on and the root password in ${passwordFile} is refused (etcdserver: authentication failed, invalid user ID or password); start afresh with --clean`);
    await rm(passwordFile);
    await expect(enableDevAuth(grpcAddress(), clientTls, dataDir)).rejects.toThrow(`authentication is already on but ${passwordFile} is missing; start afresh with --clean`);
  });

  it('generates a password of 24 URL-safe characters in a file only its owner reads', async () => {
    const freshDir = await temporaryDirectory('dev-auth-fresh');
    // Auth is on from the test above, so a fresh directory's password is generated only when it is off.
    await etcdctlOk(members(), [...withCertificate(), '--user', 'root:storedPassword1', 'auth', 'disable']);
    const auth = await enableDevAuth(grpcAddress(), clientTls, freshDir);
    expect(auth.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect((await readFile(auth.passwordFile, 'utf8')).trim()).toBe(auth.password);
    expect((await stat(auth.passwordFile)).mode & 0o777).toBe(0o600);
    expect((await etcdctlOk(members(), [...withCertificate(), '--user', `root:${auth.password}`, 'put', 'k', 'v'])).trim()).toBe('OK');
  });
});
