// A KVCluster whose certificates a real cert-manager signs (tls.client.issuerRef,
// tls.peer.issuerRef), on the test bed: the operator waits for the issuer, the members serve
// HTTPS and peer mutual TLS with the issued certificate, and a renewal by cert-manager reaches
// every member without a restart or an election.

import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporaryDirectory, waitFor } from '../cluster/cluster-harness.js';
import { startBed, type Bed } from '../k8s/bed/bed.js';
import { REPOSITORY_ROOT } from '../k8s/bed/paths.js';
import { PidRegistry, stopByPid } from '../k8s/bed/processes.js';
import { startCertManager } from '../k8s/services/cert-manager.js';
import { ENSURE_SERVICES_TIMEOUT_MS, ensureServices } from '../k8s/services/tool-paths.js';
import { callOverTls, isRunningWith, kvclusterManifest, memberAddresses, memberPods, OperatorProcess, readCluster, secretText, waitForCluster, type MemberAddress } from './operator-harness.js';

const CRD = join(REPOSITORY_ROOT, 'operator', 'crd', 'kvclusters.kv.beavervault.io.yaml');
const NAMESPACE = 'issued';
const CLUSTER = 'vault';
const CLIENT_SECRET = `${CLUSTER}-client-tls`;
const PEER_SECRET = `${CLUSTER}-peer-tls`;

/** A CA issuer bootstrapped the way cert-manager's documentation does it: a self-signed CA certificate, then an Issuer that signs with it. */
const CA_ISSUER = `apiVersion: cert-manager.io/v1
kind: Issuer
metadata: { name: selfsigned, namespace: ${NAMESPACE} }
spec: { selfSigned: {} }
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: { name: team-ca, namespace: ${NAMESPACE} }
spec:
  isCA: true
  commonName: team CA
  secretName: team-ca
  privateKey: { algorithm: ECDSA, size: 256 }
  issuerRef: { name: selfsigned, kind: Issuer, group: cert-manager.io }
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: { name: team-ca, namespace: ${NAMESPACE} }
spec: { ca: { secretName: team-ca } }
`;

let bed: Bed;
let operator: OperatorProcess;
let registry: PidRegistry;

beforeAll(async () => {
  await ensureServices();
  const directory = await temporaryDirectory('cert-manager');
  registry = new PidRegistry(join(directory, 'pids'));
  bed = await startBed({ nodes: 2 });
  await bed.kubectl(['apply', '--server-side', '-f', CRD]);
  await bed.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/kvclusters.kv.beavervault.io']);
  await startCertManager(bed, { directory, registry });
  await bed.kubectl(['create', 'namespace', NAMESPACE]);
  operator = new OperatorProcess(bed, join(REPOSITORY_ROOT, 'data', 'test-logs', 'operator-cert-manager.log'));
}, ENSURE_SERVICES_TIMEOUT_MS + 240_000);

afterAll(async () => {
  await operator?.stop();
  if (registry !== undefined) await stopByPid(registry.entries().map((entry) => entry.pid), 5_000);
  await bed?.stop();
}, 120_000);

const where = { namespace: NAMESPACE, cluster: CLUSTER };
const members = () => memberAddresses(bed, NAMESPACE, CLUSTER);

/** The serial number of the certificate a member's client port presents now. */
function servedSerial(member: MemberAddress, caPem: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: member.address, port: 8000, ca: caPem, servername: `${member.name}.${CLUSTER}-peers.${NAMESPACE}.svc`, timeout: 5_000 }, () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.end();
    });
    socket.once('error', reject);
    socket.once('timeout', () => socket.destroy(new Error('TLS handshake timed out')));
  });
}

describe('a KVCluster whose certificates cert-manager issues', () => {
  it('waits for the issuer, then forms over HTTPS and peer mutual TLS with the issued certificate', async () => {
    await bed.kubectl(['apply', '-f', '-'], kvclusterManifest(NAMESPACE, CLUSTER, '  replicas: 3\n  version: 0.1.0\n  storage: { size: 1Gi }\n  tls:\n    client: { issuerRef: { name: team-ca } }\n    peer: { issuerRef: { name: team-ca } }'));
    // The issuer does not exist yet: the operator keeps the Certificates and starts no member.
    const waiting = await waitForCluster(bed, NAMESPACE, CLUSTER, 'a pass that waits for cert-manager', 60_000, (cluster) => /waiting for cert-manager to issue Certificate vault-client-tls/.test(cluster.status?.conditions?.find((condition) => condition.type === 'Progressing')?.message ?? ''));
    expect(waiting.status?.readyMembers ?? 0).toBe(0);
    expect(await memberPods(bed, NAMESPACE, CLUSTER)).toEqual([]);
    const certificate = JSON.parse(await bed.kubectl(['get', 'certificate', CLIENT_SECRET, '--namespace', NAMESPACE, '-o', 'json'])) as { metadata: { ownerReferences: { kind: string; name: string }[] }; spec: { dnsNames: string[]; usages: string[] } };
    expect(certificate.metadata.ownerReferences).toMatchObject([{ kind: 'KVCluster', name: CLUSTER }]);
    expect(certificate.spec.dnsNames).toContain(`*.${CLUSTER}-peers.${NAMESPACE}.svc`);
    expect(certificate.spec.usages).toEqual(expect.arrayContaining(['server auth', 'client auth']));

    await bed.kubectl(['apply', '-f', '-'], CA_ISSUER);
    await waitForCluster(bed, NAMESPACE, CLUSTER, 'three ready members over TLS from cert-manager', 300_000, isRunningWith(3));
    const ca = await secretText(bed, NAMESPACE, CLIENT_SECRET, 'ca.crt');
    const served = new X509Certificate(await secretText(bed, NAMESPACE, CLIENT_SECRET, 'tls.crt'));
    expect(served.issuer).toContain('team CA');
    expect(new X509Certificate(await secretText(bed, NAMESPACE, PEER_SECRET, 'tls.crt')).issuer).toContain('team CA');
    const [first, second] = await members();
    expect((await callOverTls(first!, where, ca, 'PUT', '/api/v1/keys/issued', { body: 'by cert-manager' })).status).toBe(200);
    expect((await callOverTls(second!, where, ca, 'GET', '/api/v1/keys/issued')).text).toContain('by cert-manager');
    expect(await servedSerial(first!, ca)).toBe(served.serialNumber);
  }, 420_000);

  it('serves a certificate cert-manager renews on every member, with no restart and no election', async () => {
    const ca = await secretText(bed, NAMESPACE, CLIENT_SECRET, 'ca.crt');
    const termOf = async () => Math.max(...await Promise.all((await members()).map(async (member) => (JSON.parse((await callOverTls(member, where, ca, 'GET', '/api/v1/admin/status')).text) as { term: number }).term)));
    const podsBefore = new Map((await memberPods(bed, NAMESPACE, CLUSTER)).map((pod) => [pod.metadata?.uid, pod.status?.containerStatuses?.[0]?.restartCount]));
    const termBefore = await termOf();
    const before = new X509Certificate(await secretText(bed, NAMESPACE, CLIENT_SECRET, 'tls.crt')).serialNumber;
    const peerBefore = new X509Certificate(await secretText(bed, NAMESPACE, PEER_SECRET, 'tls.crt')).serialNumber;
    // What `cmctl renew` does: the Issuing condition asks cert-manager for a new certificate now.
    const issuing = JSON.stringify([{ op: 'add', path: '/status/conditions/-', value: { type: 'Issuing', status: 'True', reason: 'ManuallyTriggered', message: 'renewal asked for by the test', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } }]);
    for (const name of [CLIENT_SECRET, PEER_SECRET]) await bed.kubectl(['patch', 'certificate', name, '--namespace', NAMESPACE, '--subresource=status', '--type=json', '-p', issuing]);

    const renewed = await waitFor('the renewed client certificate', 120_000, async () => {
      const serial = new X509Certificate(await secretText(bed, NAMESPACE, CLIENT_SECRET, 'tls.crt')).serialNumber;
      return serial === before ? undefined : serial;
    });
    await waitFor('the renewed peer certificate', 120_000, async () => (new X509Certificate(await secretText(bed, NAMESPACE, PEER_SECRET, 'tls.crt')).serialNumber === peerBefore ? undefined : true));
    // The pods' files follow the Secret and the members re-read them: every one serves the new certificate.
    for (const member of await members()) await waitFor(`${member.name} to serve the renewed certificate`, 60_000, async () => ((await servedSerial(member, ca)) === renewed ? true : undefined));
    const [first] = await members();
    expect((await callOverTls(first!, where, ca, 'PUT', '/api/v1/keys/after-renewal', { body: 'still here' })).status).toBe(200);

    const podsAfter = new Map((await memberPods(bed, NAMESPACE, CLUSTER)).map((pod) => [pod.metadata?.uid, pod.status?.containerStatuses?.[0]?.restartCount]));
    expect(podsAfter).toEqual(podsBefore);
    // Peers never lost each other: at most one election, which a busy machine can cause by itself.
    expect((await termOf()) - termBefore).toBeLessThanOrEqual(1);
    expect((await readCluster(bed, NAMESPACE, CLUSTER)).status?.readyMembers).toBe(3);
  }, 300_000);
});
