import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bytes, del, type Harness, openHarness, put, text } from './helpers.js';
import { AlarmAction, AlarmType, type MvccRequest } from '../../src/mvcc/requests.js';
import { QuotaGuard } from '../../src/mvcc/quota.js';
import { RevisionRetention, TimeRetention } from '../../src/mvcc/compaction-policy.js';
import { encodeRequest } from '../../src/mvcc/request-codec.js';
import { decodeCompactionProgress, encodeCompactionProgress } from '../../src/mvcc/record-codec.js';
import { randomBytes } from 'node:crypto';
import { GENERATIONS, Keyspace } from '../../src/mvcc/key-codec.js';
import { groupId } from '../../src/raft/types.js';

let h: Harness;
beforeEach(async () => {
  h = await openHarness({ compactionBatchEvents: 3 });
});
afterEach(async () => {
  await h.close();
});

async function bytesOf(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function* chunked(data: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

const workload: MvccRequest[] = [
  put('a', '1'),
  put('b', '2', { contentType: 'text/plain', tags: { t: '1' } }),
  { type: 'leaseGrant', leaseGrant: { ttl: 30, id: 9 } },
  put('c', '3', { lease: 9 }),
  put('a', '4'),
  del('b'),
  { type: 'txn', txn: { compare: [], success: [{ type: 'put', put: { key: bytes('d'), value: bytes('5') } }], failure: [] } },
  { type: 'compaction', compaction: { revision: 4 } },
  put('a', '6'),
];

describe('compaction', () => {
  it('removes history below the revision but keeps what reads at and after it need', async () => {
    await h.applyAll([put('a', '1'), put('a', '2'), put('b', '1'), del('b'), put('a', '3'), put('c', '1')]);
    // a: 2,3,6; b: 4, deleted 5; c: 7
    await h.apply({ type: 'compaction', compaction: { revision: 5 } });
    await h.store.waitForCompaction();
    await expect(h.get('a', 4)).rejects.toMatchObject({ code: 'MVCC_COMPACTED', details: { compactRevision: 5 }, message: 'etcdserver: mvcc: required revision has been compacted' });
    const atCompact = await h.store.range({ key: bytes('a'), rangeEnd: bytes('z'), revision: 5 });
    expect(atCompact.kvs.map((kv) => `${text(kv.key)}=${text(kv.value)}`)).toEqual(['a=2']);
    expect((await h.store.range({ key: bytes('a'), rangeEnd: bytes('z'), revision: 6 })).kvs.map((kv) => text(kv.value))).toEqual(['3']);
    await expect(h.apply({ type: 'compaction', compaction: { revision: 5 } })).rejects.toMatchObject({ code: 'MVCC_COMPACTED' });
    await expect(h.apply({ type: 'compaction', compaction: { revision: 99 } })).rejects.toMatchObject({ code: 'MVCC_FUTURE_REV' });
    // Left: a@3 (a's latest <= 5), a@6, c@7, and b's tombstone at 5 (a watch from 5 must still see it).
    const keyspace = h.store['keyspace'];
    const records = await h.db.iterator(keyspace.revisionBounds(bytes('\u0000'), undefined)).all();
    expect(records.map(([key]) => keyspace.revisionOfRevisionKey(key)).sort()).toEqual([3, 5, 6, 7]);
    // The events of what is left stay too: etcd's HashKV names a kept revision by its sub revision.
    const events = await h.db.iterator({ gte: keyspace.historyKey({ revision: 1, sub: 0 }), lt: keyspace.historyEnd() }).all();
    expect(events.map(([key]) => keyspace.positionOfHistoryKey(key).revision)).toEqual([3, 5, 6, 7]);
  });

  it('removes the event of a superseded revision whatever its sub revision, in this compaction or a later one', async () => {
    const twoPuts: MvccRequest = { type: 'txn', txn: { compare: [], success: [{ type: 'put', put: { key: bytes('x'), value: bytes('1') } }, { type: 'put', put: { key: bytes('y'), value: bytes('1') } }], failure: [] } };
    // x@2 sub 0, y@2 sub 1; x@3; y@4 supersedes y@2 (sub 1) only in the second compaction.
    await h.applyAll([twoPuts, put('x', '2')]);
    await h.apply({ type: 'compaction', compaction: { revision: 3 } });
    await h.store.waitForCompaction();
    await h.apply(put('y', '2'));
    await h.apply({ type: 'compaction', compaction: { revision: 4 } });
    await h.store.waitForCompaction();
    const keyspace = h.store['keyspace'];
    const events = await h.db.iterator({ gte: keyspace.historyKey({ revision: 1, sub: 0 }), lt: keyspace.historyEnd() }).all();
    expect(events.map(([key]) => keyspace.positionOfHistoryKey(key))).toEqual([
      { revision: 3, sub: 0 },
      { revision: 4, sub: 0 },
    ]);
  });

  it('gives the same answers before and after physical compaction at every readable revision', async () => {
    for (let index = 0; index < 30; index++) await h.apply(index % 7 === 6 ? del(`k${index % 4}`) : put(`k${index % 4}`, `${index}`));
    const expected = [];
    for (let rev = 15; rev <= h.store.currentRevision; rev++) expected.push(await h.store.range({ key: bytes('k'), rangeEnd: bytes('l'), revision: rev }));
    await h.apply({ type: 'compaction', compaction: { revision: 15 } });
    await h.store.waitForCompaction();
    for (let rev = 15; rev <= h.store.currentRevision; rev++) {
      const actual = await h.store.range({ key: bytes('k'), rangeEnd: bytes('l'), revision: rev });
      expect(actual.kvs, `revision ${rev}`).toEqual(expected[rev - 15]?.kvs);
    }
  });

  it('resumes a physical compaction that a restart interrupted, and leaves a finished one finished', async () => {
    await h.applyAll([put('a', '1'), put('a', '2'), put('a', '3'), put('b', '1'), put('b', '2')]);
    await h.apply({ type: 'compaction', compaction: { revision: 5 } });
    await h.store.waitForCompaction();
    const keyspace: Keyspace = h.store['keyspace'];
    const finished = await h.db.getMany([keyspace.compactionKey()]);
    await h.reopen();
    await h.store.waitForCompaction();
    expect(await h.db.getMany([keyspace.compactionKey()])).toEqual(finished);
    // As if the process died before the compaction's first batch: its progress at the start.
    await h.db.batch([{ type: 'put', key: keyspace.compactionKey(), value: encodeCompactionProgress({ nextRevision: 1, nextSub: 0 }) }]);
    await h.reopen();
    await h.store.waitForCompaction();
    expect(decodeCompactionProgress((await h.db.getMany([keyspace.compactionKey()]))[0] as Buffer)).toEqual({ nextRevision: 5, nextSub: 0 });
    const records = await h.db.iterator(keyspace.revisionBoundsOfKey(bytes('a'))).all();
    expect(records.map(([key]) => keyspace.revisionOfRevisionKey(key))).toEqual([4]);
  });

  it('policies pick the revision to propose', () => {
    const byRevision = new RevisionRetention(100);
    expect(byRevision.next(0, 50, 0)).toBeUndefined();
    expect(byRevision.next(0, 250, 0)).toBe(150);
    expect(byRevision.next(0, 250, 150)).toBeUndefined();
    const byTime = new TimeRetention(10_000);
    expect(byTime.next(0, 10, 0)).toBeUndefined();
    expect(byTime.next(5_000, 20, 0)).toBeUndefined();
    expect(byTime.next(10_000, 30, 0)).toBe(10);
    expect(byTime.next(15_500, 40, 10)).toBe(20);
  });
});

describe('quota and NOSPACE', () => {
  it('reclaims the space of values deleted before LevelDB ever flushed them', async () => {
    // Written and deleted inside one memtable: LevelDB flushes values and deletions into one
    // file, which a plain compactRange of the bottom level would keep as it is.
    // 64 values of 4 KiB, stored twice (current and revision keyspaces): within the 1 MiB write buffer.
    for (let index = 0; index < 64; index++) await h.apply(put(`gone${index}`, randomBytes(2048).toString('hex')));
    await h.apply(del('gone', 'gonf'));
    await h.apply({ type: 'compaction', compaction: { revision: h.store.currentRevision } });
    await h.store.reclaim();
    expect(await h.store.backendSize()).toBeLessThan(64 * 1024);
    expect((await h.get('gone1')).count).toBe(0);
  });

  it('measures writes still in the memtable, so a quota cannot be overrun before LevelDB flushes', async () => {
    const before = await h.store.backendSize();
    // 512 KiB of incompressible values: far less than the 16 MiB write buffer, so nothing is flushed yet.
    for (let index = 0; index < 128; index++) await h.apply(put(`fresh${index}`, randomBytes(2048).toString('hex')));
    expect((await h.store.backendSize()) - before).toBeGreaterThan(512 * 1024);
  });

  it('raises NOSPACE past the quota, rejects writes but not reads or deletes, and recovers after compaction and reclaim', async () => {
    // Random values, so that Snappy cannot shrink them below the quota.
    for (let index = 0; index < 64; index++) await h.apply(put(`big${index % 8}`, randomBytes(4096).toString('hex')));
    await h.store.reclaim();
    const guard = new QuotaGuard(64 * 1024, 1);
    const size = await h.store.backendSize();
    expect(size).toBeGreaterThan(64 * 1024);
    const alarm = guard.alarmToPropose(size, h.store.alarms);
    expect(alarm).toEqual({ action: AlarmAction.Activate, memberId: 1, alarm: AlarmType.NoSpace });
    await h.apply({ type: 'alarm', alarm: alarm as NonNullable<typeof alarm> });
    expect(guard.alarmToPropose(size, h.store.alarms)).toBeUndefined();
    await expect(h.apply(put('new', 'v'))).rejects.toMatchObject({ code: 'MVCC_NOSPACE', message: 'etcdserver: mvcc: database space exceeded' });
    await expect(h.apply({ type: 'leaseGrant', leaseGrant: { ttl: 5 } })).rejects.toMatchObject({ code: 'MVCC_NOSPACE' });
    await expect(h.apply({ type: 'txn', txn: { compare: [], success: [], failure: [{ type: 'put', put: { key: bytes('q'), value: bytes('') } }] } })).rejects.toMatchObject({ code: 'MVCC_NOSPACE' });
    expect((await h.get('big1')).count).toBe(1);
    await h.apply({ type: 'txn', txn: { compare: [], success: [{ type: 'range', range: { key: bytes('big1') } }], failure: [] } });
    await h.apply(del('big0', 'big8'));
    await h.apply({ type: 'compaction', compaction: { revision: h.store.currentRevision } });
    await h.store.reclaim();
    const after = await h.store.backendSize();
    expect(after).toBeLessThan(64 * 1024);
    expect(guard.admits(after, 100)).toBe(true);
    const get = await h.apply({ type: 'alarm', alarm: { action: AlarmAction.Get, memberId: 0, alarm: AlarmType.None } });
    expect(get.type === 'alarm' && get.alarm.alarms).toEqual([{ memberId: 1, alarm: AlarmType.NoSpace }]);
    await h.apply({ type: 'alarm', alarm: { action: AlarmAction.Deactivate, memberId: 1, alarm: AlarmType.NoSpace } });
    await h.apply(put('new', 'v'));
    expect((await h.get('new')).count).toBe(1);
  });
});

describe('determinism, snapshot and restart', () => {
  it('two stores fed the same entries hash the same, and differ after one more write', async () => {
    const other = await openHarness({ compactionBatchEvents: 1000 });
    try {
      await h.applyAll(workload, 77);
      for (const request of workload) await other.applyAll([request], 77);
      expect(await h.store.hash()).toBe(await other.store.hash());
      expect(h.store.currentRevision).toBe(other.store.currentRevision);
      await other.apply(put('z', 'z'));
      expect(await h.store.hash()).not.toBe(await other.store.hash());
    } finally {
      await other.close();
    }
  });

  it('restores a snapshot into another store that then hashes the same and keeps working', async () => {
    await h.applyAll(workload);
    const stream = await bytesOf(h.store.snapshot());
    const target = await openHarness();
    try {
      await target.applyAll([put('stale', 'x')]);
      const oldWatcher = target.store.watch({ key: bytes('a'), startRevision: 0 });
      await target.store.restore(chunked(stream, 7));
      // The old watcher's position (revision 3) is below the restored compact revision.
      const canceled = await oldWatcher[Symbol.asyncIterator]().next();
      expect(canceled.done === false && canceled.value).toMatchObject({ canceled: true, compactRevision: 4 });
      const watcher = target.store.watch({ key: bytes('a') });
      expect(await target.store.hash()).toBe(await h.store.hash());
      expect(target.store.appliedIndex).toBe(h.store.appliedIndex);
      expect((await target.get('stale')).count).toBe(0);
      expect(text((await target.get('a')).kvs[0]?.value ?? bytes(''))).toBe('6');
      expect((await target.store.leaseTimeToLive(9, true)).keys.map(text)).toEqual(['c']);
      target.index = target.store.appliedIndex;
      await target.apply(put('a', '7'));
      const next = await watcher[Symbol.asyncIterator]().next();
      expect(next.done === false && next.value.events.map((event) => text(event.kv.value))).toEqual(['7']);
    } finally {
      await target.close();
    }
  });

  it('rejects a corrupt or truncated snapshot and keeps the old state', async () => {
    await h.applyAll(workload);
    const stream = await bytesOf(h.store.snapshot());
    const target = await openHarness();
    try {
      await target.applyAll([put('keep', 'me')]);
      const before = await target.store.hash();
      const corrupt = Buffer.from(stream);
      corrupt[40] = (corrupt[40] as number) ^ 0xff;
      await expect(target.store.restore(chunked(corrupt, 1000))).rejects.toMatchObject({ code: 'MVCC_SNAPSHOT_INVALID' });
      await expect(target.store.restore(chunked(stream.subarray(0, stream.length - 10), 1000))).rejects.toThrow(/truncated/);
      await expect(target.store.restore(chunked(Buffer.from('not a snapshot'), 4))).rejects.toThrow(/header/);
      expect(await target.store.hash()).toBe(before);
      expect((await target.get('keep')).count).toBe(1);
    } finally {
      await target.close();
    }
  });

  it('reopens from the stored applied index and skips replayed entries', async () => {
    await h.applyAll(workload.slice(0, 5));
    const hashBefore = await h.store.hash();
    await h.reopen();
    expect(h.store.appliedIndex).toBe(5);
    expect(h.store.currentRevision).toBe(5);
    expect(await h.store.hash()).toBe(hashBefore);
    const replay = await h.store.apply([{ index: 5, term: 1, data: encodeRequest({ timestampMs: 1, request: put('a', 'again') }) }]);
    expect(replay).toEqual([{ index: 5, outcome: 'alreadyApplied' }]);
    h.index = 5;
    await h.applyAll(workload.slice(5), 1_000);
    const fresh = await openHarness();
    try {
      await fresh.applyAll(workload);
      expect(await h.store.hash()).toBe(await fresh.store.hash());
    } finally {
      await fresh.close();
    }
  });

  it('clears what a restore that crashed midway left in the other generation, in the background after opening', async () => {
    await h.applyAll(workload.slice(0, 5));
    const hashBefore = await h.store.hash();
    const inactive = new Keyspace(groupId(0), GENERATIONS[1]);
    const leftovers = Array.from({ length: 50 }, (_unused, index) => ({ type: 'put' as const, key: inactive.absolute(bytes(`half-restored ${index}`)), value: Buffer.from('x') }));
    await h.db.batch(leftovers);
    await h.reopen();
    // The store serves at once; the clearing runs in line with compaction.
    expect((await h.get('a')).header.revision).toBe(5);
    await h.store.waitForCompaction();
    expect(await h.db.iterator(inactive.bounds()).all()).toEqual([]);
    expect(await h.store.hash()).toBe(hashBefore);
  });

  it('lets several groups share one database without seeing each other', async () => {
    const { MvccStore } = await import('../../src/mvcc/kv-store.js');
    const { groupId } = await import('../../src/raft/types.js');
    const second = await MvccStore.open(h.db, { groupId: groupId(7) });
    await h.apply(put('shared', 'group0'));
    await second.apply([{ index: 1, term: 1, data: encodeRequest({ timestampMs: 1, request: put('shared', 'group7') }) }]);
    expect(text((await h.get('shared')).kvs[0]?.value ?? bytes(''))).toBe('group0');
    expect(text((await second.range({ key: bytes('shared') })).kvs[0]?.value ?? bytes(''))).toBe('group7');
    await second.close();
  });
});
