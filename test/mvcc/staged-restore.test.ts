import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { MvccRequest, TxnRequest } from '../../src/mvcc/requests.js';
import { CompareResult } from '../../src/mvcc/requests.js';
import { SnapshotReader } from '../../src/mvcc/snapshot.js';
import { RESTORE_STAGING_TAG } from '../../src/mvcc/key-codec.js';
import type { Watcher, WatchResponse } from '../../src/mvcc/watcher.js';
import { bytes, del, type Harness, openHarness, put, text } from './helpers.js';

const harnesses: Harness[] = [];

afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((harness) => harness.close()));
});

async function harness(): Promise<Harness> {
  const opened = await openHarness();
  harnesses.push(opened);
  return opened;
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The requests that stage and commit `backup` as restore `id`, in chunks of `chunkBytes`. */
function restoreSteps(id: number, backup: Buffer, chunkBytes: number): MvccRequest[] {
  const checksum = createHash('sha256').update(backup).digest();
  const steps: MvccRequest[] = [{ type: 'restoreBegin', restoreBegin: { id, totalBytes: backup.length, checksum } }];
  for (let offset = 0, sequence = 0; offset < backup.length; offset += chunkBytes, sequence++) {
    steps.push({ type: 'restoreChunk', restoreChunk: { id, sequence, bytes: backup.subarray(offset, offset + chunkBytes) } });
  }
  steps.push({ type: 'restoreCommit', restoreCommit: { id } });
  return steps;
}

async function firstResponse(watcher: Watcher): Promise<WatchResponse> {
  const next = await watcher[Symbol.asyncIterator]().next();
  if (next.done === true) throw new Error('the watch ended without a response');
  return next.value;
}

async function keysOf(target: Harness): Promise<string[]> {
  const response = await target.store.range({ key: bytes('\u0000'), rangeEnd: new Uint8Array([0]) });
  return response.kvs.map((kv) => `${text(kv.key)}=${text(kv.value)}`);
}

async function stagedRecords(target: Harness): Promise<number> {
  const reader = new SnapshotReader();
  let staged = 0;
  for await (const chunk of target.store.snapshot()) for (const record of reader.push(chunk)) if (record.key[0] === RESTORE_STAGING_TAG) staged++;
  reader.finish();
  return staged;
}

/** A backup holding a=1, b=2 (c was deleted), at revision 5. */
async function sourceBackup(): Promise<Buffer> {
  const source = await harness();
  for (const request of [put('a', '1'), put('b', '2'), put('c', '3'), del('c')]) await source.apply(request);
  return collect(source.store.snapshot());
}

describe('a restore staged in chunks through the log', () => {
  it('replaces the whole state at the commit, keeping the log position, and applies later entries of the batch on top', async () => {
    const backup = await sourceBackup();
    const target = await harness();
    for (let i = 0; i < 5; i++) await target.apply(put(`old${i}`, 'x'));
    const results = await target.applyAll([put('before', 'commit'), ...restoreSteps(7, backup, 100), put('after', 'commit')]);
    expect(results.map((result) => result.outcome)).toEqual(results.map(() => 'ok'));
    expect(await keysOf(target)).toEqual(['a=1', 'after=commit', 'b=2']);
    expect(target.store.appliedIndex).toBe(target.index);
    // Past the target's revision before the commit (7: six writes after the initial 1; the
    // backup's is 5): 8 is marked compacted, the restored state is at 9, the put after it is 10.
    expect(target.store.currentRevision).toBe(10);
    expect(target.store.compactRevision).toBe(9);
    expect(await stagedRecords(target)).toBe(0);
    await target.reopen();
    expect(await keysOf(target)).toEqual(['a=1', 'after=commit', 'b=2']);
    expect(target.store.appliedIndex).toBe(target.index);
  });

  it('moves the revision forward, never back, and fails watchers of the replaced state with MVCC_COMPACTED so they relist', async () => {
    const backup = await sourceBackup();
    const target = await harness();
    for (let i = 0; i < 20; i++) await target.apply(put('seen', `${i}`));
    const revisionBefore = target.store.currentRevision;
    const following = target.store.watch({ key: bytes('a') });
    await target.applyAll(restoreSteps(3, backup, 100));
    expect(target.store.currentRevision).toBeGreaterThan(revisionBefore);
    const stale = await firstResponse(following);
    expect(stale).toMatchObject({ canceled: true, compactRevision: target.store.currentRevision });
    const fromOld = await firstResponse(target.store.watch({ key: bytes('a'), startRevision: revisionBefore }));
    expect(fromOld).toMatchObject({ canceled: true, cancelReason: 'etcdserver: mvcc: required revision has been compacted' });
    // A client that relists reads the restored state at the current revision and watches on from there.
    const listed = await target.store.range({ key: bytes('a'), revision: target.store.currentRevision });
    expect(listed.kvs.map((kv) => text(kv.value))).toEqual(['1']);
    const resumed = target.store.watch({ key: bytes('a'), startRevision: target.store.currentRevision + 1 });
    await target.apply(put('a', 'after'));
    expect((await firstResponse(resumed)).events.map((event) => text(event.kv.value))).toEqual(['after']);
  });

  it('a commit with a missing chunk or a checksum mismatch is an error that changes nothing but the applied index', async () => {
    const backup = await sourceBackup();
    const target = await harness();
    await target.apply(put('kept', 'yes'));
    const before = await keysOf(target);
    const withoutChunk = restoreSteps(1, backup, 100).filter((step) => !(step.type === 'restoreChunk' && step.restoreChunk.sequence === 1));
    const missing = await target.applyAll(withoutChunk);
    expect(missing.at(-1)).toMatchObject({ outcome: 'error', error: { code: 'MVCC_SNAPSHOT_INVALID' } });
    expect(String((missing.at(-1) as { error: Error }).error.message)).toContain('missing chunk 1');
    const corrupted = restoreSteps(2, backup, 100).map((step) =>
      step.type === 'restoreBegin' ? { ...step, restoreBegin: { ...step.restoreBegin, checksum: createHash('sha256').update('another backup').digest() } } : step,
    );
    const mismatch = await target.applyAll(corrupted);
    expect(mismatch.at(-1)).toMatchObject({ outcome: 'error', error: { code: 'MVCC_SNAPSHOT_INVALID' } });
    expect(String((mismatch.at(-1) as { error: Error }).error.message)).toContain('checksum');
    expect(await keysOf(target)).toEqual(before);
    expect(target.store.appliedIndex).toBe(target.index);
  });

  it('a later begin abandons an unfinished restore: its chunks and its commit are refused, the later restore commits', async () => {
    const backup = await sourceBackup();
    const target = await harness();
    const first = restoreSteps(1, backup, 100);
    await target.applyAll(first.slice(0, 3));
    const second = restoreSteps(2, backup, 100);
    expect((await target.applyAll(second.slice(0, -1))).every((result) => result.outcome === 'ok')).toBe(true);
    const late = await target.applyAll(first.slice(3));
    expect(late.map((result) => result.outcome)).toEqual(late.map(() => 'error'));
    expect(late[0]).toMatchObject({ error: { code: 'MVCC_INVALID_ARGUMENT' } });
    expect(await keysOf(target)).toEqual([]);
    expect(await target.applyAll(second.slice(-1))).toMatchObject([{ outcome: 'ok' }]);
    expect(await keysOf(target)).toEqual(['a=1', 'b=2']);
  });

  it('staging travels in snapshots: a replica restored between two chunks commits the same state', async () => {
    const backup = await sourceBackup();
    const leader = await harness();
    const replica = await harness();
    const steps = restoreSteps(9, backup, 64);
    const half = Math.floor(steps.length / 2);
    await leader.applyAll(steps.slice(0, half));
    expect(await stagedRecords(leader)).toBe(half);
    await replica.store.restore(leader.store.snapshot());
    replica.index = leader.index;
    for (const member of [leader, replica]) expect(await member.applyAll(steps.slice(half))).toMatchObject(steps.slice(half).map(() => ({ outcome: 'ok' })));
    expect(await keysOf(replica)).toEqual(['a=1', 'b=2']);
    expect(await replica.store.hash()).toBe(await leader.store.hash());
  });
});

describe('read-only transactions served as reads', () => {
  const nested: TxnRequest = {
    compare: [{ key: bytes('a'), target: 'value', result: CompareResult.Equal, value: bytes('1') }],
    success: [
      { type: 'range', range: { key: bytes('a'), rangeEnd: bytes('z') } },
      { type: 'range', range: { key: bytes('b'), revision: 2 } },
      {
        type: 'txn',
        txn: {
          compare: [{ key: bytes('missing'), target: 'version', result: CompareResult.Greater, version: 0 }],
          success: [{ type: 'range', range: { key: bytes('never') } }],
          failure: [{ type: 'range', range: { key: bytes('a'), countOnly: true } }],
        },
      },
    ],
    failure: [{ type: 'range', range: { key: bytes('b') } }],
  };

  it('answer exactly what the same txn applied through the log answers, in both branches, without moving the revision', async () => {
    const store = await harness();
    for (const request of [put('a', '1'), put('b', '2'), put('b', '3')]) await store.apply(request);
    for (const txn of [nested, { ...nested, compare: [{ ...nested.compare[0]!, value: bytes('other') }] } as TxnRequest]) {
      const read = await store.store.readTxn(txn);
      const revision = store.store.currentRevision;
      const applied = await store.apply({ type: 'txn', txn });
      expect(applied).toEqual({ type: 'txn', txn: read });
      expect(store.store.currentRevision).toBe(revision);
    }
    expect((await store.store.readTxn(nested)).succeeded).toBe(true);
  });

  it('refuse a txn with a write in any branch', async () => {
    const store = await harness();
    const writing: TxnRequest = { compare: [], success: [], failure: [{ type: 'txn', txn: { compare: [], success: [{ type: 'deleteRange', deleteRange: { key: bytes('a') } }], failure: [] } }] };
    await expect(store.store.readTxn(writing)).rejects.toMatchObject({ code: 'MVCC_INVALID_ARGUMENT' });
  });
});
