// Every kind of fault on a real three-member cluster: it really happens (a leader killed,
// paused or cut off is replaced, a member added or removed changes the member set, the disk
// failpoint reads back as set, the leader's own disk is the one slowed by slow-leader-disk,
// the wall clock moves) and it heals. Then each of the nemesis's
// starters once, and an aborted nemesis run, each leaving the cluster healthy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, temporaryDirectory, waitFor } from '../../cluster/cluster-harness.js';
import { seededRandom } from '../checker/sequential-execution.js';
import { JepsenCluster, type JepsenClusterMember } from '../cluster/jepsen-cluster.js';
import { FAULT_KINDS, Nemesis } from './nemesis.js';

const SEED = 6;
const CLOCK_JUMP_SECONDS = 600;
let cluster: JepsenCluster;

beforeAll(async () => {
  cluster = await JepsenCluster.start({ nodes: 3, runDirectory: await temporaryDirectory('jepsen-faults'), random: seededRandom(SEED) });
}, 60_000);

afterAll(async () => {
  await cluster?.destroy({ keepFiles: false });
});

async function leader(): Promise<JepsenClusterMember> {
  const found = await cluster.leader();
  expect(found, 'a leader agreed on by every answering member').toBeDefined();
  return found!;
}

async function put(member: JepsenClusterMember, key: string, value: string): Promise<void> {
  const answer = await request(member.url, 'PUT', `/api/v1/keys/${key}`, value);
  expect(answer.status, answer.text).toBe(200);
}

async function expectHealthyWith(key: string): Promise<void> {
  await cluster.heal();
  const members = cluster.members();
  expect(members.every((member) => member.running && !member.paused)).toBe(true);
  await put(await leader(), key, 'after healing');
  for (const member of members) expect((await request(member.url, 'GET', `/api/v1/keys/${key}`)).text).toBe('after healing');
}

/** The time a member's HTTP server says it is, from its Date header (whole seconds). */
async function wallClockOf(member: JepsenClusterMember): Promise<number> {
  const answer = await request(member.url, 'GET', '/healthz');
  return Date.parse(answer.headers.get('date') ?? '');
}

describe('faults on a real cluster', () => {
  it('routes the peer traffic between the leader and every follower, both ways, through the proxy', async () => {
    // Two followers need not talk at all once a leader is elected; leader and follower must.
    const current = await leader();
    await put(current, 'through-proxy', 'v');
    for (const follower of cluster.members().filter((member) => member !== current)) {
      for (const [from, to] of [[current, follower], [follower, current]] as const) {
        const counters = cluster.proxy.counters(from.name, to.name);
        expect(counters.connections, `${from.name} -> ${to.name}`).toBeGreaterThan(0);
        expect(counters.bytesForward, `${from.name} -> ${to.name}`).toBeGreaterThan(0);
      }
    }
  });

  it('after kill -9 of the leader a new leader is elected and the killed member comes back', async () => {
    const killed = await leader();
    await cluster.kill(killed);
    expect(killed.running).toBe(false);
    const successor = await leader();
    expect(successor).not.toBe(killed);
    await expectHealthyWith('after-kill');
    expect(killed.running).toBe(true);
  }, 40_000);

  it('a paused leader is replaced, and answers again after SIGCONT', async () => {
    const paused = await leader();
    cluster.pause(paused);
    expect(await leader()).not.toBe(paused);
    await expectHealthyWith('after-pause');
    expect(paused.paused).toBe(false);
  }, 40_000);

  it('a leader cut off from the others by the proxy is replaced on the majority side', async () => {
    const isolated = await leader();
    cluster.proxy.isolate(isolated.name);
    const majority = cluster.members().filter((member) => member !== isolated);
    await waitFor('a new leader on the majority side', 15_000, async () => {
      const statuses = await Promise.all(majority.map((member) => member.status()));
      const newLeader = statuses.find((status) => status.role === 'leader');
      return newLeader !== undefined && statuses.every((status) => status.leaderId === newLeader.id) ? true : undefined;
    });
    await expectHealthyWith('after-partition');
  }, 40_000);

  it('a slow disk reads back as set from the member and is cleared by healing', async () => {
    const member = cluster.members()[0]!;
    await cluster.setDiskDelay(member, 120);
    expect(await cluster.diskDelay(member)).toBe('sleep(120)');
    await put(await leader(), 'while-slow', 'v');
    await cluster.heal();
    expect(await cluster.diskDelay(member)).toBe('off');
  }, 30_000);

  it('the slow-leader-disk fault slows the disk of the member that leads, then kills it and the cluster heals', async () => {
    const nemesis = new Nemesis(cluster, { faults: ['slow-leader-disk'], random: seededRandom(SEED) });
    const fault = await nemesis.start('slow-leader-disk');
    expect(fault, nemesis.events.at(-1)?.description).toBeDefined();
    const views = await Promise.all(cluster.members().map(async (member) => ({ role: (await member.status()).role, disk: await cluster.diskDelay(member) })));
    expect(views.filter((view) => view.disk !== 'off').map((view) => view.role), 'the roles of the members whose disk is slowed').toEqual(['leader']);
    await nemesis.stop(fault!);
    expect(nemesis.events.at(-1)?.description).toMatch(/^kill -9 n\d+ with writes unwritten/);
    await expectHealthyWith('after-slow-leader-disk');
  }, 60_000);

  it('a wall-clock jump moves the member\'s wall time by minutes and is set right by healing', async () => {
    expect(cluster.canJumpClocks, 'libfaketime is installed (apt-get install faketime)').toBe(true);
    const member = cluster.members()[1]!;
    await cluster.setClockOffset(member, CLOCK_JUMP_SECONDS);
    await waitFor('the jump to take effect', 5_000, async () => ((await wallClockOf(member)) - Date.now() > (CLOCK_JUMP_SECONDS - 5) * 1_000 ? true : undefined));
    await put(member, 'while-jumped', 'v');
    await expectHealthyWith('after-clock');
    await waitFor('the clock to be set right', 5_000, async () => (Math.abs((await wallClockOf(member)) - Date.now()) < 5_000 ? true : undefined));
  }, 30_000);

  it('adding a fresh member and removing another changes the member set and leaves the cluster healthy', async () => {
    const before = cluster.members().map((member) => member.name);
    const added = await cluster.addMember();
    expect(before).not.toContain(added.name);
    expect((await cluster.memberList()).find((member) => member.name === added.name)?.isLearner, 'the leader lists it as a voter').toBe(false);
    const currentLeader = await leader();
    const removed = cluster.members().find((member) => member !== currentLeader && member !== added)!;
    await cluster.removeMember(removed);
    const listed = (await cluster.memberList()).map((member) => member.name).sort();
    expect(listed).toEqual(cluster.members().map((member) => member.name).sort());
    expect(listed).toContain(added.name);
    expect(listed).not.toContain(removed.name);
    expect(removed.running).toBe(false);
    expect(cluster.clientEndpoints()).not.toContain(removed.grpcAddress);
    expect(cluster.clientEndpoints()).toContain(added.grpcAddress);
    await expectHealthyWith('after-membership');
  }, 90_000);

  it('removing the leader leaves a cluster that elects another and stays healthy', async () => {
    const before = await leader();
    const added = await cluster.addMember();
    await cluster.removeMember(before);
    expect(before.running).toBe(false);
    expect((await cluster.memberList()).map((member) => member.name)).not.toContain(before.name);
    expect((await leader()).name).not.toBe(before.name);
    expect(cluster.members()).toContain(added);
    await expectHealthyWith('after-leader-removal');
  }, 90_000);

  it('the nemesis starts and ends each kind of fault', async () => {
    const nemesis = new Nemesis(cluster, { faults: FAULT_KINDS, random: seededRandom(SEED) });
    for (const kind of FAULT_KINDS) {
      const fault = await nemesis.start(kind);
      expect(fault, nemesis.events.at(-1)?.description).toBeDefined();
      await nemesis.stop(fault!);
      await cluster.heal().catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\nnemesis: ${nemesis.events.map((event) => `${event.phase} ${event.kind}: ${event.description}`).join('; ')}`);
      });
    }
    expect(nemesis.events.filter((event) => event.description.startsWith('failed'))).toEqual([]);
    expect(Object.values(nemesis.counts())).toEqual(FAULT_KINDS.map(() => 1));
    await expectHealthyWith('after-every-fault');
  }, 150_000);

  it('an aborted nemesis run ends the fault it started before it resolves', async () => {
    const stop = new AbortController();
    const nemesis = new Nemesis(cluster, { faults: ['kill', 'pause', 'partition', 'slow-disk'], random: seededRandom(SEED + 1) });
    const running = nemesis.run(stop.signal);
    await waitFor('the first fault to start', 10_000, () => (nemesis.events.length > 0 ? true : undefined));
    stop.abort();
    await running;
    const phases = nemesis.events.map((event) => event.phase);
    expect(phases).toEqual(['start', 'stop']);
    expect(cluster.proxy.members().some((from) => cluster.proxy.members().some((to) => cluster.proxy.isCut(from, to)))).toBe(false);
    expect(cluster.members().every((member) => member.running && !member.paused)).toBe(true);
    await expectHealthyWith('after-nemesis-run');
  }, 60_000);
});
