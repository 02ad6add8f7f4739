// The etcd3 npm client against a 3-member Beaver-Vault cluster: KV, watches (live and from a
// past revision), leases, its Election and Lock recipes and STM transactions.
import { Etcd3, EtcdLockFailedError } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, TestCluster, waitFor } from '../cluster/cluster-harness.js';
import { grpcEndpoint } from './etcdctl-runner.js';

let cluster: TestCluster;
let client: Etcd3;

beforeAll(async () => {
  cluster = await TestCluster.start({ size: 3, prefix: 'etcd3-client' });
  client = new Etcd3({ hosts: cluster.members.map(grpcEndpoint) });
}, 60_000);

afterAll(async () => {
  client?.close();
  await cluster?.destroy();
});

describe('the etcd3 npm client against Beaver-Vault', () => {
  it('puts, gets and deletes keys and prefixes', async () => {
    await client.put('/kv/a').value('1');
    await client.put('/kv/b').value('2');
    expect(await client.get('/kv/a').string()).toBe('1');
    expect(await client.getAll().prefix('/kv/').strings()).toEqual({ '/kv/a': '1', '/kv/b': '2' });
    expect(await client.getAll().prefix('/kv/').count()).toBe(2);
    const deleted = await client.delete().prefix('/kv/');
    expect(deleted.deleted).toBe('2');
    expect(await client.get('/kv/a').string()).toBeNull();
  });

  it('watches live changes and replays history from a past revision', async () => {
    const first = await client.put('/watch/a').value('1').exec();
    await client.put('/watch/b').value('2');
    const replayed: string[] = [];
    const fromPast = await client.watch().prefix('/watch/').startRevision(first.header.revision).create();
    fromPast.on('put', (kv) => replayed.push(`put ${kv.key.toString()}=${kv.value.toString()}`));
    fromPast.on('delete', (kv) => replayed.push(`delete ${kv.key.toString()}`));
    await client.delete().key('/watch/a');
    await waitFor('three replayed and live events', 10_000, () => (replayed.length >= 3 ? true : undefined));
    expect(replayed).toEqual(['put /watch/a=1', 'put /watch/b=2', 'delete /watch/a']);
    await fromPast.cancel();
  });

  it('grants a lease, keeps it alive, and drops its keys when revoked', async () => {
    const lease = client.lease(5);
    await lease.put('/lease/key').value('held');
    const keepAlives: string[] = [];
    lease.on('keepaliveSucceeded', (response) => keepAlives.push(response.TTL));
    await waitFor('a keep-alive', 10_000, () => (keepAlives.length > 0 ? true : undefined));
    expect(keepAlives[0]).toBe('5');
    expect(await client.get('/lease/key').string()).toBe('held');
    await lease.revoke();
    expect(await client.get('/lease/key').string()).toBeNull();
  });

  it('elects one leader of two candidates and hands over when it resigns', async () => {
    const election = client.election('/election/demo', 5);
    // A campaign reports a lost lease as an error; none may happen while both run.
    const campaignErrors: unknown[] = [];
    const first = election.campaign('candidate-1').on('error', (error) => campaignErrors.push(error));
    await first.wait();
    const second = election.campaign('candidate-2').on('error', (error) => campaignErrors.push(error));
    let secondElected = false;
    second.on('elected', () => (secondElected = true));
    await sleep(500);
    expect(secondElected).toBe(false);
    expect(await election.leader()).toBe('candidate-1');
    await first.resign();
    await second.wait();
    expect(await election.leader()).toBe('candidate-2');
    await second.resign();
    expect(campaignErrors).toEqual([]);
  });

  it('lets one lock holder at a time into the critical section: a second acquire fails while the lock is held', async () => {
    const held = client.lock('/locks/demo').ttl(5);
    await held.acquire();
    await expect(client.lock('/locks/demo').ttl(5).acquire()).rejects.toBeInstanceOf(EtcdLockFailedError);
    await held.release();

    // etcd3's Lock is a try-lock: contenders retry until they get in; never two inside at once.
    let inside = 0;
    let mostInside = 0;
    const entered: number[] = [];
    const contender = async (index: number): Promise<void> => {
      for (;;) {
        try {
          await client.lock('/locks/demo').ttl(5).do(async () => {
            inside += 1;
            mostInside = Math.max(mostInside, inside);
            await sleep(50);
            entered.push(index);
            inside -= 1;
          });
          return;
        } catch (error) {
          if (!(error instanceof EtcdLockFailedError)) throw error;
          await sleep(20);
        }
      }
    };
    await Promise.all([contender(1), contender(2), contender(3)]);
    expect(mostInside).toBe(1);
    expect(entered.sort()).toEqual([1, 2, 3]);
  });

  it('applies concurrent STM increments exactly once each', async () => {
    await client.put('/stm/counter').value('0');
    const increments = 8;
    await Promise.all(Array.from({ length: increments }, () => client.stm({ retries: 50 }).transact(async (tx) => {
      const current = Number(await tx.get('/stm/counter').string());
      await tx.put('/stm/counter').value(String(current + 1));
    })));
    expect(await client.get('/stm/counter').string()).toBe(String(increments));
  });

  it('resumes a watch after its member restarts, without losing or repeating an event', async () => {
    const member = cluster.member('n3');
    const watching = new Etcd3({ hosts: [grpcEndpoint(member)] });
    const writer = new Etcd3({ hosts: [grpcEndpoint(cluster.member('n1')), grpcEndpoint(cluster.member('n2'))] });
    try {
      const seen: string[] = [];
      const watcher = await watching.watch().prefix('/resume/').create();
      watcher.on('put', (kv) => seen.push(kv.value.toString()));
      const written: string[] = [];
      const write = async (count: number): Promise<void> => {
        for (let index = 0; index < count; index++) {
          const value = String(written.length);
          await writer.put(`/resume/${value}`).value(value);
          written.push(value);
        }
      };
      await write(5);
      await waitFor('the first events', 10_000, () => (seen.length >= 5 ? true : undefined));
      await member.kill();
      await write(5);
      member.start();
      await member.waitUntilReady();
      await write(5);
      await waitFor('every event after the restart', 30_000, () => (seen.length >= written.length ? true : undefined));
      await sleep(300);
      expect(seen).toEqual(written);
      await watcher.cancel();
    } finally {
      watching.close();
      writer.close();
    }
  }, 60_000);

  it('keeps a lease alive and keeps writing after the leader is killed', async () => {
    const leader = await cluster.leader();
    const lease = client.lease(3);
    await lease.put('/failover/leased').value('held');
    const lost: unknown[] = [];
    lease.on('lost', (error) => lost.push(error));
    await leader.kill();
    await cluster.leader(20_000);
    await waitFor('a write through the surviving members', 20_000, async () => {
      const written = await client.put('/failover/after').value('written').then(() => true, () => undefined);
      return written;
    });
    // Three TTLs after the loss: only keep-alives that reached the new leader keep the key.
    await sleep(9_000);
    expect(lost).toEqual([]);
    expect(await client.get('/failover/leased').string()).toBe('held');
    expect(await client.get('/failover/after').string()).toBe('written');
    await lease.revoke();
    leader.start();
    await leader.waitUntilReady();
  }, 60_000);
});
