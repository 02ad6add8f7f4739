// The writes of one revision: etcd's storeTxnWrite. Every change of a write request goes
// through one RevisionWriter, which gives each change a sub-index within the revision and
// records, per change, the current state, the revision record, the history event, the
// lease attachment and the watch event.
import type { Keyspace } from './key-codec.js';
import { collectLatest, type KeyRange } from './range.js';
import { decodeKeyValue, encodeHistory, encodeKeyValue, encodeTombstone, EventType } from './record-codec.js';
import type { PutRequest } from './requests.js';
import type { WriteBuffer } from './storage.js';
import type { KeyMetadata, KeyValue, LeaseId, PositionedEvent, Revision } from './types.js';
import { NO_LEASE, leaseId, revision } from './types.js';

const EMPTY = Buffer.alloc(0);
const NO_TAGS: ReadonlyArray<readonly [string, string]> = [];

export class RevisionWriter {
  private sub = 0;

  constructor(
    private readonly buffer: WriteBuffer,
    private readonly keyspace: Keyspace,
    /** The store revision before this request. */
    readonly beginRevision: Revision,
    private readonly timestampMs: number,
    private readonly events: PositionedEvent[],
  ) {}

  get changed(): boolean {
    return this.sub > 0;
  }

  /** The revision reads inside the request see, and the store revision after it. */
  get revision(): Revision {
    return revision(this.changed ? this.beginRevision + 1 : this.beginRevision);
  }

  /** Callers have checked that ignoreValue/ignoreLease have a previous value and the lease exists. */
  put(request: PutRequest): KeyValue | undefined {
    const rev = revision(this.beginRevision + 1);
    const currentKey = this.keyspace.currentKey(request.key);
    const record = this.buffer.get(currentKey);
    const prev = record === undefined ? undefined : decodeKeyValue(request.key, record);
    const lease = request.ignoreLease === true && prev !== undefined ? prev.lease : leaseId(request.lease ?? 0);
    const kv: KeyValue = {
      key: request.key,
      createRevision: prev?.createRevision ?? rev,
      modRevision: rev,
      version: (prev?.version ?? 0) + 1,
      value: request.ignoreValue === true && prev !== undefined ? prev.value : request.value,
      lease,
      metadata: this.metadataFor(request, prev),
    };
    const encoded = encodeKeyValue(kv);
    this.buffer.put(currentKey, encoded);
    this.buffer.put(this.keyspace.revisionKey(request.key, rev), encoded);
    this.recordHistory(EventType.Put, request.key, prev?.modRevision ?? 0);
    if (prev !== undefined && prev.lease !== lease) this.detach(prev.lease, request.key);
    if (lease !== NO_LEASE && prev?.lease !== lease) this.buffer.put(this.keyspace.leaseAttachmentKey(lease, request.key), EMPTY);
    this.events.push({ event: prev === undefined ? { type: 'put', kv } : { type: 'put', kv, prevKv: prev }, sub: this.sub - 1 });
    return prev;
  }

  /** Deletes every live key in the range and returns what was deleted, in key order. */
  async deleteRange(range: KeyRange): Promise<KeyValue[]> {
    const { kvs } = await collectLatest(this.buffer, this.keyspace, range, 0);
    for (const kv of kvs) this.deleteKey(kv);
    return kvs;
  }

  deleteKey(prev: KeyValue): void {
    const rev = revision(this.beginRevision + 1);
    this.buffer.del(this.keyspace.currentKey(prev.key));
    this.buffer.put(this.keyspace.revisionKey(prev.key, rev), encodeTombstone());
    this.recordHistory(EventType.Delete, prev.key, prev.modRevision);
    this.detach(prev.lease, prev.key);
    this.events.push({ event: { type: 'delete', kv: tombstoneView(prev.key, rev), prevKv: prev }, sub: this.sub - 1 });
  }

  private metadataFor(request: PutRequest, prev: KeyValue | undefined): KeyMetadata {
    // Content type and tags travel with the value: ignoreValue keeps them, a put replaces them.
    const kept = request.ignoreValue === true && prev !== undefined;
    const tags = request.tags === undefined ? NO_TAGS : Object.entries(request.tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      contentType: kept ? prev.metadata.contentType : (request.contentType ?? ''),
      tags: kept ? prev.metadata.tags : tags,
      createdAtMs: prev?.metadata.createdAtMs ?? this.timestampMs,
      updatedAtMs: this.timestampMs,
    };
  }

  private recordHistory(type: EventType, key: Uint8Array, prevModRevision: number): void {
    const position = { revision: this.beginRevision + 1, sub: this.sub++ };
    this.buffer.put(this.keyspace.historyKey(position), encodeHistory({ type, prevModRevision, key }));
  }

  private detach(lease: LeaseId, key: Uint8Array): void {
    if (lease !== NO_LEASE) this.buffer.del(this.keyspace.leaseAttachmentKey(lease, key));
  }
}

const NO_METADATA: KeyMetadata = { contentType: '', createdAtMs: 0, updatedAtMs: 0, tags: NO_TAGS };

/** What a delete event carries as its kv (mvccpb: only key and mod revision are set). */
export function tombstoneView(key: Uint8Array, rev: Revision): KeyValue {
  return { key, createRevision: revision(0), modRevision: rev, version: 0, value: EMPTY, lease: NO_LEASE, metadata: NO_METADATA };
}
