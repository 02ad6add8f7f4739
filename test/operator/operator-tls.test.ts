// A KVCluster with TLS from the operator's CA on the client and peer ports, on the test bed: the
// members serve HTTPS and peer mutual TLS with one certificate valid for every member's DNS name;
// with short lifetimes, the certificate is renewed several times and the CA rotated while a
// client keeps writing, with no call failed by a certificate and no loss of quorum.

import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../cluster/cluster-harness.js';
import { startBed, type Bed } from '../k8s/bed/bed.js';
import { REPOSITORY_ROOT } from '../k8s/bed/paths.js';
import { requestText } from '../../src/tls/https-request.js';
import { callOverTls, isRunningWith, kvclusterManifest, memberAddresses, OperatorProcess, readCluster, secretText, waitForCluster, type MemberAddress } from './operator-harness.js';

const CRD = join(REPOSITORY_ROOT, 'operator', 'crd', 'kvclusters.kv.beavervault.io.yaml');
const NAMESPACE = 'secure';
const CLUSTER = 'vault';
/**
 * Lifetimes short enough to see the CA rotated and the certificate renewed several times in a
 * test, long enough that a pass delayed by a busy machine still renews well before expiry.
 */
const LIFETIMES = ['--ca-lifetime', '100s', '--certificate-lifetime', '45s', '--trust-overlap', '8s'];
/** Errors that a certificate or a CA the client does not trust would give. */
const TLS_FAILURE = /certificate|self.signed|unable to verify|handshake|altname|ssl|tls/i;

let bed: Bed;
let operator: OperatorProcess;

beforeAll(async () => {
  bed = await startBed({ nodes: 2 });
  await bed.kubectl(['apply', '--server-side', '-f', CRD]);
  await bed.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/kvclusters.kv.beavervault.io']);
  await bed.kubectl(['create', 'namespace', NAMESPACE]);
  operator = new OperatorProcess(bed, join(REPOSITORY_ROOT, 'data', 'test-logs', 'operator-tls.log'), LIFETIMES);
}, 240_000);

afterAll(async () => {
  await operator?.stop();
  await bed?.stop();
}, 120_000);

const where = { namespace: NAMESPACE, cluster: CLUSTER };
const secretOf = (name: string, key: string) => secretText(bed, NAMESPACE, name, key);
const members = () => memberAddresses(bed, NAMESPACE, CLUSTER);
const call = (member: MemberAddress, caPem: string, method: string, path: string, body?: string) => callOverTls(member, where, caPem, method, path, body === undefined ? {} : { body });

describe('a KVCluster with TLS from the operator\'s CA', () => {
  it('serves HTTPS checked against the cluster\'s CA and each member\'s DNS name, and refuses plain HTTP', async () => {
    await bed.kubectl(['apply', '-f', '-'], kvclusterManifest(NAMESPACE, CLUSTER, '  replicas: 3\n  version: 0.1.0\n  storage: { size: 1Gi }\n  tls: { client: { operatorCA: true }, peer: { operatorCA: true } }'));
    await waitForCluster(bed, NAMESPACE, CLUSTER, 'three ready members over TLS', 240_000, isRunningWith(3));
    const ca = await secretOf(`${CLUSTER}-tls`, 'ca.crt');
    const [first, second] = await members();
    expect((await call(first!, ca, 'PUT', '/api/v1/keys/greeting', 'over tls')).status).toBe(200);
    expect((await call(second!, ca, 'GET', '/api/v1/keys/greeting')).text).toContain('over tls');
    // Another CA, or a name the certificate does not carry, fails the handshake.
    const { createAuthority } = await import('../../src/tls/certificate-authority.js');
    const stranger = (await createAuthority('stranger')).certificatePem;
    await expect(call(first!, stranger, 'GET', '/readyz')).rejects.toThrow();
    await expect(requestText(`https://${first!.address}:8000/readyz`, { timeoutMs: 5_000, tls: { ca: Buffer.from(ca) }, servername: 'elsewhere.example' })).rejects.toThrow(/altnames|Hostname/);
    const plain = await requestText(`http://${first!.address}:8000/readyz`, { timeoutMs: 5_000 }).then((answer) => answer.status, () => 'refused');
    expect(plain).not.toBe(200);
  }, 300_000);

  it('renews the certificate and rotates the CA while a client writes: no call fails on a certificate', async () => {
    const termOf = async (caPem: string) => Math.max(...await Promise.all((await members()).map(async (member) => (JSON.parse((await call(member, caPem, 'GET', '/api/v1/admin/status')).text) as { term: number }).term)));
    let ca = await secretOf(`${CLUSTER}-tls`, 'ca.crt');
    const termBefore = await termOf(ca);
    const signers = new Set<string>();
    const certificates = new Set<string>();
    const failures: string[] = [];
    let writes = 0;
    // The client re-reads the CA bundle from the Secret every second, as one that mounts it does.
    let running = true;
    const refresher = (async () => {
      while (running) {
        ca = await secretOf(`${CLUSTER}-tls`, 'ca.crt').catch(() => ca);
        const leaf = new X509Certificate(await secretOf(`${CLUSTER}-tls`, 'tls.crt'));
        certificates.add(leaf.serialNumber);
        signers.add(leaf.issuer);
        await sleep(1_000);
      }
    })();
    const started = Date.now();
    // Long enough for a CA rotation: it starts at two thirds of the CA's 100 s and takes two overlaps.
    while (Date.now() - started < 115_000) {
      const targets = await members();
      const target = targets[writes % Math.max(1, targets.length)];
      if (target === undefined) continue;
      try {
        const answer = await call(target, ca, 'PUT', `/api/v1/keys/rotation-${writes}`, String(writes));
        if (answer.status !== 200) failures.push(`${target.name}: ${answer.status} ${answer.text.slice(0, 100)}`);
      } catch (error) {
        failures.push(`${target.name}: ${(error as Error).message}`);
      }
      writes++;
      await sleep(100);
    }
    running = false;
    await refresher;
    const caSecretKeys = Object.keys(JSON.parse(await bed.kubectl(['get', 'secret', `${CLUSTER}-ca`, '--namespace', NAMESPACE, '-o', 'jsonpath={.data}'])) as object);
    console.log(`${writes} writes over TLS; ${certificates.size} member certificates, ${signers.size} CAs signing them; CA Secret now holds ${caSecretKeys.join(', ')}`);
    // A busy machine may time a call out now and then; a certificate must never fail one.
    console.log(`failed calls: ${failures.length}${failures.length === 0 ? '' : ` (${failures.slice(0, 3).join('; ')})`}`);
    expect(failures.filter((failure) => TLS_FAILURE.test(failure))).toEqual([]);
    expect(failures.length).toBeLessThan(writes / 20);
    expect(certificates.size).toBeGreaterThanOrEqual(3);
    expect(signers.size).toBeGreaterThanOrEqual(2);
    // Peers never lost each other over a rotation: at most one election, which a busy machine can cause by itself.
    expect((await termOf(ca)) - termBefore).toBeLessThanOrEqual(1);
    expect((await readCluster(bed, NAMESPACE, CLUSTER)).status?.readyMembers).toBe(3);
  }, 300_000);
});
