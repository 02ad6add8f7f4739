// MinIO as the test bed starts it for backups: it serves S3 to the AWS SDK with the credentials
// it was started with and refuses others, listens on loopback alone (no web console on every
// address), and is gone, by pid, once stopped.

import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporaryDirectory } from '../../cluster/cluster-harness.js';
import { isAlive, PidRegistry, stopByPid } from '../bed/processes.js';
import { startMinio, type Minio } from './minio.js';
import { ENSURE_SERVICES_TIMEOUT_MS, ensureServices } from './tool-paths.js';


let directory: string;
let registry: PidRegistry;
let minio: Minio;
let s3: S3Client;

beforeAll(async () => {
  await ensureServices();
  directory = await temporaryDirectory('minio');
  registry = new PidRegistry(join(directory, 'pids'));
  minio = await startMinio({ directory, registry });
  s3 = minio.client();
}, ENSURE_SERVICES_TIMEOUT_MS + 60_000);

afterAll(async () => {
  s3?.destroy();
  if (registry !== undefined) await stopByPid(registry.entries().map((entry) => entry.pid), 5_000);
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
}, 30_000);

/** The local addresses a process listens on for TCP, from ss. */
function listeningAddresses(pid: number): string[] {
  const lines = execFileSync('ss', ['--listening', '--tcp', '--numeric', '--processes', '--no-header'], { encoding: 'utf8' }).split('\n');
  return lines.filter((line) => line.includes(`pid=${pid},`)).map((line) => line.trim().split(/\s+/)[3] ?? '');
}

describe('MinIO for backups', () => {
  it('stores and returns an object through the AWS SDK', async () => {
    await minio.createBucket('backups');
    await s3.send(new PutObjectCommand({ Bucket: 'backups', Key: 'snapshots/1.db', Body: 'snapshot bytes' }));
    const object = await s3.send(new GetObjectCommand({ Bucket: 'backups', Key: 'snapshots/1.db' }));
    expect(await object.Body?.transformToString()).toBe('snapshot bytes');
  });

  it('refuses other credentials', async () => {
    const stranger = new S3Client({ endpoint: minio.endpoint, region: minio.region, forcePathStyle: true, credentials: { accessKeyId: minio.accessKeyId, secretAccessKey: 'not-the-password' } });
    try {
      await expect(stranger.send(new GetObjectCommand({ Bucket: 'backups', Key: 'snapshots/1.db' }))).rejects.toThrow(/signature/i);
    } finally {
      stranger.destroy();
    }
  });

  it('listens on loopback alone', () => {
    const addresses = listeningAddresses(minio.pid);
    expect(addresses.length).toBeGreaterThan(0);
    const port = new URL(minio.endpoint).port;
    // Given 127.0.0.1, MinIO listens on IPv6's loopback too where there is one.
    for (const address of addresses) expect([`127.0.0.1:${port}`, `[::1]:${port}`]).toContain(address);
  });

  it('is gone, and out of the registry, once stopped', async () => {
    await minio.stop();
    expect(isAlive(minio.pid)).toBe(false);
    expect(registry.entries()).toEqual([]);
  });
});
