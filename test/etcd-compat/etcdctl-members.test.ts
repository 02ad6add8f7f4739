// The real etcdctl 3.4 administering a Beaver-Vault cluster's membership: list, add a learner
// that a real fourth member then serves as, promote it, give it a new peer address it is
// restarted on, remove it, and move the leadership.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberNameOf } from '../../src/api/grpc/etcd/index.js';
import { freePort, ServerProcess, TestCluster, waitFor } from '../cluster/cluster-harness.js';
import { parseEtcdJson } from './etcd-json.js';
import { etcdctl, etcdctlOk, hexId } from './etcdctl-runner.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await TestCluster.start({ size: 3, prefix: 'etcdctl-members' });
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

interface JsonMember {
  readonly ID: string | number;
  readonly name?: string;
  readonly peerURLs: string[];
  readonly clientURLs?: string[];
  readonly isLearner?: boolean;
}

async function memberList(): Promise<JsonMember[]> {
  return (parseEtcdJson(await etcdctlOk(cluster.running(), ['member', 'list', '-w', 'json'])) as { members: JsonMember[] }).members;
}

/**
 * The member list once it shows what `check` asks: a member lists the membership it has
 * applied, as etcd 3.4's does, which may lag the member that made the change.
 */
async function memberListShowing(what: string, check: (members: readonly JsonMember[]) => boolean): Promise<JsonMember[]> {
  return waitFor(what, 15_000, async () => {
    const listed = await memberList();
    return check(listed) ? listed : undefined;
  });
}

const withId = (id: string | undefined) => (member: JsonMember): boolean => BigInt(member.ID).toString(16) === id;

describe('etcdctl member administration against Beaver-Vault', () => {
  it('lists every member with its id, name, peer URL and client URLs', async () => {
    // A member is listed by name once it has published its client URLs, shortly after it starts.
    const members = await memberListShowing('every member to have published itself', (listed) => listed.every((member) => (member.name ?? '') !== ''));
    expect(members.map((member) => member.name).sort()).toEqual(['n1', 'n2', 'n3']);
    for (const member of cluster.members) {
      const listed = members.find((candidate) => candidate.name === member.name);
      expect(String(listed?.ID)).toBe(String((await member.status()).id));
      expect(listed?.peerURLs).toEqual([`http://${member.peerAddress}`]);
      // etcd's client URLs are where its gRPC API answers (as host:port, see etcdClientUrlOf); the REST URL is not one of them.
      expect(listed?.clientURLs).toEqual([`127.0.0.1:${member.ports.grpc}`]);
      expect(listed?.isLearner ?? false).toBe(false);
    }
    const table = await etcdctlOk(cluster.members, ['member', 'list']);
    expect(table.trim().split('\n')).toHaveLength(3);
    expect(table).toContain(`, started, n1, http://${cluster.member('n1').peerAddress}, `);
  });

  it('endpoint health and endpoint status --cluster reach every member through the listed client URLs', async () => {
    const grpcUrls = cluster.members.map((member) => `127.0.0.1:${member.ports.grpc}`).sort();
    // Given one endpoint, --cluster dials every member's listed client URL.
    // etcdctl 3.4 prints the health lines on stderr.
    const health = await etcdctl([cluster.member('n1')], ['endpoint', 'health', '--cluster']);
    expect(health.code, health.stderr).toBe(0);
    expect(health.stderr.trim().split('\n').map((line) => /^(\S+) is healthy/.exec(line)?.[1]).sort()).toEqual(grpcUrls);
    const status = parseEtcdJson(await etcdctlOk([cluster.member('n1')], ['endpoint', 'status', '--cluster', '-w', 'json'])) as { Endpoint: string; Status: { header: { member_id: string | number } } }[];
    expect(status.map((entry) => entry.Endpoint).sort()).toEqual(grpcUrls);
    const memberIds = await Promise.all(cluster.members.map(async (member) => String((await member.status()).id)));
    expect(status.map((entry) => String(entry.Status.header.member_id)).sort()).toEqual(memberIds.sort());
  });

  it('adds a learner, which a real fourth member then serves as, promotes it, moves its peer address and removes it', async () => {
    const leader = await cluster.leader();
    const ports = { http: await freePort(), raft: await freePort(), grpc: await freePort() };
    const peerAddress = `127.0.0.1:${ports.raft}`;
    const added = await etcdctlOk(cluster.members, ['member', 'add', 'fourth', `--peer-urls=http://${peerAddress}`, '--learner']);
    const addedId = /Member\s+([0-9a-f]+) added to cluster\s+([0-9a-f]+)/.exec(added)?.[1];
    expect(addedId).toBeDefined();
    const beforeStart = (await memberListShowing('the learner listed', (listed) => listed.some(withId(addedId)))).find(withId(addedId));
    expect(beforeStart?.isLearner).toBe(true);
    expect(beforeStart?.name ?? '').toBe('');

    const fourth = new ServerProcess(memberNameOf(peerAddress), ports, join(cluster.root, 'fourth'), ['--join', leader.url]);
    cluster.members.push(fourth);
    fourth.start();
    await fourth.waitUntilReady(45_000);
    expect(hexId((await fourth.status()).id)).toBe(addedId);

    const promoted = await waitFor('the learner to be promoted', 20_000, async () => {
      const result = await etcdctl(cluster.members.slice(0, 3), ['member', 'promote', addedId ?? '']);
      if (result.code === 0) return result.stdout;
      expect(result.stderr).toContain('etcdserver: can only promote a learner member which is in sync with leader');
      return undefined;
    });
    expect(promoted).toMatch(new RegExp(`Member\\s+${addedId} promoted in cluster\\s+[0-9a-f]+`));
    // etcd's JSON leaves a false isLearner out.
    await memberListShowing('the promoted member listed as a voter', (listed) => listed.some((member) => withId(addedId)(member) && member.isLearner !== true));

    // A new peer address: the others dial the member there once it restarts listening there.
    const voters = cluster.members.slice(0, 3);
    const movedPorts = { ...ports, raft: await freePort() };
    const movedUrl = `http://127.0.0.1:${movedPorts.raft}`;
    expect(await etcdctlOk(voters, ['member', 'update', addedId ?? '', `--peer-urls=${movedUrl}`])).toMatch(new RegExp(`Member\\s+${addedId} updated in cluster\\s+[0-9a-f]+`));
    await memberListShowing('the new peer URL listed', (listed) => listed.find(withId(addedId))?.peerURLs.join() === movedUrl);
    await fourth.kill();
    const moved = new ServerProcess(fourth.name, movedPorts, join(cluster.root, 'fourth'), ['--join', leader.url]);
    cluster.members.splice(cluster.members.indexOf(fourth), 1, moved);
    moved.start();
    await moved.waitUntilReady(45_000);
    await etcdctlOk(voters, ['put', 'after-the-move', 'reached']);
    await waitFor('the moved member to apply a write made after it moved', 15_000, async () => {
      const read = await etcdctl([moved], ['get', 'after-the-move', '--consistency=s', '--print-value-only']);
      return read.stdout.trim() === 'reached' ? true : undefined;
    });
    const twoUrls = await etcdctl(voters, ['member', 'update', addedId ?? '', `--peer-urls=${movedUrl},http://127.0.0.1:1`]);
    expect(twoUrls.code).not.toBe(0);
    expect(twoUrls.stderr).toContain('give exactly one peer URL');

    expect(await etcdctlOk(voters, ['member', 'remove', addedId ?? ''])).toMatch(new RegExp(`Member\\s+${addedId} removed from cluster\\s+[0-9a-f]+`));
    await moved.kill();
    await memberListShowing('the removed member gone', (listed) => listed.map((member) => member.name).sort().join() === 'n1,n2,n3');

    const unknown = await etcdctl(cluster.running(), ['member', 'remove', addedId ?? '']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('etcdserver: member not found');
  }, 90_000);

  it('moves the leadership to a chosen follower', async () => {
    const leader = await cluster.leader();
    const follower = cluster.running().find((member) => member !== leader);
    if (follower === undefined) throw new Error('no follower');
    const followerId = (await follower.status()).id;
    const output = await etcdctlOk(cluster.running(), ['move-leader', hexId(followerId)]);
    expect(output).toBe(`Leadership transferred from ${hexId((await leader.status()).id)} to ${hexId(followerId)}\n`);
    expect((await cluster.leader()).name).toBe(follower.name);
  });
});
