// MinIO as the S3 server a test's backups go to: one `minio server` on a free port of `host`
// (loopback unless the bed passes its bridge address so that pods reach it), with a root user
// and password generated for this run, and all its files in the test's directory.

import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../cluster/cluster-harness.js';
import type { PidRegistry } from '../bed/processes.js';
import { startService } from './service-process.js';
import { installed, SERVICE_BINARIES } from './tool-paths.js';

const READY_TIMEOUT_MS = 60_000;
const DEFAULT_REGION = 'us-east-1';

export interface MinioOptions {
  /** Data, MinIO's own files and the log go here; the caller removes it. */
  readonly directory: string;
  readonly registry: PidRegistry;
  /** The address to serve on (default 127.0.0.1); MinIO listens on loopback besides it in any case. */
  readonly host?: string;
  readonly region?: string;
}

export interface Minio {
  readonly pid: number;
  /** http://host:port, for an S3 client with path-style addressing. */
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  /** An S3 client for this server; the caller destroys it. */
  client(): S3Client;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startMinio(options: MinioOptions): Promise<Minio> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? DEFAULT_REGION;
  const accessKeyId = `bvault-${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  const endpoint = `http://${host}:${await freePort()}`;
  const data = join(options.directory, 'data');
  mkdirSync(data, { recursive: true });
  const args = ['server', data, '--address', new URL(endpoint).host, '--quiet'];
  const env = {
    ...process.env,
    // MinIO creates $HOME/.minio for certificates and its legacy configuration.
    HOME: options.directory,
    MINIO_ROOT_USER: accessKeyId,
    MINIO_ROOT_PASSWORD: secretAccessKey,
    MINIO_SITE_REGION: region,
    // The web console would listen on a random port of every address.
    MINIO_BROWSER: 'off',
    MINIO_UPDATE: 'off',
  };
  const service = await startService('minio', installed(SERVICE_BINARIES.minio), args, {
    registry: options.registry,
    logFile: join(options.directory, 'minio.log'),
    env,
    readyUrl: `${endpoint}/minio/health/ready`,
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
  const client = () => new S3Client({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
  return {
    pid: service.pid,
    endpoint,
    accessKeyId,
    secretAccessKey,
    region,
    client,
    createBucket: async (name) => {
      const s3 = client();
      try {
        await s3.send(new CreateBucketCommand({ Bucket: name }));
      } finally {
        s3.destroy();
      }
    },
    stop: () => service.stop(),
  };
}
