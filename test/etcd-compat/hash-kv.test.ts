// HashKV against etcd 3.4 itself: the same writes (puts, overwrites, a txn of several changes, a
// ranged delete, a key on a lease, compaction) sent to a Beaver-Vault cluster and to an etcd
// cluster give the same hash at every revision both can hash, and the same refusals, so tools
// that compare members by hash (etcdctl endpoint hashkv, operators) work on Beaver-Vault.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComparedCluster, startEtcd } from '../../bench/compare-clusters.js';
import { HashKVRequest, type HashKVResponse, PutRequest, TxnRequest, DeleteRangeRequest, CompactionRequest, LeaseGrantRequest, RangeRequest, RequestOp, Compare, Compare_CompareResult, Compare_CompareTarget } from '../../src/generated/etcd/etcdserverpb/rpc.js';
import { TestCluster, waitFor } from '../cluster/cluster-harness.js';
import { call, callError, type EtcdClients, etcdClients, etcdClientsAt } from './etcd-grpc-client.js';

let cluster: TestCluster;
let etcd: ComparedCluster;
/** A client of a Beaver-Vault member, then one of an etcd member. */
let systems: EtcdClients[];
let everyMember: EtcdClients[];

beforeAll(async () => {
  [cluster, etcd] = await Promise.all([TestCluster.start({ size: 3, prefix: 'hash-kv' }), startEtcd()]);
  everyMember = cluster.members.map((member) => etcdClients(member));
  systems = [everyMember[0]!, etcdClientsAt(etcd.members[0]!.grpcAddress)];
}, 90_000);

afterAll(async () => {
  for (const clients of [...(everyMember ?? []), ...(systems ?? []).slice(1)]) clients.close();
  await Promise.all([cluster?.destroy(), etcd?.destroy()]);
});

const bytes = (text: string): Buffer => Buffer.from(text);
const put = (key: string, value: string, lease = 0n): PutRequest => PutRequest.fromPartial({ key: bytes(key), value: bytes(value), lease });

/** Sends one request to both systems; both must answer at the same revision. */
async function both(send: (clients: EtcdClients) => Promise<{ header?: { revision: bigint } }>): Promise<number> {
  const [ours, theirs] = await Promise.all(systems.map(send));
  expect(ours?.header?.revision).toBe(theirs?.header?.revision);
  return Number(ours?.header?.revision);
}

async function hashes(revision: number): Promise<HashKVResponse[]> {
  return Promise.all(systems.map((clients) => call(clients.maintenance.hashKv.bind(clients.maintenance), HashKVRequest.fromPartial({ revision: BigInt(revision) }))));
}

async function expectSameHash(revision: number): Promise<number> {
  const [ours, theirs] = await hashes(revision);
  expect({ revision, hash: ours?.hash, compactRevision: ours?.compactRevision }).toEqual({ revision, hash: theirs?.hash, compactRevision: theirs?.compactRevision });
  return ours!.hash;
}

describe('HashKV against etcd 3.4', () => {
  it('gives etcd’s hash at every revision, before and after compaction, and refuses what etcd refuses', async () => {
    const revisions: number[] = [];
    const lease = 7_000_000_001n;
    await both((clients) => call(clients.lease.leaseGrant.bind(clients.lease), LeaseGrantRequest.fromPartial({ ID: lease, TTL: 3_600n })));
    revisions.push(await both((clients) => call(clients.kv.put.bind(clients.kv), put('a', 'one'))));
    revisions.push(await both((clients) => call(clients.kv.put.bind(clients.kv), put('b', 'one'))));
    revisions.push(await both((clients) => call(clients.kv.put.bind(clients.kv), put('a', 'two'))));
    revisions.push(await both((clients) => call(clients.kv.put.bind(clients.kv), put('leased', 'x', lease))));
    // One revision of several changes, each under its own sub revision.
    const txn = TxnRequest.fromPartial({
      compare: [Compare.fromPartial({ key: bytes('a'), target: Compare_CompareTarget.VERSION, result: Compare_CompareResult.EQUAL, version: 2n })],
      success: [
        RequestOp.fromPartial({ requestPut: put('c', 'one') }),
        RequestOp.fromPartial({ requestDeleteRange: DeleteRangeRequest.fromPartial({ key: bytes('b') }) }),
        RequestOp.fromPartial({ requestPut: put('d', 'one') }),
      ],
    });
    revisions.push(await both((clients) => call(clients.kv.txn.bind(clients.kv), txn)));
    revisions.push(await both((clients) => call(clients.kv.put.bind(clients.kv), put('e', 'one'))));
    revisions.push(await both((clients) => call(clients.kv.deleteRange.bind(clients.kv), DeleteRangeRequest.fromPartial({ key: bytes('d'), rangeEnd: bytes('f') }))));
    revisions.push(await both((clients) => call(clients.kv.put.bind(clients.kv), put('c', 'two'))));
    const seen = new Set<number>();
    for (const revision of [0, ...revisions]) seen.add(await expectSameHash(revision));
    expect(seen.size).toBeGreaterThan(revisions.length / 2);

    // Compaction keeps each key's last put at or below it: a@4, leased@5 and c@6 (of the txn).
    const compactAt = revisions[5]!;
    await both((clients) => call(clients.kv.compact.bind(clients.kv), CompactionRequest.fromPartial({ revision: BigInt(compactAt), physical: true })));
    // c@6 and a kept put are overwritten after compaction: HashKV skips them from then on.
    const after = [
      await both((clients) => call(clients.kv.put.bind(clients.kv), put('c', 'three'))),
      await both((clients) => call(clients.kv.put.bind(clients.kv), put('a', 'three'))),
    ];
    for (const revision of [0, ...revisions.filter((revision) => revision > compactAt), ...after]) await expectSameHash(revision);
    for (const revision of [compactAt, compactAt - 1]) {
      const refusals = await Promise.all(systems.map((clients) => callError(call(clients.maintenance.hashKv.bind(clients.maintenance), HashKVRequest.fromPartial({ revision: BigInt(revision) })))));
      expect(refusals.map((error) => [error.code, error.details])).toEqual([[refusals[1]!.code, 'etcdserver: mvcc: required revision has been compacted'], [refusals[1]!.code, 'etcdserver: mvcc: required revision has been compacted']]);
    }
    const future = await Promise.all(systems.map((clients) => callError(call(clients.maintenance.hashKv.bind(clients.maintenance), HashKVRequest.fromPartial({ revision: 1_000_000n })))));
    expect(future.map((error) => error.details)).toEqual([future[1]!.details, future[1]!.details]);

    // Every key deleted: etcd then hashes the kept puts too, whatever changed them since.
    const empty = await both((clients) => call(clients.kv.deleteRange.bind(clients.kv), DeleteRangeRequest.fromPartial({ key: bytes('\0'), rangeEnd: bytes('\0') })));
    await expectSameHash(empty);
    await expectSameHash(empty - 1);
  });

  it('gives the same hash on every member, each having compacted on its own', async () => {
    const revision = Number((await call(everyMember[0]!.kv.range.bind(everyMember[0]!.kv), RangeRequest.fromPartial({ key: bytes('a') }))).header?.revision);
    const etcdHash = (await hashes(revision))[1]!.hash;
    await waitFor('every member to hash the history as etcd does', 20_000, async () => {
      const answers = await Promise.all(everyMember.map((clients) => call(clients.maintenance.hashKv.bind(clients.maintenance), HashKVRequest.fromPartial({ revision: BigInt(revision) })).catch(() => undefined)));
      return answers.every((answer) => answer?.hash === etcdHash) ? true : undefined;
    });
  });
});
