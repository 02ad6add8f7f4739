// The restore of a new cluster from spec.restoreFrom, on its first member (next-step.ts decides
// when). The backup is read twice: once to check its bytes against the SHA-256 in its metadata,
// and, when they match, again as it streams to the member, pinned to the same object version by
// its ETag and checked again on the way. A backup that does not match its checksum is refused
// and nothing is sent; the refusal is remembered for that object version, so later passes ask
// the bucket only whether the object changed.
//
// Done once: status.restoredFrom is written after the member answered, and the cluster grows only
// once it is there. An operator killed between the two restores again on its next pass, which is
// safe: the restore replaces the cluster's whole state with the backup's, so doing it twice ends
// where doing it once does, and the only member is the first one, as no member is added before
// the record. Writes a client made to the first member before the record are replaced by either
// restore, which is why the cluster reports phase Restoring until then.

import type { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { newestBackup, parseBackupKey } from './backup-schedule.js';
import type { KVCluster, RestoredFrom } from './kvcluster.js';
import type { MemberApi } from './member-api.js';
import type { HaltCondition } from './next-step.js';
import { BackupBucket, CredentialsMissingError, METADATA, type StoredObject } from './s3-bucket.js';
import { patchStatus } from './merge-patch.js';

/** A restore streams the whole backup through Raft; a large one takes minutes. */
const RESTORE_TIMEOUT_MS = 60 * 60_000;

export interface RestoreContext {
  readonly core: CoreV1Api;
  readonly customObjects: CustomObjectsApi;
  readonly cluster: KVCluster;
  /** The first member, the whole cluster while it restores. */
  readonly member: MemberApi;
  readonly refusals: RestoreRefusals;
  /** Aborted when the operator stops: a restore cut off restores nothing, and the next operator does it again. */
  readonly stopping: AbortSignal;
}

export type RestoreResult =
  | { readonly restored: true; readonly message: string }
  | { readonly restored: false; readonly condition: HaltCondition; readonly reason: string };

/** Backups found not to match their checksum, by cluster; an object written again (another ETag) is checked again. */
export class RestoreRefusals {
  private readonly byCluster = new Map<string, { readonly location: string; readonly etag: string; readonly reason: string }>();

  find(cluster: KVCluster, location: string, etag: string): string | undefined {
    const refusal = this.byCluster.get(cluster.metadata.uid);
    return refusal?.location === location && refusal.etag === etag ? refusal.reason : undefined;
  }

  remember(cluster: KVCluster, location: string, etag: string, reason: string): void {
    this.byCluster.set(cluster.metadata.uid, { location, etag, reason });
  }

  forget(cluster: KVCluster): void {
    this.byCluster.delete(cluster.metadata.uid);
  }
}

export async function restoreFromBackup(context: RestoreContext): Promise<RestoreResult> {
  const { cluster } = context;
  const source = cluster.spec.restoreFrom;
  if (source === undefined) throw new Error('restoreFromBackup: the cluster has no spec.restoreFrom');
  let bucket: BackupBucket;
  try {
    bucket = await BackupBucket.open(context.core, cluster.metadata.namespace, source.s3);
  } catch (error) {
    if (error instanceof CredentialsMissingError) return { restored: false, condition: 'RestoreFailed', reason: error.message };
    throw error;
  }
  try {
    const key = source.key ?? newestBackup(await bucket.list(source.s3.prefix ?? ''));
    if (key === undefined) return { restored: false, condition: 'RestoreFailed', reason: `no backup under ${bucket.locationOf(source.s3.prefix ?? '')}; name one in restoreFrom.key` };
    const location = bucket.locationOf(key);
    const object = await bucket.describe(key);
    if (object === undefined) return { restored: false, condition: 'RestoreFailed', reason: `${location} does not exist` };
    const signal = AbortSignal.any([context.stopping, AbortSignal.timeout(RESTORE_TIMEOUT_MS)]);
    const refused = context.refusals.find(cluster, location, object.etag) ?? await checksumRefusal(bucket, key, object, signal);
    if (refused !== undefined) {
      context.refusals.remember(cluster, location, object.etag, refused);
      return { restored: false, condition: 'RestoreChecksumMismatch', reason: refused };
    }
    const body = verified(await bucket.read(key, object.etag, signal), object.metadata[METADATA.sha256] ?? '', location);
    const answer = await context.member.restore(body, signal);
    const backupRevision = Number(object.metadata[METADATA.revision] ?? parseBackupKey(key)?.revision);
    const restoredFrom: RestoredFrom = {
      location,
      ...(Number.isInteger(backupRevision) ? { backupRevision } : {}),
      revision: answer.revision,
      time: new Date().toISOString(),
    };
    await patchStatus(context.customObjects, cluster, { restoredFrom });
    return { restored: true, message: `restored the cluster from ${location} (${object.sizeBytes} bytes); its revision is ${answer.revision}` };
  } finally {
    bucket.destroy();
  }
}

/** Why the object cannot be restored, having read it whole; undefined when its bytes match its checksum. */
async function checksumRefusal(bucket: BackupBucket, key: string, object: StoredObject, signal: AbortSignal): Promise<string | undefined> {
  const location = bucket.locationOf(key);
  const expected = object.metadata[METADATA.sha256];
  if (expected === undefined) return `${location} has no sha256 in its metadata: it is not a backup the operator wrote, or not a whole one`;
  const hash = createHash('sha256');
  for await (const chunk of await bucket.read(key, object.etag, signal)) hash.update(chunk as Buffer);
  const actual = hash.digest('hex');
  return actual === expected ? undefined : `${location} does not match its checksum (sha256 ${actual}, its metadata says ${expected}); it was not restored`;
}

/**
 * The bytes of `source`, hashed on the way; the last chunk is held back until the hash is
 * checked, so a stream whose bytes are not the checked ones fails before the member has it all.
 */
async function* verified(source: AsyncIterable<Uint8Array>, expected: string, location: string): AsyncIterable<Uint8Array> {
  const hash = createHash('sha256');
  let held: Uint8Array | undefined;
  for await (const chunk of source) {
    hash.update(chunk);
    if (held !== undefined) yield held;
    held = chunk;
  }
  if (hash.digest('hex') !== expected) throw new Error(`${location} changed while it was restored; nothing was restored`);
  if (held !== undefined) yield held;
}
