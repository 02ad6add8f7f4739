// Certificate rotation without a restart, as a Kubernetes Secret update does it: the files sit
// behind `..data`, a symlink that is swapped in one rename to a new directory. Under a write
// load over gRPC (one long-lived HTTP/2 connection) and REST (a new HTTPS connection per
// request), new handshakes on every port come to show the new certificate's serial number and
// no write fails; a swap to a certificate that does not match its key is refused, logged, and
// the old certificate stays until the next good swap. The expiry metric follows the swap.

import { copyFile, mkdir, rename, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/client/index.js';
import { requestText, type ClientTlsMaterial } from '../../src/tls/index.js';
import type { Validity } from '../../src/tls/certificate-authority.js';
import { TestCertificates, type CertificateFiles } from '../support/test-certificates.js';
import { sleep, TestCluster, temporaryDirectory, waitFor } from './cluster-harness.js';
import { servedSerialNumber } from './tls-handshakes.js';

let cluster: TestCluster | undefined;

afterAll(async () => {
  await cluster?.destroy();
});

/** A Secret volume: `<name>` → `..data/<name>`, `..data` → the current timestamped directory. */
class SecretVolume {
  private generation = 0;

  constructor(readonly directory: string) {}

  path(name: string): string {
    return join(this.directory, name);
  }

  /** Writes a new generation with `write` and swaps `..data` to it in one rename. */
  async swap(write: (generationDirectory: string) => Promise<void>): Promise<void> {
    this.generation += 1;
    const generationName = `..2026_12_02_generation_${this.generation}`;
    await mkdir(join(this.directory, generationName));
    await write(join(this.directory, generationName));
    await symlink(generationName, join(this.directory, '..data_tmp'));
    await rename(join(this.directory, '..data_tmp'), join(this.directory, '..data'));
    if (this.generation === 1) {
      for (const name of ['tls.crt', 'tls.key', 'peer.crt', 'peer.key', 'ca.crt']) await symlink(join('..data', name), this.path(name));
    }
  }
}

/** Issues a client-port and a peer certificate, and the CA, into one generation of the Secret. */
async function issueGeneration(certificates: TestCertificates, generationDirectory: string, label: string, validity: Validity = {}): Promise<{ server: CertificateFiles; peer: CertificateFiles }> {
  const server = await certificates.issue('tls', { commonName: `server-${label}`, ...validity }, generationDirectory);
  const peer = await certificates.issue('peer', { commonName: `peer-${label}`, ...validity }, generationDirectory);
  await certificates.copyCa(join(generationDirectory, 'ca.crt'));
  return { server, peer };
}

interface LoadCounts {
  acknowledged: number;
  failures: string[];
}

/** Writes until `stopped`, over one gRPC client and over REST with a new HTTPS connection each time. */
function writeLoad(endpoints: readonly string[], restUrls: readonly string[], tls: Required<ClientTlsMaterial>, stopped: () => boolean): { counts: LoadCounts; done: Promise<void> } {
  const counts: LoadCounts = { acknowledged: 0, failures: [] };
  const client = connect({ endpoints: endpoints.map((endpoint) => `https://${endpoint}`), tls });
  const grpcLoop = (async () => {
    for (let index = 0; !stopped(); index++) {
      await client.put(`rotation/grpc/${index}`, 'v').then(
        () => (counts.acknowledged += 1),
        (error: unknown) => counts.failures.push(`grpc: ${(error as Error).message}`),
      );
    }
  })();
  const restLoop = (async () => {
    for (let index = 0; !stopped(); index++) {
      const url = restUrls[index % restUrls.length] as string;
      await requestText(`${url}/api/v1/keys/rotation-rest-${index}`, { method: 'PUT', body: 'v', timeoutMs: 10_000, tls }).then(
        (answer) => (answer.status === 200 ? (counts.acknowledged += 1) : counts.failures.push(`rest: ${answer.status} ${answer.text}`)),
        (error: unknown) => counts.failures.push(`rest: ${(error as Error).message}`),
      );
    }
  })();
  return { counts, done: Promise.all([grpcLoop, restLoop]).then(() => client.close()) };
}

describe('certificate rotation', () => {
  it('serves new handshakes with the new certificate and fails no write, and keeps the old one through a bad swap', async () => {
    const root = await temporaryDirectory('tls-rotation');
    const certificates = await TestCertificates.create(root);
    const clientTls = await certificates.clientMaterial(await certificates.issue('client'));
    const secret = new SecretVolume(join(root, 'secret'));
    await mkdir(secret.directory);
    let first: { server: CertificateFiles; peer: CertificateFiles } | undefined;
    await secret.swap(async (directory) => void (first = await issueGeneration(certificates, directory, 'first')));
    const args = [
      '--cert-file', secret.path('tls.crt'), '--key-file', secret.path('tls.key'), '--trusted-ca-file', secret.path('ca.crt'), '--client-cert-auth',
      '--peer-cert-file', secret.path('peer.crt'), '--peer-key-file', secret.path('peer.key'), '--peer-trusted-ca-file', secret.path('ca.crt'), '--peer-client-cert-auth',
      // The members log at info, so the test can read that each one reloaded.
      '--log-level', 'info',
    ];
    cluster = await TestCluster.start({ size: 3, prefix: 'tls-rotation', extraArgs: args, memberOptions: () => ({ clientTls }) });
    const members = cluster.members;
    let stopped = false;
    const load = writeLoad(members.map((member) => member.grpcAddress), members.map((member) => member.url), clientTls, () => stopped);
    try {
      await sleep(1_000);
      // A half-finished rotation: the new certificate with the old key. Refused; the old one stays.
      await secret.swap(async (directory) => {
        const broken = await issueGeneration(certificates, directory, 'broken');
        await copyFile(first!.server.keyFile, broken.server.keyFile);
      });
      await waitFor('every member to refuse the broken swap', 10_000, () => members.every((member) => /does not match.*the changed TLS files are not usable/.test(member.log)) || undefined);
      expect(await servedSerialNumber(members[0]!.ports.grpc, clientTls, 'h2')).toBe(first!.server.serialNumber);
      let second: { server: CertificateFiles; peer: CertificateFiles } | undefined;
      // Whole seconds, as X.509 keeps them.
      const secondExpiry = new Date(Math.floor(Date.now() / 1000 + 30 * 86_400) * 1000);
      await secret.swap(async (directory) => void (second = await issueGeneration(certificates, directory, 'second', { notAfter: secondExpiry })));
      for (const member of members) {
        for (const [port, expected] of [[member.ports.grpc, second!.server], [member.ports.http, second!.server], [member.ports.raft, second!.peer]] as const) {
          await waitFor(`${member.name} port ${port} to present serial ${expected.serialNumber}`, 10_000, async () => (await servedSerialNumber(port, clientTls, 'h2')) === expected.serialNumber || undefined);
        }
      }
      for (const member of members) {
        const metrics = (await requestText(`${member.url}/metrics`, { timeoutMs: 10_000, tls: clientTls })).text;
        for (const endpoint of ['client', 'peer']) {
          expect(metrics, `${member.name}'s ${endpoint} certificate expiry`).toContain(`bvault_server_certificate_expiration_timestamp_seconds{endpoint="${endpoint}"} ${secondExpiry.getTime() / 1000}\n`);
        }
      }
      // Writes keep flowing after the rotation, peers included (they reconnect with the new certificates only when they must).
      const acknowledgedAtRotation = load.counts.acknowledged;
      await waitFor('writes after the rotation', 10_000, () => load.counts.acknowledged > acknowledgedAtRotation + 20 || undefined);
    } finally {
      stopped = true;
      await load.done;
    }
    expect(load.counts.failures).toEqual([]);
    expect(load.counts.acknowledged).toBeGreaterThan(20);
  });
});
