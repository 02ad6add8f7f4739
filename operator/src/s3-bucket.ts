// A cluster's backup bucket: an S3 client made from the credentials Secret the KVCluster names,
// and the few calls backups and restores need. A backup is uploaded under a temporary key and
// copied to its own key with its SHA-256 in the object's metadata (x-amz-meta-sha256), since
// the checksum is known only once the last byte has gone: an object under a backup's key is
// therefore always complete and always carries the checksum it is verified against.

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ApiException, type CoreV1Api } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { S3Location } from './kvcluster.js';

const DEFAULT_REGION = 'us-east-1';
/** Parts of the upload: at most 10,000 parts, so 16 MiB parts allow backups up to 160 GiB; two in memory at a time. */
const UPLOAD_PART_BYTES = 16 * 1024 * 1024;
const UPLOAD_PARTS_IN_FLIGHT = 2;
/** Parts of the server-side copy that adds the checksum; a single copy is limited to 5 GiB. */
const COPY_PART_BYTES = 1024 * 1024 * 1024;
/** The suffix of an upload under way; no backup's key ends so, so neither retention nor a restore takes it for one. */
const UPLOADING_SUFFIX = '.uploading';

/** The backup's user metadata (x-amz-meta-*): its checksum, the revision it holds, and whose it is. */
export const METADATA = { sha256: 'sha256', revision: 'revision', cluster: 'cluster', namespace: 'namespace', clusterId: 'cluster-id', member: 'member' } as const;

/** The credentials Secret is missing or lacks a key: the user must create or fix it. */
export class CredentialsMissingError extends Error {}

export interface StoredObject {
  readonly etag: string;
  readonly sizeBytes: number;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface UploadResult {
  readonly sizeBytes: number;
  readonly sha256: string;
}

export class BackupBucket {
  private constructor(
    private readonly client: S3Client,
    readonly name: string,
  ) {}

  /** Reads the credentials Secret; throws CredentialsMissingError when it or one of its keys is missing. */
  static async open(core: CoreV1Api, namespace: string, location: S3Location): Promise<BackupBucket> {
    const secretName = location.credentialsSecret.name;
    let data: Record<string, string> | undefined;
    try {
      data = (await core.readNamespacedSecret({ namespace, name: secretName })).data;
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) {
        throw new CredentialsMissingError(`the Secret ${namespace}/${secretName} with the bucket's credentials does not exist; create it with the keys accessKeyId and secretAccessKey`);
      }
      throw error;
    }
    const value = (key: string) => {
      const encoded = data?.[key];
      if (encoded === undefined || encoded === '') throw new CredentialsMissingError(`the Secret ${namespace}/${secretName} has no ${key}; it needs accessKeyId and secretAccessKey`);
      return Buffer.from(encoded, 'base64').toString('utf8');
    };
    const credentials = { accessKeyId: value('accessKeyId'), secretAccessKey: value('secretAccessKey') };
    const client = new S3Client({
      region: location.region ?? DEFAULT_REGION,
      credentials,
      ...(location.endpoint === undefined ? {} : { endpoint: location.endpoint, forcePathStyle: true }),
    });
    return new BackupBucket(client, location.bucket);
  }

  locationOf(key: string): string {
    return `s3://${this.name}/${key}`;
  }

  /**
   * Streams `body` to `key`, hashing it on the way, and gives the object its checksum and
   * `metadata`: uploaded (in parts) under a temporary key, copied to `key` with the metadata,
   * and the temporary object deleted. Nothing is left under `key` when it fails.
   */
  async upload(key: string, body: Readable, metadata: Readonly<Record<string, string>>, signal: AbortSignal): Promise<UploadResult> {
    const hash = createHash('sha256');
    let sizeBytes = 0;
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        sizeBytes += chunk.length;
        done(null, chunk);
      },
    });
    body.on('error', (error) => hashing.destroy(error));
    const uploading = `${key}${UPLOADING_SUFFIX}`;
    const abortController = new AbortController();
    signal.addEventListener('abort', () => abortController.abort(), { once: true });
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.name, Key: uploading, Body: body.pipe(hashing), ContentType: 'application/octet-stream' },
      partSize: UPLOAD_PART_BYTES,
      queueSize: UPLOAD_PARTS_IN_FLIGHT,
      abortController,
    });
    try {
      await upload.done();
      const sha256 = hash.digest('hex');
      await this.copyWithMetadata(uploading, key, sizeBytes, { ...metadata, [METADATA.sha256]: sha256 }, signal);
      return { sizeBytes, sha256 };
    } finally {
      // A failed upload stops reading the member: its stream is closed, not left to time out.
      body.destroy();
      await this.delete(uploading).catch(() => undefined);
    }
  }

  /** The keys under `prefix`, page by page. */
  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.name, Prefix: prefix, ...(token === undefined ? {} : { ContinuationToken: token }) }));
      for (const entry of page.Contents ?? []) if (entry.Key !== undefined) keys.push(entry.Key);
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys;
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.name, Key: key }));
  }

  /** The object's ETag, size and metadata; undefined when there is no such object. */
  async describe(key: string): Promise<StoredObject | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.name, Key: key }));
      return { etag: head.ETag ?? '', sizeBytes: head.ContentLength ?? 0, metadata: head.Metadata ?? {} };
    } catch (error) {
      if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) return undefined;
      throw error;
    }
  }

  /** The object's bytes, as long as it is still the version with `etag`. */
  async read(key: string, etag: string, signal: AbortSignal): Promise<Readable> {
    const answer = await this.client.send(new GetObjectCommand({ Bucket: this.name, Key: key, IfMatch: etag }), { abortSignal: signal });
    if (!(answer.Body instanceof Readable)) throw new Error(`s3://${this.name}/${key} answered without a body`);
    return answer.Body;
  }

  destroy(): void {
    this.client.destroy();
  }

  /** A server-side copy in parts (one for most backups), so that a backup over 5 GiB gets its metadata too. */
  private async copyWithMetadata(source: string, target: string, sizeBytes: number, metadata: Record<string, string>, signal: AbortSignal): Promise<void> {
    if (sizeBytes === 0) throw new Error('the member sent an empty backup');
    const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.name, Key: target, Metadata: metadata, ContentType: 'application/octet-stream' }));
    const uploadId = created.UploadId;
    const copySource = `${this.name}/${source.split('/').map(encodeURIComponent).join('/')}`;
    try {
      const parts: { PartNumber: number; ETag: string | undefined }[] = [];
      for (let start = 0; start < sizeBytes; start += COPY_PART_BYTES) {
        const PartNumber = parts.length + 1;
        const range = `bytes=${start}-${Math.min(sizeBytes, start + COPY_PART_BYTES) - 1}`;
        const copied = await this.client.send(new UploadPartCopyCommand({ Bucket: this.name, Key: target, UploadId: uploadId, PartNumber, CopySource: copySource, CopySourceRange: range }), { abortSignal: signal });
        parts.push({ PartNumber, ETag: copied.CopyPartResult?.ETag });
      }
      await this.client.send(new CompleteMultipartUploadCommand({ Bucket: this.name, Key: target, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
    } catch (error) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.name, Key: target, UploadId: uploadId })).catch(() => undefined);
      throw error;
    }
  }
}
