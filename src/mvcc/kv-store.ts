// MvccStore: the deterministic key-value state machine of one Raft group. The node feeds it
// committed entries through apply() and serves reads from range(); it knows nothing of
// networking. All of a batch's changes and the applied index/term go to LevelDB in one write,
// so a crash never half-applies a batch and a restart continues after `appliedIndex`.
//
// Concurrency: apply() and restore() must not overlap (the node applies serially); reads,
// watches and snapshots may run at any time and see committed batches only.
import { createHash } from 'node:crypto';
import type { TokenEvent } from '../auth/auth-requests.js';
import type { AuthState } from '../auth/auth-state.js';
import type { GroupId } from '../raft/types.js';
import { type ApplyEntry, type ApplyResult, type ApplySegment, applyInSegment, decodeEntry, openSegment } from './apply-segment.js';
import { PhysicalCompactor } from './compactor.js';
import { etcdHashKv } from './etcd-hash.js';
import { MvccError, leaseNotFound } from './errors.js';
import { otherGeneration, readAuth, readMeta, type ReplaceOptions, switchGeneration } from './generations.js';
import { GENERATIONS, type Generation, groupBounds, type HistoryPosition, Keyspace, reclaimMarkers, rootKey } from './key-codec.js';
import { tombstoneView } from './kv-writer.js';
import { attachedKeys, type LeaseEvent, listLeases, loadLease } from './lessor.js';
import { type MvccLimits, resolveLimits } from './limits.js';
import { LiveKeys } from './live-keys.js';
import { executeRange } from './range.js';
import { decodeHistory, decodeKeyValue, decodeMeta, encodeMeta, EventType, type HistoryRecord, type LeaseRecord, type MetaRecord } from './record-codec.js';
import type { AlarmMember, RangeRequest, RangeResponse, TxnRequest, TxnResponse } from './requests.js';
import { validateRequest } from './request-validation.js';
import { stagedBackup } from './restore-staging.js';
import { executeReadOnlyTxn } from './txn.js';
import { encodeSnapshot } from './snapshot.js';
import { type Database, DatabaseReader, type StorageReader, withSnapshot } from './storage.js';
import type { EtcdHashKv, KeyValue, PositionedEvent, Revision } from './types.js';
import { revision } from './types.js';
import { DEFAULT_WATCH_OPTIONS, type HistoryPage, WatchHub, type WatchHubOptions } from './watch-hub.js';
import type { Watcher, WatchRequest } from './watcher.js';

export interface MvccStoreOptions {
  readonly groupId: GroupId;
  readonly limits?: Partial<MvccLimits>;
  readonly watch?: Partial<WatchHubOptions>;
  /** History events removed per LevelDB batch by physical compaction. */
  readonly compactionBatchEvents?: number;
}

export interface LeaseTimeToLive {
  readonly id: number;
  readonly grantedTtl: number;
  /** The last checkpointed remaining TTL in seconds, 0 if none; the leader's LeaseExpiry knows the live value. */
  readonly checkpointedRemainingTtl: number;
  readonly grantedAtMs: number;
  readonly keys: Uint8Array[];
}

function initialMeta(): MetaRecord {
  return { revision: revision(1), compactRevision: revision(0), appliedIndex: 0, appliedTerm: 0, nextLeaseId: 1, alarms: [] };
}

export class MvccStore {
  private state: MetaRecord;
  private readonly hub: WatchHub;
  private readonly compactor: PhysicalCompactor;
  private compaction: Promise<void> = Promise.resolve();
  private exclusive = false;
  private closed = false;
  private readonly leaseListeners = new Set<(event: LeaseEvent) => void>();
  private readonly tokenListeners = new Set<(event: TokenEvent) => void>();
  private readonly liveKeys = new LiveKeys();

  private constructor(
    private readonly db: Database,
    private keyspace: Keyspace,
    stored: MetaRecord | undefined,
    private auth: AuthState,
    readonly limits: MvccLimits,
    watchOptions: WatchHubOptions,
    compactionBatchEvents: number,
  ) {
    this.state = stored ?? initialMeta();
    this.compactor = new PhysicalCompactor(db, compactionBatchEvents);
    this.hub = new WatchHub({ readHistory: (from, scanMax, wants, prevKv) => this.readHistory(from, scanMax, wants, prevKv) }, this.state.revision, watchOptions);
  }

  /** Opens (or creates) the group's state in `db`, which may be shared with other groups. */
  static async open(db: Database, options: MvccStoreOptions): Promise<MvccStore> {
    const [root] = await db.getMany([rootKey(options.groupId)]);
    const generation = (root?.[0] ?? GENERATIONS[0]) as Generation;
    const keyspace = new Keyspace(options.groupId, generation);
    const stored = await readMeta(new DatabaseReader(db), keyspace);
    const auth = await readAuth(new DatabaseReader(db), keyspace);
    const store = new MvccStore(db, keyspace, stored, auth, resolveLimits(options.limits), { ...DEFAULT_WATCH_OPTIONS, ...options.watch }, options.compactionBatchEvents ?? 4096);
    if (root === undefined) {
      await db.batch().put(rootKey(options.groupId), Buffer.from([generation])).put(keyspace.metaKey(), encodeMeta(store.state)).write();
    }
    store.clearInactiveGeneration();
    store.resumeCompaction();
    store.liveKeys.recount(db, keyspace);
    return store;
  }

  get currentRevision(): Revision {
    return this.state.revision;
  }

  get compactRevision(): Revision {
    return this.state.compactRevision;
  }

  get appliedIndex(): number {
    return this.state.appliedIndex;
  }

  get appliedTerm(): number {
    return this.state.appliedTerm;
  }

  get alarms(): ReadonlyArray<AlarmMember> {
    return this.state.alarms;
  }

  /** The auth state of the last committed batch: what permission checks on reads and watches use. */
  get authState(): AuthState {
    return this.auth;
  }

  get watcherCount(): number {
    return this.hub.watcherCount;
  }

  /** Keys with a live value; undefined while they are counted after open or a restore. */
  get keyCount(): number | undefined {
    return this.liveKeys.value;
  }

  /** Applies committed entries in order; returns one result per entry. */
  async apply(entries: ReadonlyArray<ApplyEntry>): Promise<ApplyResult[]> {
    this.enterExclusive('apply');
    try {
      return await this.applyBatch(entries);
    } finally {
      this.exclusive = false;
    }
  }

  private async applyBatch(entries: ReadonlyArray<ApplyEntry>): Promise<ApplyResult[]> {
    const results: ApplyResult[] = [];
    let segment = this.newSegment();
    for (const entry of entries) {
      if (entry.index <= segment.state.appliedIndex) {
        results.push({ index: entry.index, outcome: 'alreadyApplied' });
        continue;
      }
      const decoded = entry.data.length > 0 ? decodeEntry(entry.data, this.limits) : undefined;
      if (decoded !== undefined && !(decoded instanceof MvccError) && decoded.request.type === 'restoreCommit') {
        // The restore replaces the state the rest of the batch builds on: write what came before.
        await this.commitSegment(segment);
        results.push(await this.applyRestoreCommit(entry, decoded.request.restoreCommit.id));
        segment = this.newSegment();
        continue;
      }
      const result = applyInSegment(segment, entry, decoded);
      results.push(result instanceof Promise ? await result : result);
    }
    await this.commitSegment(segment);
    return results;
  }

  private newSegment(): ApplySegment {
    return openSegment(this.db, this.keyspace, this.limits, this.state, this.auth);
  }

  /** Writes the segment's changes and meta record in one LevelDB batch, then tells watchers and lease listeners. */
  private async commitSegment(segment: ApplySegment): Promise<void> {
    const { state, buffer } = segment;
    if (state === this.state) return;
    buffer.put(this.keyspace.metaKey(), encodeMeta(state));
    await buffer.commit(this.db);
    const compacted = state.compactRevision > this.state.compactRevision;
    this.state = state;
    this.auth = segment.auth;
    this.hub.publish(segment.events, state.revision);
    this.liveKeys.committed(segment.events);
    for (const event of segment.leaseEvents) this.emitLease(event);
    for (const event of segment.tokenEvents) this.emitToken(event);
    if (compacted) this.scheduleCompaction(state.compactRevision);
  }

  /**
   * Replaces the state with the staged backup of restore `id`, at this entry's index and term
   * (the backup's own applied index belongs to another log) and past the current revision. A
   * missing chunk or a checksum mismatch is the entry's error result: only the applied index moves.
   */
  private async applyRestoreCommit(entry: ApplyEntry, id: number): Promise<ApplyResult> {
    const applied = { appliedIndex: entry.index, appliedTerm: entry.term };
    try {
      await this.replaceState(stagedBackup(this.db, this.keyspace, id), { committed: { ...applied, revisionBefore: this.state.revision }, dropStaging: true });
      return { index: entry.index, outcome: 'ok', response: { type: 'restoreCommit', restoreCommit: { header: { revision: this.state.revision } } } };
    } catch (error) {
      if (!(error instanceof MvccError)) throw error;
      const segment = this.newSegment();
      segment.state = { ...this.state, ...applied };
      await this.commitSegment(segment);
      return { index: entry.index, outcome: 'error', error };
    }
  }

  /** A read at the latest or a historical revision, from one consistent LevelDB snapshot. */
  async range(request: RangeRequest): Promise<RangeResponse> {
    this.assertOpen();
    const keyspace = this.keyspace;
    if (isPlainLatestGet(request)) {
      // The key and the meta record in one read, at one point in time and without a snapshot
      // to open and close: the header's revision is the store's when the key was read.
      const [record, meta] = await this.db.getMany([keyspace.currentKey(request.key), keyspace.metaKey()]);
      const header = { revision: (meta === undefined ? initialMeta() : decodeMeta(meta)).revision };
      if (record === undefined) return { header, kvs: [], more: false, count: 0 };
      if (request.countOnly === true) return { header, kvs: [], more: false, count: 1 };
      const kv = decodeKeyValue(request.key, record);
      return { header, kvs: [request.keysOnly === true ? { ...kv, value: new Uint8Array(0) } : kv], more: false, count: 1 };
    }
    return withSnapshot(this.db, async (reader) => executeRange(reader, keyspace, request, (await readMeta(reader, keyspace)) ?? initialMeta()));
  }

  /**
   * A txn of range operations only (txnIsReadOnly), evaluated at one consistent revision
   * without a log entry: what apply would answer at that revision. A txn that writes is refused.
   */
  async readTxn(txn: TxnRequest): Promise<TxnResponse> {
    this.assertOpen();
    validateRequest({ type: 'txn', txn }, this.limits);
    const keyspace = this.keyspace;
    return withSnapshot(this.db, async (reader) => {
      const meta = (await readMeta(reader, keyspace)) ?? initialMeta();
      return executeReadOnlyTxn({ reader, keyspace, revision: meta.revision, compactRevision: meta.compactRevision }, txn);
    });
  }

  /** Starts a watch; read responses with `for await`. See watcher.ts. */
  watch(request: WatchRequest): Watcher {
    this.assertOpen();
    return this.hub.watch(request);
  }

  /** Sends progress notifications (current revision) to synced watchers that asked for them. */
  notifyWatchProgress(): void {
    this.hub.notifyProgress();
  }

  async leaseTimeToLive(id: number, withKeys: boolean): Promise<LeaseTimeToLive> {
    this.assertOpen();
    const reader = new DatabaseReader(this.db);
    const record = await loadLease(reader, this.keyspace, id);
    if (record === undefined) throw leaseNotFound(id);
    const keys = withKeys ? (await attachedKeys(reader, this.keyspace, id)).map((kv) => kv.key) : [];
    return { id, grantedTtl: record.ttl, checkpointedRemainingTtl: record.remainingTtl, grantedAtMs: record.grantedAtMs, keys };
  }

  /** Every lease with its checkpointed state: what a new leader's LeaseExpiry starts from. */
  async leases(): Promise<LeaseRecord[]> {
    this.assertOpen();
    return listLeases(new DatabaseReader(this.db), this.keyspace);
  }

  /** Hears every simple token assigned or invalidated through the log, on every member (etcd's simple tokens). */
  addTokenListener(listener: (event: TokenEvent) => void): () => void {
    this.tokenListeners.add(listener);
    return () => this.tokenListeners.delete(listener);
  }

  addLeaseListener(listener: (event: LeaseEvent) => void): () => void {
    this.leaseListeners.add(listener);
    return () => this.leaseListeners.delete(listener);
  }

  /** SHA-256 over the group's whole state (like etcd's HashKV, but of everything), after pending compaction. */
  async hash(): Promise<string> {
    this.assertOpen();
    await this.compaction;
    const keyspace = this.keyspace;
    return withSnapshot(this.db, async (reader) => {
      const hash = createHash('sha256');
      for await (const page of reader.pages(keyspace.bounds())) {
        for (const [key, value] of page) {
          const relative = keyspace.relative(key);
          hash.update(lengthPrefix(relative.length)).update(relative).update(lengthPrefix(value.length)).update(value);
        }
      }
      return hash.digest('hex');
    });
  }

  /**
   * etcd's HashKV of the history up to `atRevision` (0: the current revision), after pending
   * compaction; see etcd-hash.ts. A compacted or future revision is refused as a range is.
   */
  async hashKv(atRevision: number): Promise<EtcdHashKv> {
    this.assertOpen();
    await this.compaction;
    const keyspace = this.keyspace;
    return withSnapshot(this.db, async (reader) => {
      const meta = (await readMeta(reader, keyspace)) ?? initialMeta();
      if (atRevision > meta.revision) throw new MvccError('MVCC_FUTURE_REV');
      // etcd hashes only above its compact revision: the compact revision itself is refused too.
      if (atRevision > 0 && atRevision <= meta.compactRevision) throw new MvccError('MVCC_COMPACTED', { compactRevision: meta.compactRevision });
      const revision = atRevision === 0 ? meta.revision : atRevision;
      return { hash: await etcdHashKv(reader, keyspace, revision, meta.compactRevision), revision: meta.revision, compactRevision: meta.compactRevision };
    });
  }

  /** The whole state as a checksummed stream of chunks. */
  async *snapshot(): AsyncIterable<Uint8Array> {
    this.assertOpen();
    await this.compaction;
    const keyspace = this.keyspace;
    const snapshot = this.db.snapshot();
    try {
      const reader = new DatabaseReader(this.db, snapshot);
      yield* encodeSnapshot(relativePages(reader, keyspace));
    } finally {
      await snapshot.close();
    }
  }

  /**
   * Replaces the whole state with a snapshot stream. The stream is written to the inactive
   * generation and verified before one write switches to it, so a corrupt or truncated stream
   * leaves the current state untouched.
   */
  async restore(stream: AsyncIterable<Uint8Array>): Promise<void> {
    this.enterExclusive('restore');
    try {
      await this.replaceState(stream, { committed: undefined, dropStaging: false });
    } finally {
      this.exclusive = false;
    }
  }

  /** Switches to the stream's state (generations.ts), then clears the previous generation and tells every listener. */
  private async replaceState(stream: AsyncIterable<Uint8Array>, options: ReplaceOptions): Promise<void> {
    await this.compaction;
    const previous = this.keyspace;
    const { keyspace, state, auth } = await switchGeneration(this.db, previous, stream, options);
    this.keyspace = keyspace;
    this.state = state;
    this.auth = auth;
    this.liveKeys.recount(this.db, keyspace);
    await this.db.clear(previous.bounds());
    this.hub.reset(state.revision);
    this.emitLease({ type: 'reset' });
    // The entries skipped by a snapshot may have deleted users or changed passwords.
    this.emitToken({ type: 'allInvalidated' });
    this.resumeCompaction();
  }

  /**
   * The size of the backend on disk, for the quota and status. Every group of the process
   * shares the one database, so this is the backend's size, as etcd's quota is per backend.
   */
  backendSize(): Promise<number> {
    return this.db.sizeBytes();
  }

  /**
   * Reclaims disk space after compaction (etcd's defragment). LevelDB's compactRange never
   * rewrites the bottom level against itself, so values flushed in one memtable together with
   * their deletions would stay on disk for good. Two empty marker keys at the ends of the
   * group's range land above the bottom level and overlap all of it, so the compaction rewrites
   * every file of the range and drops what was deleted; a second pass removes the markers.
   */
  async reclaim(): Promise<void> {
    this.assertOpen();
    await this.compaction;
    const bounds = groupBounds(this.keyspace.group);
    const markers = reclaimMarkers(this.keyspace.group);
    await this.db.batch(markers.map((key) => ({ type: 'put' as const, key, value: Buffer.alloc(0) })));
    await this.db.compactRange(bounds.gte, bounds.lt);
    await this.db.batch(markers.map((key) => ({ type: 'del' as const, key })));
    await this.db.compactRange(bounds.gte, bounds.lt);
  }

  /** Resolves once physical compaction of history has caught up with the compact revision. */
  async waitForCompaction(): Promise<void> {
    await this.compaction;
  }

  /** Ends all watches and waits for background compaction. The database stays open (it may be shared). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.close();
    await this.compaction;
  }

  private async readHistory(from: HistoryPosition, scanMax: number, wants: (key: Uint8Array) => boolean, prevKv: boolean): Promise<HistoryPage> {
    this.assertOpen();
    const keyspace = this.keyspace;
    return withSnapshot(this.db, async (reader) => {
      const meta = (await readMeta(reader, keyspace)) ?? initialMeta();
      const page = { revision: meta.revision, compactRevision: meta.compactRevision };
      if (from.revision < meta.compactRevision) return { ...page, events: [], next: from, complete: false };
      const events: PositionedEvent[] = [];
      let last: HistoryPosition | undefined;
      let scanned = 0;
      let full = false;
      const bounds = { gte: keyspace.historyKey(from), lt: keyspace.historyKey({ revision: meta.revision + 1, sub: 0 }) };
      for await (const entries of reader.pages(bounds)) {
        const wanted: PositionedHistory[] = [];
        for (const [key, value] of entries) {
          const position = keyspace.positionOfHistoryKey(key);
          // A page ends only between revisions: a watch client that lost its stream resumes
          // from the revision after the last one it received, as etcd's clients do.
          if (scanned >= scanMax && position.revision !== last?.revision) {
            full = true;
            break;
          }
          scanned++;
          last = position;
          const record = decodeHistory(value);
          if (wants(record.key)) wanted.push({ position, record });
        }
        for (const event of await loadEvents(reader, keyspace, wanted, prevKv)) events.push(event);
        if (full) break;
      }
      if (!full) return { ...page, events, next: { revision: Math.max(from.revision, meta.revision + 1), sub: 0 }, complete: true };
      const after = last as HistoryPosition;
      return { ...page, events, next: { revision: after.revision + 1, sub: 0 }, complete: false };
    });
  }

  private scheduleCompaction(target: number): void {
    const keyspace = this.keyspace;
    this.compaction = this.compaction.then(() => this.compactor.run(keyspace, target));
  }

  /**
   * A restore that crashed midway leaves the other generation half-written; clearing it (up
   * to a whole copy of the data, or LevelDB's tombstones of one) can take seconds, so it runs
   * in the background, in line with compaction, and the store serves meanwhile. Nothing reads
   * the other generation, and a restore waits for this line before it clears and fills it.
   */
  private clearInactiveGeneration(): void {
    const inactive = otherGeneration(this.keyspace);
    this.compaction = this.compaction.then(() => this.db.clear(inactive.bounds()));
  }

  /** Picks up physical compaction a restart or a restore interrupted; the compactor skips what is done. */
  private resumeCompaction(): void {
    if (this.state.compactRevision > 0) this.scheduleCompaction(this.state.compactRevision);
  }

  private emitToken(event: TokenEvent): void {
    for (const listener of this.tokenListeners) listener(event);
  }

  private emitLease(event: LeaseEvent): void {
    for (const listener of this.leaseListeners) listener(event);
  }

  private enterExclusive(what: string): void {
    this.assertOpen();
    if (this.exclusive) throw new Error(`MvccStore.${what} called while an apply or restore is running; calls must be serial`);
    this.exclusive = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new MvccError('MVCC_STORE_CLOSED');
  }
}

function isPlainLatestGet(request: RangeRequest): boolean {
  const filters = (request.minModRevision ?? 0) + (request.maxModRevision ?? 0) + (request.minCreateRevision ?? 0) + (request.maxCreateRevision ?? 0);
  return (request.revision ?? 0) === 0 && (request.rangeEnd === undefined || request.rangeEnd.length === 0) && filters === 0;
}

interface PositionedHistory {
  readonly position: HistoryPosition;
  readonly record: HistoryRecord;
}

/** The events of history records, with every revision record they need read in one getMany. */
async function loadEvents(reader: StorageReader, keyspace: Keyspace, history: readonly PositionedHistory[], prevKv: boolean): Promise<PositionedEvent[]> {
  if (history.length === 0) return [];
  const keys: Buffer[] = [];
  // Where each record's stored value and previous value are among the keys read; -1: none.
  const slots = history.map(({ position, record }) => {
    const key = Buffer.from(record.key);
    const stored = record.type === EventType.Delete ? -1 : keys.push(keyspace.revisionKey(key, position.revision)) - 1;
    const previous = prevKv && record.prevModRevision > 0 ? keys.push(keyspace.revisionKey(key, record.prevModRevision)) - 1 : -1;
    return { key, stored, previous };
  });
  const values = await reader.getMany(keys);
  return history.map(({ position }, index) => {
    const { key, stored, previous } = slots[index] as { key: Buffer; stored: number; previous: number };
    const previousValue = previous < 0 ? undefined : values[previous];
    const prev: KeyValue | undefined = previousValue === undefined ? undefined : decodeKeyValue(key, previousValue);
    if (stored < 0) {
      const kv = tombstoneView(key, revision(position.revision));
      return { event: prev === undefined ? { type: 'delete', kv } : { type: 'delete', kv, prevKv: prev }, sub: position.sub };
    }
    const storedValue = values[stored];
    if (storedValue === undefined) throw new Error(`history event ${position.revision}.${position.sub} has no revision record`);
    const kv = decodeKeyValue(key, storedValue);
    return { event: prev === undefined ? { type: 'put', kv } : { type: 'put', kv, prevKv: prev }, sub: position.sub };
  });
}

async function* relativePages(reader: DatabaseReader, keyspace: Keyspace): AsyncIterable<ReadonlyArray<{ key: Uint8Array; value: Uint8Array }>> {
  for await (const page of reader.pages(keyspace.bounds())) yield page.map(([key, value]) => ({ key: keyspace.relative(key), value }));
}

function lengthPrefix(length: number): Buffer {
  const prefix = Buffer.allocUnsafe(4);
  prefix.writeUInt32BE(length);
  return prefix;
}
