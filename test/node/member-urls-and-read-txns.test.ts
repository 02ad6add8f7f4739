import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CompareResult, type TxnRequest } from '../../src/mvcc/index.js';
import type { MemberAddress } from '../../src/node/node-options.js';
import type { RaftKvNode } from '../../src/node/raft-kv-node.js';
import { bytes, eventually, put, TestCluster } from './node-kit.js';

const NAMES = ['n1', 'n2', 'n3'];
const INITIAL = NAMES.map((name) => ({ name, peerAddress: `mem://${name}` }));

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const urlsOf = (name: string): string[] => [`http://${name}.test:8000`, `grpc://${name}.test:9000`];

function publishedUrls(node: RaftKvNode): Record<string, readonly string[]> {
  return Object.fromEntries(node.members().map((member) => [member.name, member.clientUrls]));
}

describe('members publish their client URLs', () => {
  it('every member sees every initial member\'s URLs, and they survive a restart from a compacted log', { timeout: 40_000 }, async () => {
    cluster = new TestCluster({ snapshotEntries: 10, compactionMarginEntries: 0 });
    // As the server starts them: each knows only its own client URLs.
    const initialMembersOf = (name: string): MemberAddress[] => INITIAL.map((member) => (member.name === name ? { ...member, clientUrls: urlsOf(name) } : member));
    await Promise.all(NAMES.map((name) => cluster!.open(name, { mode: 'new', initialMembers: initialMembersOf(name) }, { clientUrls: urlsOf(name) })));
    const leader = await cluster.waitForLeader();
    const expected = Object.fromEntries(NAMES.map((name) => [name, urlsOf(name)]));
    await eventually(() => {
      for (const node of cluster!.running()) expect(publishedUrls(node)).toEqual(expected);
    });
    // Enough entries after the announcements that every member's log snapshot holds them and the log no longer does.
    for (let i = 0; i < 30; i++) await put(leader, `k${i}`, 'v');
    await eventually(async () => {
      for (const name of NAMES) expect((await readdir(join(cluster!.dataDirs.get(name)!, 'raft', 'snapshots'))).some((file) => file.endsWith('.snap'))).toBe(true);
    });
    for (const name of NAMES) await cluster.stop(name);
    for (const name of NAMES) {
      // Before it applies anything: the table was rebuilt from the snapshot on disk.
      const restarted = await cluster.restart(name, initialMembersOf(name), { clientUrls: urlsOf(name) });
      expect(publishedUrls(restarted)).toEqual(expected);
    }
  });
});

describe('read-only transactions', () => {
  const readOnly: TxnRequest = {
    compare: [{ key: bytes('a'), target: 'value', result: CompareResult.Equal, value: bytes('1') }],
    success: [
      { type: 'range', range: { key: bytes('a'), rangeEnd: bytes('z') } },
      { type: 'txn', txn: { compare: [{ key: bytes('b'), target: 'version', result: CompareResult.Equal, version: 0 }], success: [], failure: [{ type: 'range', range: { key: bytes('b'), countOnly: true } }] } },
    ],
    failure: [{ type: 'range', range: { key: bytes('b') } }],
  };

  it('are answered linearizably through ReadIndex without a log entry, exactly as the same reads through Raft', { timeout: 30_000 }, async () => {
    cluster = await TestCluster.start(NAMES);
    const leader = await cluster.waitForLeader();
    await put(leader, 'b', '2');
    await put(leader, 'a', '1');
    const follower = cluster.followers(leader)[0]!;
    const lastIndexes = async (): Promise<number[]> => Promise.all(cluster!.running().map(async (node) => (await node.status()).lastIndex));
    const before = await lastIndexes();
    // Sent to a follower right after the leader acknowledged the write: ReadIndex makes it visible.
    const read = await follower.write({ type: 'txn', txn: readOnly });
    expect(await lastIndexes()).toEqual(before);
    expect(read.type === 'txn' && read.txn.succeeded).toBe(true);
    // A put in the branch not taken sends the txn through Raft; the branch taken still only reads.
    const throughRaft = await follower.write({ type: 'txn', txn: { ...readOnly, failure: [{ type: 'put', put: { key: bytes('never'), value: bytes('x') } }] } });
    expect((await leader.status()).lastIndex).toBe(before[cluster.running().indexOf(leader)]! + 1);
    expect(throughRaft).toEqual(read);
  });
});
