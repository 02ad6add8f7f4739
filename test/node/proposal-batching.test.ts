// While the leader's last entries are being synced, the writes that arrive go out together in
// the next append once the sync ends, as in etcd: one round for all of them on every member
// instead of one each. A write that finds nothing in flight is proposed at once.

import { afterEach, expect, it } from 'vitest';
import type { RaftKvNode } from '../../src/node/raft-kv-node.js';
import { WalRecordType, type WalRecord } from '../../src/storage/wal-record.js';
import { TestCluster, get, put, walOf } from './node-kit.js';

const NAMES = ['n1', 'n2', 'n3'];
const WRITES_DURING_SYNC = 10;

interface Wal {
  append(record: WalRecord, ...rest: unknown[]): Promise<void>;
}

/**
 * Records how many entries each entries record the node writes carries, and holds the next one
 * until `release` is called.
 */
function watchAppends(node: RaftKvNode): { readonly entriesPerAppend: number[]; holdNext(): void; release(): void } {
  const wal = walOf<Wal>(node);
  const append = wal.append.bind(wal);
  const entriesPerAppend: number[] = [];
  let holding = false;
  let held: Array<() => void> = [];
  wal.append = (record, ...rest) => {
    if (record.type !== WalRecordType.Entries) return append(record, ...rest);
    entriesPerAppend.push(record.entries.length);
    if (!holding) return append(record, ...rest);
    holding = false;
    return new Promise<void>((resolve) => held.push(resolve)).then(() => append(record, ...rest));
  };
  return {
    entriesPerAppend,
    holdNext: () => {
      holding = true;
    },
    release: () => {
      for (const resolve of held) resolve();
      held = [];
    },
  };
}

let cluster: TestCluster | undefined;
let releaseHeld: (() => void) | undefined;
afterEach(async () => {
  // A failed run may leave an append held, and the leader's close waits for it.
  releaseHeld?.();
  await cluster?.close();
  cluster = undefined;
});

it('the writes that arrive while the leader syncs its last entries share its next append', async () => {
  cluster = await TestCluster.start(NAMES);
  const leader = await cluster.waitForLeader();
  await put(leader, 'warm', 'up');
  const appends = watchAppends(leader);
  releaseHeld = appends.release;

  // A lone write is proposed at once, in an append of its own.
  await put(leader, 'lone', 'write');
  expect(appends.entriesPerAppend).toEqual([1]);

  appends.holdNext();
  const first = put(leader, 'first', 'write');
  await new Promise((resolve) => setImmediate(resolve));
  expect(appends.entriesPerAppend).toEqual([1, 1]);
  // Each on a later turn of the event loop, as writes arriving over many connections do.
  const during: Array<Promise<unknown>> = [];
  for (let i = 0; i < WRITES_DURING_SYNC; i++) {
    during.push(put(leader, `during-${i}`, String(i)));
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(appends.entriesPerAppend).toEqual([1, 1]);

  appends.release();
  await Promise.all([first, ...during]);
  expect(appends.entriesPerAppend).toEqual([1, 1, WRITES_DURING_SYNC]);
  for (const follower of cluster.followers(leader)) {
    expect(await get(follower, `during-${WRITES_DURING_SYNC - 1}`)).toBe(String(WRITES_DURING_SYNC - 1));
  }
}, 20_000);
