// The replicated lease table (etcd's lessor, minus the clock). Grant, revoke and checkpoint
// are applied deterministically from requests; expiry is decided elsewhere (LeaseExpiry on
// the leader) and arrives here as an ordinary revoke. Keys attached to a lease are stored as
// separate records, so revoking walks only that lease's keys.
import { MvccError, leaseNotFound } from './errors.js';
import type { Keyspace } from './key-codec.js';
import type { RevisionWriter } from './kv-writer.js';
import type { MvccLimits } from './limits.js';
import { decodeKeyValue, decodeLease, encodeLease, type LeaseRecord } from './record-codec.js';
import type { LeaseCheckpointRequest, LeaseGrantRequest } from './requests.js';
import type { StorageReader, WriteBuffer } from './storage.js';
import type { KeyValue, LeaseId } from './types.js';
import { leaseId } from './types.js';

/** What the leader-side expiry tracker needs to hear about after a batch commits. */
export type LeaseEvent =
  | { readonly type: 'grant'; readonly id: LeaseId; readonly ttl: number }
  | { readonly type: 'revoke'; readonly id: LeaseId }
  /** The whole table was replaced (restore from a snapshot): reload it. */
  | { readonly type: 'reset' };

export interface LeaseContext {
  readonly buffer: WriteBuffer;
  readonly keyspace: Keyspace;
  readonly limits: MvccLimits;
  readonly timestampMs: number;
  readonly leaseEvents: LeaseEvent[];
}

export function readLease(reader: StorageReader, keyspace: Keyspace, id: number): LeaseRecord | undefined {
  const bytes = reader.get(keyspace.leaseKey(id));
  return bytes === undefined ? undefined : decodeLease(leaseId(id), bytes);
}

/** Grants a lease; with id 0 the store picks the lowest free id from `nextLeaseId` on. */
export function grantLease(context: LeaseContext, request: LeaseGrantRequest, nextLeaseId: number): { record: LeaseRecord; nextLeaseId: number } {
  if (request.ttl > context.limits.leaseTtlSecondsMax) throw new MvccError('MVCC_LEASE_TTL_TOO_LARGE');
  let id = request.id ?? 0;
  let next = nextLeaseId;
  if (id === 0) {
    while (readLease(context.buffer, context.keyspace, next) !== undefined) next++;
    id = next++;
  } else if (readLease(context.buffer, context.keyspace, id) !== undefined) {
    throw new MvccError('MVCC_LEASE_EXISTS');
  }
  const ttl = Math.max(request.ttl, context.limits.leaseTtlSecondsMin);
  const record: LeaseRecord = { id: leaseId(id), ttl, remainingTtl: 0, grantedAtMs: context.timestampMs };
  context.buffer.put(context.keyspace.leaseKey(id), encodeLease(record));
  context.leaseEvents.push({ type: 'grant', id: record.id, ttl });
  return { record, nextLeaseId: next };
}

/** Revokes a lease and deletes its keys, all under the writer's one revision. */
export async function revokeLease(context: LeaseContext, writer: RevisionWriter, id: number): Promise<void> {
  if (readLease(context.buffer, context.keyspace, id) === undefined) throw leaseNotFound(id);
  for (const kv of await attachedKeys(context.buffer, context.keyspace, id)) writer.deleteKey(kv);
  context.buffer.del(context.keyspace.leaseKey(id));
  context.leaseEvents.push({ type: 'revoke', id: leaseId(id) });
}

/** Records the leader's view of remaining TTLs; unknown ids are skipped, as in etcd. */
export function checkpointLeases(context: LeaseContext, request: LeaseCheckpointRequest): void {
  for (const checkpoint of request.checkpoints) {
    const record = readLease(context.buffer, context.keyspace, checkpoint.id);
    if (record !== undefined) context.buffer.put(context.keyspace.leaseKey(checkpoint.id), encodeLease({ ...record, remainingTtl: checkpoint.remainingTtl }));
  }
}

/** The lease, read off the event loop: for reads served to clients. */
export async function loadLease(reader: StorageReader, keyspace: Keyspace, id: number): Promise<LeaseRecord | undefined> {
  const [bytes] = await reader.getMany([keyspace.leaseKey(id)]);
  return bytes === undefined ? undefined : decodeLease(leaseId(id), bytes);
}

/** The live keys attached to a lease, in key order; each page of them is read in one getMany. */
export async function attachedKeys(reader: StorageReader, keyspace: Keyspace, id: number): Promise<KeyValue[]> {
  const kvs: KeyValue[] = [];
  for await (const page of reader.pages(keyspace.leaseAttachmentBounds(id), false)) {
    const keys = page.map(([storageKey]) => Buffer.from(keyspace.userKeyOfLeaseAttachment(storageKey)));
    const records = await reader.getMany(keys.map((key) => keyspace.currentKey(key)));
    records.forEach((record, index) => {
      if (record !== undefined) kvs.push(decodeKeyValue(keys[index] as Buffer, record));
    });
  }
  return kvs;
}

export async function listLeases(reader: StorageReader, keyspace: Keyspace): Promise<LeaseRecord[]> {
  const leases: LeaseRecord[] = [];
  for await (const page of reader.pages(keyspace.leaseBounds())) {
    for (const [storageKey, value] of page) leases.push(decodeLease(leaseId(keyspace.leaseIdOfLeaseKey(storageKey)), value));
  }
  return leases;
}
