// Backups and restores by the operator on the Kubernetes test bed, to a real MinIO: a cluster is
// backed up on its schedule with the SHA-256 of the bytes and the revision in the object's
// metadata, retention keeps the newest backups of this cluster alone, a new cluster restored from
// the last backup comes up with the same data before it grows, a backup that does not match its
// checksum is refused without restoring anything, and a missing credentials Secret is reported
// in the status. A cluster with TLS and authentication is backed up and restored as root over
// TLS, and one whose root password Secret is missing waits for it, saying so. MinIO serves loopback: the operator runs on the host here, and only it talks to
// the bucket (the members stream to and from the operator). A Prometheus scrapes the operator
// throughout, and once it has made backups every panel query of the operator's Grafana
// dashboard is run against it.

import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, listAll, request, sleep, temporaryDirectory } from '../cluster/cluster-harness.js';
import { startBed, type Bed } from '../k8s/bed/bed.js';
import { REPOSITORY_ROOT } from '../k8s/bed/paths.js';
import { PidRegistry, stopByPid } from '../k8s/bed/processes.js';
import { startMinio, type Minio } from '../k8s/services/minio.js';
import { startPrometheus, type Prometheus } from '../k8s/services/prometheus.js';
import { ENSURE_SERVICES_TIMEOUT_MS, ensureServices } from '../k8s/services/tool-paths.js';
import type { KVCluster, LastBackup } from '../../operator/src/kvcluster.js';
import { loadDashboard, runPanelQueries } from '../observability/dashboards.js';
import { callOverTls, isRunningWith, kvclusterManifest, memberAddresses, memberObjectNames, memberUrls, OperatorProcess, readCluster, secretText, waitForCluster, type MemberAddress } from './operator-harness.js';

const CRD = join(REPOSITORY_ROOT, 'operator', 'crd', 'kvclusters.kv.beavervault.io.yaml');
const NAMESPACE = 'backup-test';
const SOURCE = 'orders';
const COPY = 'orders-copy';
const DAMAGED = 'damaged';
const NO_SECRET = 'no-secret';
const SECURE = 'ledger';
const SECURE_COPY = 'ledger-copy';
const ROOT_SECRET = 'ledger-root';
const ROOT_PASSWORD = 'correct horse battery staple';
const LATE_SECRET = 'late-secret';
const BUCKET = 'backups';
const PREFIX = 'bed/';
const SECRET = 's3-credentials';
const SETTLE_MS = 150_000;
const KEYS = 40;
/** Outside the bed's directory, which goes with the bed: kept for a look after a failure. */
const OPERATOR_LOG = join(REPOSITORY_ROOT, 'data', 'test-logs', 'operator-backup.log');
/** The operator's scrape job, as the chart's PodMonitor names it. */
const OPERATOR_JOB = 'beaver-vault-operator';

let bed: Bed;
let operator: OperatorProcess;
let minio: Minio;
let s3: S3Client;
let minioDirectory: string;
let registry: PidRegistry;
let prometheus: Prometheus;
let prometheusDirectory: string;
let operatorMetricsUrl: string;

beforeAll(async () => {
  await mkdir(dirname(OPERATOR_LOG), { recursive: true });
  await rm(OPERATOR_LOG, { force: true });
  await ensureServices();
  minioDirectory = await temporaryDirectory('backup-minio');
  registry = new PidRegistry(join(minioDirectory, 'pids'));
  [bed, minio] = await Promise.all([startBed({ nodes: 2 }), startMinio({ directory: minioDirectory, registry })]);
  s3 = minio.client();
  await minio.createBucket(BUCKET);
  await bed.kubectl(['apply', '--server-side', '-f', CRD]);
  await bed.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/kvclusters.kv.beavervault.io']);
  await bed.kubectl(['create', 'namespace', NAMESPACE]);
  await bed.kubectl(['create', 'secret', 'generic', SECRET, '--namespace', NAMESPACE, `--from-literal=accessKeyId=${minio.accessKeyId}`, `--from-literal=secretAccessKey=${minio.secretAccessKey}`]);
  const metricsAddress = `127.0.0.1:${await freePort()}`;
  operatorMetricsUrl = `http://${metricsAddress}/metrics`;
  // The harness's --metrics-address picks any port; this later one, which wins, is known to Prometheus.
  operator = new OperatorProcess(bed, OPERATOR_LOG, ['--metrics-address', metricsAddress]);
  prometheusDirectory = await temporaryDirectory('backup-prometheus');
  prometheus = await startPrometheus({ directory: prometheusDirectory, registry, scrapeTargets: [{ job: OPERATOR_JOB, targets: [metricsAddress] }] });
}, ENSURE_SERVICES_TIMEOUT_MS + 240_000);

afterAll(async () => {
  await operator?.stop();
  s3?.destroy();
  await minio?.stop();
  if (registry !== undefined) await stopByPid(registry.entries().map((entry) => entry.pid), 5_000);
  await bed?.stop();
  if (minioDirectory !== undefined) await rm(minioDirectory, { recursive: true, force: true });
  if (prometheusDirectory !== undefined) await rm(prometheusDirectory, { recursive: true, force: true });
}, 120_000);

const s3Location = (credentials = SECRET) => `{ bucket: ${BUCKET}, prefix: ${PREFIX}, endpoint: "${minio.endpoint}", credentialsSecret: { name: ${credentials} } }`;
const settled = (name: string, what: string, check: (cluster: KVCluster) => boolean) => waitForCluster(bed, NAMESPACE, name, what, SETTLE_MS, check);
const conditionOf = (cluster: KVCluster, type: string) => cluster.status?.conditions?.find((entry) => entry.type === type);
const keyOf = (location: string) => location.replace(`s3://${BUCKET}/`, '');

async function objectBytes(key: string): Promise<{ bytes: Uint8Array; metadata: Record<string, string> }> {
  const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return { bytes: await object.Body?.transformToByteArray() ?? new Uint8Array(), metadata: object.Metadata ?? {} };
}

async function keysUnder(prefix: string): Promise<string[]> {
  const listing = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (listing.Contents ?? []).map((entry) => entry.Key ?? '').sort();
}

async function putObject(key: string, body: Uint8Array | string, metadata: Record<string, string>): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, Metadata: metadata }));
}

async function eventReasons(cluster: string): Promise<string[]> {
  const output = await bed.kubectl(['get', 'events', '--namespace', NAMESPACE, '--field-selector', `involvedObject.name=${cluster}`, '-o', 'jsonpath={.items[*].reason}']);
  return output.trim().split(/\s+/);
}

async function anyMemberUrl(cluster: string): Promise<string> {
  const [url] = (await memberUrls(bed, NAMESPACE, cluster)).values();
  if (url === undefined) throw new Error(`no member of ${cluster} has an address`);
  return url;
}

async function revisionAt(url: string): Promise<number> {
  return (JSON.parse((await request(url, 'GET', '/api/v1/admin/status')).text) as { revision: number }).revision;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** Old backups of this cluster, one of a same-named cluster in another namespace, and files that are not backups. */
const SEEDED = {
  oldest: `${PREFIX}${SOURCE}/20200101T000000Z-r1.snapshot`,
  older: `${PREFIX}${SOURCE}/20200102T000000Z-r2.snapshot`,
  otherNamespace: `${PREFIX}${SOURCE}/20191231T000000Z-r9.snapshot`,
  notes: `${PREFIX}${SOURCE}/notes.txt`,
  otherCluster: `${PREFIX}payments/20200101T000000Z-r1.snapshot`,
};

let firstBackup: LastBackup;
let sourceData: Map<string, string>;

describe('backups and restores by the operator', () => {
  it('backs up a cluster on its schedule, with the SHA-256 of the bytes and the revision in the object\'s metadata', async () => {
    const started = Date.now();
    await putObject(SEEDED.oldest, 'old', { namespace: NAMESPACE });
    await putObject(SEEDED.older, 'old', { namespace: NAMESPACE });
    await putObject(SEEDED.otherNamespace, 'theirs', { namespace: 'elsewhere' });
    await putObject(SEEDED.notes, 'not a backup', {});
    await putObject(SEEDED.otherCluster, 'theirs', { namespace: NAMESPACE });
    const schedule = '  backup: { schedule: "* * * * *", s3: SOURCE_S3, retention: { count: 2 } }';
    await bed.kubectl(['apply', '-f', '-'], kvclusterManifest(NAMESPACE, SOURCE, `  replicas: 3\n  version: 0.1.0\n  storage: { size: 1Gi }\n${schedule.replace('SOURCE_S3', s3Location())}`));
    // A cluster whose credentials Secret does not exist, checked in a later test: it starts now so that its first slot comes sooner.
    await bed.kubectl(['apply', '-f', '-'], kvclusterManifest(NAMESPACE, NO_SECRET, `  replicas: 1\n  version: 0.1.0\n  storage: { size: 1Gi }\n${schedule.replace('SOURCE_S3', s3Location('no-such-secret'))}`));
    await settled(SOURCE, 'three ready members', isRunningWith(3));
    console.log(`${SOURCE} had 3 ready members after ${seconds(started)}`);

    const url = await anyMemberUrl(SOURCE);
    for (let index = 0; index < KEYS; index += 1) {
      const answer = await request(url, 'PUT', `/api/v1/keys/dr/key-${index}`, `value-${index}-${'x'.repeat(index * 50)}`);
      expect(answer.status).toBe(200);
    }
    const writtenAt = Date.now();
    // Kept for the restore's comparison: no key is written to the source after this.
    sourceData = await listAll(url, '');
    expect(sourceData.size).toBe(KEYS);
    const sourceRevision = await revisionAt(url);

    // A backup that began during the writes holds only some of them: wait for one that holds them all.
    // The backup writes lastBackup; the pass it brings on writes BackupFailing a moment later.
    const backedUp = await settled(SOURCE, 'a backup of every write', (cluster) => (cluster.status?.lastBackup?.revision ?? 0) >= sourceRevision
      && conditionOf(cluster, 'BackupFailing')?.reason === 'BackupSucceeded');
    firstBackup = backedUp.status?.lastBackup as LastBackup;
    console.log(`a backup of ${firstBackup.sizeBytes} bytes was taken ${seconds(writtenAt)} after the writes (${seconds(started)} after kubectl apply)`);
    expect(firstBackup.revision).toBe(sourceRevision);
    expect(keyOf(firstBackup.location)).toMatch(new RegExp(`^${PREFIX}${SOURCE}/\\d{8}T\\d{6}Z-r${sourceRevision}\\.snapshot$`));
    const { bytes, metadata } = await objectBytes(keyOf(firstBackup.location));
    expect(bytes.length).toBe(firstBackup.sizeBytes);
    expect(metadata.sha256).toBe(sha256(bytes));
    expect(metadata).toMatchObject({ revision: String(sourceRevision), cluster: SOURCE, namespace: NAMESPACE });
    expect(conditionOf(backedUp, 'BackupFailing')).toMatchObject({ status: 'False', reason: 'BackupSucceeded' });
    expect(await eventReasons(SOURCE)).toContain('BackupSucceeded');
    expect((await keysUnder(PREFIX)).filter((key) => key.endsWith('.uploading'))).toEqual([]);
  }, 300_000);

  it('restores a new cluster from the last backup on its first member, then grows it to three with the same data', async () => {
    const started = Date.now();
    const restoreFrom = `  restoreFrom: { s3: ${s3Location()}, key: "${keyOf(firstBackup.location)}" }`;
    await bed.kubectl(['apply', '-f', '-'], kvclusterManifest(NAMESPACE, COPY, `  replicas: 3\n  version: 0.1.0\n  storage: { size: 1Gi }\n${restoreFrom}`));
    const copy = await settled(COPY, 'the restored cluster with three ready members', (cluster) => isRunningWith(3)(cluster) && cluster.status?.restoredFrom !== undefined);
    console.log(`${COPY} was restored and had 3 ready members after ${seconds(started)}`);
    const restoredFrom = copy.status?.restoredFrom;
    expect(restoredFrom).toMatchObject({ location: firstBackup.location, backupRevision: firstBackup.revision });
    // The restored state is moved past every revision in the backup.
    expect(restoredFrom?.revision).toBeGreaterThan(firstBackup.revision);

    const urls = [...(await memberUrls(bed, NAMESPACE, COPY)).values()];
    expect(urls).toHaveLength(3);
    for (const url of urls) {
      expect(await revisionAt(url)).toBe(restoredFrom?.revision);
      expect(await listAll(url, '', 'serializable')).toEqual(sourceData);
    }
    expect(await listAll(urls[0] ?? '', '')).toEqual(sourceData);

    // The restore went to the first member alone: no member was added before it.
    const steps = operator.lines.filter((line) => line.cluster === COPY && line.msg !== 'step' && line.step !== undefined).map((line) => line.step);
    expect(steps.indexOf('restore')).toBeGreaterThanOrEqual(0);
    expect(steps.indexOf('restore')).toBeLessThan(steps.indexOf('add-learner'));
    expect(steps.filter((step) => step === 'restore')).toHaveLength(1);
    expect(await eventReasons(COPY)).toEqual(expect.arrayContaining(['Bootstrap', 'Restore', 'AddLearner']));
  }, 300_000);

  it('refuses a backup that does not match its checksum: Degraded, a Warning Event, nothing restored and no member added', async () => {
    const { bytes } = await objectBytes(keyOf(firstBackup.location));
    const damaged = Uint8Array.from(bytes);
    damaged[Math.floor(damaged.length / 2)] = (damaged[Math.floor(damaged.length / 2)] ?? 0) ^ 0xff;
    const key = `${PREFIX}elsewhere/20260101T000000Z-r${firstBackup.revision}.snapshot`;
    await putObject(key, damaged, { sha256: sha256(bytes), revision: String(firstBackup.revision) });

    const started = Date.now();
    await bed.kubectl(['apply', '-f', '-'], kvclusterManifest(NAMESPACE, DAMAGED, `  replicas: 3\n  version: 0.1.0\n  storage: { size: 1Gi }\n  restoreFrom: { s3: ${s3Location()}, key: "${key}" }`));
    // A first member that answers before it is ready is reported as a lost quorum for a moment: wait for the refusal itself.
    const refused = await settled(DAMAGED, 'the damaged backup refused', (cluster) => conditionOf(cluster, 'Degraded')?.reason === 'RestoreChecksumMismatch');
    console.log(`${DAMAGED} reported the damaged backup ${seconds(started)} after kubectl apply`);
    expect(refused.status?.phase).toBe('Degraded');
    expect(conditionOf(refused, 'Degraded')).toMatchObject({ status: 'True', reason: 'RestoreChecksumMismatch' });
    expect(conditionOf(refused, 'Degraded')?.message).toContain('does not match its checksum');
    expect(await eventReasons(DAMAGED)).toContain('RestoreChecksumMismatch');
    // Some passes later: still the first member alone, holding none of the backup's keys.
    await sleep(6_000);
    const later = await readCluster(bed, NAMESPACE, DAMAGED);
    expect(later.status?.restoredFrom).toBeUndefined();
    expect(conditionOf(later, 'Degraded')).toMatchObject({ status: 'True', reason: 'RestoreChecksumMismatch' });
    expect(later.status?.members).toHaveLength(1);
    expect(await memberObjectNames(bed, NAMESPACE, DAMAGED, 'pods')).toHaveLength(1);
    expect((await listAll(await anyMemberUrl(DAMAGED), '')).size).toBe(0);
    expect(operator.lines.filter((line) => line.cluster === DAMAGED && line.step === 'restore' && line.msg !== 'step')).toEqual([]);
  }, 120_000);

  it('reports a missing credentials Secret in BackupFailing, and the cluster is run as usual', async () => {
    const reported = await settled(NO_SECRET, 'CredentialsMissing reported', (cluster) => conditionOf(cluster, 'BackupFailing')?.status === 'True');
    expect(conditionOf(reported, 'BackupFailing')).toMatchObject({ reason: 'CredentialsMissing' });
    expect(conditionOf(reported, 'BackupFailing')?.message).toContain('no-such-secret');
    expect(reported.status?.phase).toBe('Running');
    expect(reported.status?.lastBackup).toBeUndefined();
    const reasons = await eventReasons(NO_SECRET);
    expect(reasons).toContain('CredentialsMissing');
    expect(reasons).not.toContain('ReconcileFailed');
    expect(operator.hasExited()).toBe(false);
  }, 120_000);

  it('keeps the newest two backups after each backup, deleting older ones of this cluster alone', async () => {
    const started = Date.now();
    const second = await settled(SOURCE, 'a second backup', (cluster) => cluster.status?.lastBackup !== undefined && cluster.status.lastBackup.location !== firstBackup.location);
    console.log(`waited ${seconds(started)} for the next backup`);
    const secondKey = keyOf(second.status?.lastBackup?.location ?? '');
    const kept = await keysUnder(`${PREFIX}${SOURCE}/`);
    // Ours: the two newest; a same-named cluster's in another namespace and a file that is no backup stay.
    expect(kept).toEqual([SEEDED.otherNamespace, keyOf(firstBackup.location), secondKey, SEEDED.notes].sort());
    expect(await keysUnder(`${PREFIX}payments/`)).toEqual([SEEDED.otherCluster]);
    const { bytes, metadata } = await objectBytes(secondKey);
    expect(metadata.sha256).toBe(sha256(bytes));
  }, 180_000);

  it('has data for every panel query of the operator dashboard, from a Prometheus scraping this operator', async () => {
    // The operator has passed, stepped, formed clusters and made backups for minutes: a range of
    // five minutes holds all of it, as Grafana's $__rate_interval would on a longer history.
    const variables = { datasource: 'prometheus', job: OPERATOR_JOB, __rate_interval: '5m', __range: '15m' };
    // The certificate panel reads the members' metric ($member_job): dashboards.test.ts runs it against a member with TLS.
    const outcomes = await runPanelQueries(prometheus, loadDashboard('bvault-operator.json'), variables, (query) => !query.expr.includes('$member_job'));
    // A labelled counter has no series until it first counts (no pass of this run failed):
    // such a metric must still be one the operator declares, and only it may leave a query empty.
    const declared = new Set([...(await (await fetch(operatorMetricsUrl)).text()).matchAll(/^# HELP (\S+) /gm)].map((match) => match[1]!));
    const declaredName = (metric: string) => declared.has(metric) || declared.has(metric.replace(/_(bucket|sum|count)$/, ''));
    expect(outcomes.flatMap((outcome) => outcome.unknownMetrics.filter((metric) => !declaredName(metric)).map((metric) => `${outcome.where} names ${metric}`))).toEqual([]);
    expect(outcomes.filter((outcome) => outcome.empty && outcome.unknownMetrics.length === 0).map((outcome) => `${outcome.where}: ${outcome.promql}`), 'queries without data').toEqual([]);
    const uncounted = [...new Set(outcomes.flatMap((outcome) => outcome.unknownMetrics))];
    console.log(`operator dashboard: ${outcomes.filter((outcome) => !outcome.empty).length} of ${outcomes.length} queries have data${uncounted.length === 0 ? '' : `; not counted yet: ${uncounted.join(', ')}`}`);
  }, 60_000);
});

describe('a cluster with TLS and authentication', () => {
  const secure = `  tls: { client: { operatorCA: true }, peer: { operatorCA: true } }\n  auth: { rootPasswordSecret: { name: ${ROOT_SECRET} } }`;
  let secureBackup: LastBackup;
  let secureData: Map<string, string>;

  /** A token of root's from a member, over TLS. */
  async function rootToken(member: MemberAddress, where: { namespace: string; cluster: string }, ca: string): Promise<string> {
    const answer = await callOverTls(member, where, ca, 'POST', '/api/v1/auth/authenticate', { body: { name: 'root', password: ROOT_PASSWORD } });
    expect(answer.status).toBe(200);
    return (JSON.parse(answer.text) as { token: string }).token;
  }

  async function listAsRoot(member: MemberAddress, where: { namespace: string; cluster: string }, ca: string, token: string): Promise<Map<string, string>> {
    const answer = await callOverTls(member, where, ca, 'GET', '/api/v1/keys?prefix=&limit=1000', { token });
    expect(answer.status).toBe(200);
    const page = JSON.parse(answer.text) as { items: { key: string; value: string }[]; nextCursor?: string | null };
    expect(page.nextCursor ?? undefined).toBeUndefined();
    return new Map(page.items.map((item) => [item.key, item.value]));
  }

  it('turns authentication on with the Secret\'s root password, and is backed up over TLS as root', async () => {
    const started = Date.now();
    await bed.kubectl(['create', 'secret', 'generic', ROOT_SECRET, '--namespace', NAMESPACE, `--from-literal=password=${ROOT_PASSWORD}`]);
    await bed.kubectl(['apply', '-f', '-'], kvclusterManifest(NAMESPACE, SECURE, `  replicas: 3\n  version: 0.1.0\n  storage: { size: 1Gi }\n${secure}\n  backup: { schedule: "* * * * *", s3: ${s3Location()} }`));
    await settled(SECURE, 'three ready members with authentication', isRunningWith(3));
    console.log(`${SECURE} had 3 ready members over TLS with authentication after ${seconds(started)}`);
    // Growing to three took membership calls as root: authentication was on before the first learner.
    const steps = operator.lines.filter((line) => line.cluster === SECURE && line.msg !== 'step' && line.step !== undefined).map((line) => line.step);
    expect(steps.filter((step) => step === 'enable-auth')).toHaveLength(1);
    expect(steps.indexOf('enable-auth')).toBeLessThan(steps.indexOf('add-learner'));

    const where = { namespace: NAMESPACE, cluster: SECURE };
    const ca = await secretText(bed, NAMESPACE, `${SECURE}-tls`, 'ca.crt');
    const [member] = await memberAddresses(bed, NAMESPACE, SECURE);
    const anonymous = await callOverTls(member!, where, ca, 'PUT', '/api/v1/keys/ledger/anonymous', { body: 'x' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.text).toContain('user name is empty');
    const wrongPassword = await callOverTls(member!, where, ca, 'POST', '/api/v1/auth/authenticate', { body: { name: 'root', password: 'wrong' } });
    expect(wrongPassword.status).toBe(401);

    const token = await rootToken(member!, where, ca);
    for (let index = 0; index < KEYS; index += 1) {
      expect((await callOverTls(member!, where, ca, 'PUT', `/api/v1/keys/ledger/entry-${index}`, { body: `amount-${index}`, token })).status).toBe(200);
    }
    secureData = await listAsRoot(member!, where, ca, token);
    expect(secureData.size).toBe(KEYS);
    const revision = (JSON.parse((await callOverTls(member!, where, ca, 'GET', '/api/v1/admin/status')).text) as { revision: number }).revision;
    const backedUp = await settled(SECURE, 'a backup of every write', (cluster) => (cluster.status?.lastBackup?.revision ?? 0) >= revision
      && conditionOf(cluster, 'BackupFailing')?.reason === 'BackupSucceeded');
    secureBackup = backedUp.status?.lastBackup as LastBackup;
    expect(secureBackup.revision).toBe(revision);
    const { bytes, metadata } = await objectBytes(keyOf(secureBackup.location));
    expect(metadata.sha256).toBe(sha256(bytes));
    expect(await eventReasons(SECURE)).toEqual(expect.arrayContaining(['EnableAuth', 'BackupSucceeded']));
  }, 300_000);

  it('restores into a new cluster with TLS and authentication, where the backup\'s users hold', async () => {
    const started = Date.now();
    const restoreFrom = `  restoreFrom: { s3: ${s3Location()}, key: "${keyOf(secureBackup.location)}" }`;
    await bed.kubectl(['apply', '-f', '-'], kvclusterManifest(NAMESPACE, SECURE_COPY, `  replicas: 3\n  version: 0.1.0\n  storage: { size: 1Gi }\n${secure}\n${restoreFrom}`));
    await settled(SECURE_COPY, 'the restored cluster with three ready members', (cluster) => isRunningWith(3)(cluster) && cluster.status?.restoredFrom !== undefined);
    console.log(`${SECURE_COPY} was restored over TLS and had 3 ready members after ${seconds(started)}`);
    // The backup brought authentication on with its users: the operator had nothing to turn on.
    // (A caught-up learner may promote itself before the operator does, so no promote step is asked for.)
    const steps = operator.lines.filter((line) => line.cluster === SECURE_COPY && line.msg !== 'step' && line.step !== undefined).map((line) => line.step);
    expect(steps).toEqual(expect.arrayContaining(['restore', 'add-learner']));
    expect(steps).not.toContain('enable-auth');

    const where = { namespace: NAMESPACE, cluster: SECURE_COPY };
    const ca = await secretText(bed, NAMESPACE, `${SECURE_COPY}-tls`, 'ca.crt');
    const members = await memberAddresses(bed, NAMESPACE, SECURE_COPY);
    expect(members).toHaveLength(3);
    const token = await rootToken(members[0]!, where, ca);
    for (const member of members) {
      expect(await listAsRoot(member, where, ca, token)).toEqual(secureData);
      expect((await callOverTls(member, where, ca, 'GET', '/api/v1/keys/ledger/entry-0')).status).toBe(401);
    }
  }, 300_000);

  it('waits for a missing root password Secret, saying so in its status, then turns authentication on', async () => {
    await bed.kubectl(['apply', '-f', '-'], kvclusterManifest(NAMESPACE, LATE_SECRET, `  replicas: 1\n  version: 0.1.0\n  storage: { size: 1Gi }\n  auth: { rootPasswordSecret: { name: ${LATE_SECRET}-root, key: root-password } }`));
    const waiting = await settled(LATE_SECRET, 'the missing Secret reported', (cluster) => conditionOf(cluster, 'Degraded')?.reason === 'RootPasswordRefused');
    expect(conditionOf(waiting, 'Degraded')?.message).toContain(`the Secret ${NAMESPACE}/${LATE_SECRET}-root does not exist`);
    expect(await eventReasons(LATE_SECRET)).toContain('RootPasswordRefused');
    const [url] = (await memberUrls(bed, NAMESPACE, LATE_SECRET)).values();
    expect((await request(url!, 'PUT', '/api/v1/keys/before', 'open')).status).toBe(200);

    await bed.kubectl(['create', 'secret', 'generic', `${LATE_SECRET}-root`, '--namespace', NAMESPACE, `--from-literal=root-password=${ROOT_PASSWORD}`]);
    await settled(LATE_SECRET, 'authentication turned on', (cluster) => isRunningWith(1)(cluster) && conditionOf(cluster, 'Degraded')?.status === 'False');
    expect(await eventReasons(LATE_SECRET)).toContain('EnableAuth');
    expect((await request(url!, 'GET', '/api/v1/keys/before')).status).toBe(401);
  }, 180_000);
});
