// One starter per kind of fault: each injects a fault chosen with the run's seeded generator
// into a JepsenCluster and returns how to end it. Ending a fault undoes exactly what starting
// it did; JepsenCluster.heal() is the broader net that ends everything.

import type { JepsenCluster, JepsenClusterMember } from '../cluster/jepsen-cluster.js';
import { between, pick, shuffled } from './random-choice.js';
import { startSlowLeaderDisk } from './slow-leader-disk.js';

export type FaultKind = 'kill' | 'pause' | 'partition' | 'membership' | 'slow-disk' | 'slow-leader-disk' | 'clock';

export const FAULT_KINDS: readonly FaultKind[] = ['kill', 'pause', 'partition', 'membership', 'slow-disk', 'slow-leader-disk', 'clock'];

export interface ActiveFault {
  readonly kind: FaultKind;
  /** What was done, e.g. `kill -9 the leader n2`. */
  readonly description: string;
  /** Ends the fault; resolves with what was done to end it. */
  stop(): Promise<string>;
}

/** A membership change never leaves fewer voters than this, so one member may still fail. */
export const VOTERS_MIN = 3;
const SLOW_DISK_DELAY_MS_MIN = 20;
const SLOW_DISK_DELAY_MS_MAX = 200;
const CLOCK_JUMP_SECONDS_MIN = 60;
const CLOCK_JUMP_SECONDS_MAX = 600;
/** A leader lookup while faults are active: short, since a random member does as well. */
const LEADER_LOOKUP_TIMEOUT_MS = 3_000;

type Starter = (cluster: JepsenCluster, random: () => number) => Promise<ActiveFault>;

export const FAULT_STARTERS: Readonly<Record<FaultKind, Starter>> = {
  kill: startKill,
  pause: startPause,
  partition: startPartition,
  membership: startMembershipChange,
  'slow-disk': startSlowDisk,
  'slow-leader-disk': startSlowLeaderDisk,
  clock: startClockJump,
};

function names(members: readonly JepsenClusterMember[]): string {
  return members.map((member) => member.name).join(', ');
}

/** The leader (as `the leader nX`), or a random answering member when no leader is agreed soon. */
async function leaderOrAny(cluster: JepsenCluster, random: () => number): Promise<{ member: JepsenClusterMember; label: string }> {
  const leader = await cluster.leader(LEADER_LOOKUP_TIMEOUT_MS);
  if (leader !== undefined) return { member: leader, label: `the leader ${leader.name}` };
  const member = pick(random, cluster.answering());
  if (member === undefined) throw new Error('no member answers');
  return { member, label: `${member.name} (no leader agreed)` };
}

async function randomOrLeader(cluster: JepsenCluster, random: () => number): Promise<{ member: JepsenClusterMember; label: string }> {
  if (random() < 0.5) return leaderOrAny(cluster, random);
  const member = pick(random, cluster.answering());
  if (member === undefined) throw new Error('no member answers');
  return { member, label: member.name };
}

/** kill -9 of a random member, of the leader, or of a majority; ended by restarting them on their data. */
async function startKill(cluster: JepsenCluster, random: () => number): Promise<ActiveFault> {
  const shape = pick(random, ['one', 'leader', 'majority'] as const);
  let victims: JepsenClusterMember[];
  let label: string;
  if (shape === 'majority') {
    victims = shuffled(random, cluster.answering()).slice(0, Math.floor(cluster.members().length / 2) + 1);
    label = `${names(victims)} (a majority)`;
  } else {
    const chosen = shape === 'leader' ? await leaderOrAny(cluster, random) : await randomOrLeader(cluster, random);
    victims = [chosen.member];
    label = chosen.label;
  }
  await Promise.all(victims.map((victim) => cluster.kill(victim)));
  return {
    kind: 'kill',
    description: `kill -9 ${label}`,
    stop: async () => {
      await Promise.all(victims.map((victim) => cluster.restart(victim)));
      return `restarted ${names(victims)}`;
    },
  };
}

/** SIGSTOP of a random member or the leader; ended by SIGCONT. */
async function startPause(cluster: JepsenCluster, random: () => number): Promise<ActiveFault> {
  const { member, label } = await randomOrLeader(cluster, random);
  cluster.pause(member);
  return {
    kind: 'pause',
    description: `SIGSTOP ${label}`,
    stop: async () => {
      cluster.resume(member);
      return `SIGCONT ${member.name}`;
    },
  };
}

/** One of the proxy's shapes: the leader isolated, a majority/minority split, a bridge, or a one-way cut. */
async function startPartition(cluster: JepsenCluster, random: () => number): Promise<ActiveFault> {
  const proxy = cluster.proxy;
  const everyone = shuffled(random, cluster.members().map((member) => member.name));
  const shape = pick(random, ['isolate-leader', 'split', 'bridge', 'one-way'] as const);
  let description: string;
  if (shape === 'isolate-leader') {
    const { member, label } = await leaderOrAny(cluster, random);
    proxy.isolate(member.name);
    description = `isolate ${label}`;
  } else if (shape === 'split') {
    const minority = everyone.slice(0, between(random, 1, Math.max(1, Math.floor((everyone.length - 1) / 2))));
    const majority = everyone.slice(minority.length);
    proxy.separate(minority, majority);
    description = `split minority [${minority.join(', ')}] from majority [${majority.join(', ')}]`;
  } else if (shape === 'bridge') {
    const [middle, ...rest] = everyone;
    const left = rest.slice(0, Math.ceil(rest.length / 2));
    const right = rest.slice(left.length);
    proxy.bridge(left, middle as string, right);
    description = `bridge [${left.join(', ')}] <-> ${middle} <-> [${right.join(', ')}]`;
  } else {
    description = await startOneWayCut(cluster, random, everyone);
  }
  return {
    kind: 'partition',
    description,
    stop: async () => {
      proxy.heal();
      return 'healed the network';
    },
  };
}

/** The leader's messages to everyone dropped (it still hears them), or one member's incoming messages dropped. */
async function startOneWayCut(cluster: JepsenCluster, random: () => number, everyone: readonly string[]): Promise<string> {
  if (random() < 0.5) {
    const { member, label } = await leaderOrAny(cluster, random);
    for (const other of everyone) if (other !== member.name) cluster.proxy.cut(member.name, other);
    return `one-way: drop every message from ${label}`;
  }
  const [deaf] = everyone;
  for (const other of everyone) if (other !== deaf) cluster.proxy.cut(other, deaf as string);
  return `one-way: drop every message to ${deaf}`;
}

/**
 * Removes a random voter and later adds a fresh member, or, when that would leave fewer than
 * VOTERS_MIN voters, adds one first and removes a random voter at the end.
 */
async function startMembershipChange(cluster: JepsenCluster, random: () => number): Promise<ActiveFault> {
  const voters = (await cluster.memberList()).filter((listed) => !listed.isLearner).map((listed) => listed.name);
  if (voters.length > VOTERS_MIN) {
    const removed = await removeRandomVoter(cluster, random, voters);
    return {
      kind: 'membership',
      description: `remove ${removed}`,
      stop: async () => `add ${(await cluster.addMember()).name}`,
    };
  }
  const added = await cluster.addMember();
  return {
    kind: 'membership',
    description: `add ${added.name}`,
    stop: async () => {
      const now = (await cluster.memberList()).filter((listed) => !listed.isLearner).map((listed) => listed.name);
      return `remove ${await removeRandomVoter(cluster, random, now)}`;
    },
  };
}

async function removeRandomVoter(cluster: JepsenCluster, random: () => number, voters: readonly string[]): Promise<string> {
  const member = pick(random, cluster.answering().filter((candidate) => voters.includes(candidate.name)));
  if (member === undefined) throw new Error('no answering voter to remove');
  await cluster.removeMember(member);
  return member.name;
}

/** sleep(20..200) before each WAL write and fsync on one member or all of them; ended by turning it off. */
async function startSlowDisk(cluster: JepsenCluster, random: () => number): Promise<ActiveFault> {
  const delayMs = between(random, SLOW_DISK_DELAY_MS_MIN, SLOW_DISK_DELAY_MS_MAX);
  const one = random() < 0.5 ? await randomOrLeader(cluster, random) : undefined;
  const targets = one === undefined ? cluster.answering() : [one.member];
  await Promise.all(targets.map((member) => cluster.setDiskDelay(member, delayMs)));
  return {
    kind: 'slow-disk',
    description: `slow disk: ${delayMs} ms before each WAL write on ${one === undefined ? `every member (${names(targets)})` : one.label}`,
    stop: async () => {
      // A member killed since has lost the setting with its process.
      const still = targets.filter((member) => member.answering);
      await Promise.all(still.map((member) => cluster.setDiskDelay(member, undefined)));
      return still.length === 0 ? `no disk to set right: ${names(targets)} stopped since` : `disk at full speed on ${names(still)}`;
    },
  };
}

/** Steps one member's wall clock minutes forward or back (its monotonic clock runs on); ended by setting it right. */
async function startClockJump(cluster: JepsenCluster, random: () => number): Promise<ActiveFault> {
  const { member, label } = await randomOrLeader(cluster, random);
  const offsetSeconds = between(random, CLOCK_JUMP_SECONDS_MIN, CLOCK_JUMP_SECONDS_MAX) * (random() < 0.5 ? -1 : 1);
  await cluster.setClockOffset(member, offsetSeconds);
  return {
    kind: 'clock',
    description: `wall clock of ${label} ${offsetSeconds > 0 ? '+' : ''}${offsetSeconds} s`,
    stop: async () => {
      await cluster.setClockOffset(member, 0);
      return `wall clock of ${member.name} set right`;
    },
  };
}
