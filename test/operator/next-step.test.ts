// The operator's decision rule, one situation at a time, and then a model of a cluster in which
// each step is applied — or lost, as when the operator dies mid-step — while pods vanish at
// random: it must converge, and never break the safety rules on the way.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextStep, unsupportedChange, type ClusterObservation, type MemberObservation, type Step } from '../../operator/src/next-step.js';

const LIMITS = { readyDeadlineMs: 300_000, reinviteAfterMs: 20_000 };
const NOW = 1_000_000;

function member(name: string, overrides: Partial<MemberObservation> = {}): MemberObservation {
  return {
    name,
    id: BigInt(name.charCodeAt(name.length - 1)),
    isLearner: false,
    status: { ready: true, appliedIndex: 100, version: '0.1.0' },
    pod: { name, version: '0.1.0', specDigest: 's1', ready: true, deleting: false, createdAtMs: 0 },
    hasVolume: true,
    volumeVersion: '0.1.0',
    ...overrides,
  };
}

function cluster(members: MemberObservation[] | undefined, overrides: Partial<ClusterObservation> = {}): ClusterObservation {
  return {
    replicas: 3,
    version: '0.1.0',
    specDigest: 's1',
    bootstrapped: true,
    members,
    leader: members?.[0]?.name,
    pods: (members ?? []).flatMap((entry) => (entry.pod === undefined ? [] : [entry.pod])),
    volumes: (members ?? []).flatMap((entry) => (entry.hasVolume ? [{ member: entry.name, version: entry.volumeVersion }] : [])),
    firstMember: 'a',
    nowMs: NOW,
    ...overrides,
  };
}

const three = () => [member('a'), member('b'), member('c')];

describe('the next step', () => {
  it('forms a new cluster under the same first member until it answers, then waits for it', () => {
    expect(nextStep(cluster(undefined, { bootstrapped: false, pods: [], volumes: [] }), LIMITS)).toEqual({ kind: 'bootstrap', member: 'a' });
    // The operator died after making the volume: the same member is made again, on it.
    expect(nextStep(cluster(undefined, { bootstrapped: false, pods: [], volumes: [{ member: 'a' }] }), LIMITS)).toEqual({ kind: 'bootstrap', member: 'a' });
    const seed = { name: 'a', version: '0.1.0', specDigest: 's1', ready: false, deleting: false, createdAtMs: NOW };
    expect(nextStep(cluster(undefined, { bootstrapped: false, pods: [seed], volumes: [{ member: 'a' }] }), LIMITS).kind).toBe('wait');
    // A first member that never comes up (a wrong image, a bad setting) is reported, not waited on silently.
    const stuck = { ...seed, createdAtMs: NOW - LIMITS.readyDeadlineMs - 1 };
    expect(nextStep(cluster(undefined, { bootstrapped: false, pods: [stuck], volumes: [{ member: 'a' }] }), LIMITS)).toMatchObject({ kind: 'halt', condition: 'MemberNotReady' });
    // Formed before and now gone with every volume: never a silent new, empty cluster.
    expect(nextStep(cluster(undefined, { pods: [], volumes: [] }), LIMITS)).toMatchObject({ kind: 'halt', condition: 'QuorumLost' });
  });

  it('starts and changes nothing while an issuer has not signed the members\' certificates', () => {
    const pending = 'waiting for cert-manager to issue Certificate vault-client-tls (Issuer ca)';
    expect(nextStep(cluster(undefined, { bootstrapped: false, pods: [], volumes: [], certificatePending: pending }), LIMITS)).toEqual({ kind: 'wait', reason: pending });
    expect(nextStep(cluster(three(), { replicas: 5, certificatePending: pending }), LIMITS)).toEqual({ kind: 'wait', reason: pending });
    expect(nextStep(cluster(three(), { replicas: 5 }), LIMITS)).toEqual({ kind: 'add-learner' });
  });

  it('gives every volume its pod back when no member answers, at the volume\'s version', () => {
    const survivor = { name: 'b', version: '0.1.0', specDigest: 's1', ready: false, deleting: false, createdAtMs: NOW };
    const volumes = [{ member: 'a', version: '0.2.0' }, { member: 'b', version: '0.1.0' }];
    expect(nextStep(cluster(undefined, { pods: [survivor], volumes }), LIMITS)).toMatchObject({ kind: 'create-pod', member: 'a', version: '0.2.0' });
    expect(nextStep(cluster(undefined, { pods: [survivor, { ...survivor, name: 'a' }], volumes }), LIMITS).kind).toBe('wait');
  });

  it('invites a learner again only after its pod waited unanswered for a while', () => {
    const learnerPod = (createdAtMs: number) => ({ name: 'd', version: '0.1.0', specDigest: 's1', ready: false, deleting: false, createdAtMs });
    const waiting = (createdAtMs: number) => [...three(), member('d', { isLearner: true, status: undefined, pod: learnerPod(createdAtMs) })];
    expect(nextStep(cluster(waiting(NOW - 5_000), { replicas: 4 }), LIMITS).kind).toBe('wait');
    expect(nextStep(cluster(waiting(NOW - 25_000), { replicas: 4 }), LIMITS)).toEqual({ kind: 'invite', member: 'd' });
  });

  it('is idle when the cluster is as asked', () => {
    expect(nextStep(cluster(three()), LIMITS)).toEqual({ kind: 'idle' });
  });

  it('gives a member its pod back on its volume, at the volume\'s version, even without quorum', () => {
    const members = [member('a', { pod: undefined, status: undefined }), member('b', { pod: undefined, status: undefined, volumeVersion: '0.2.0' }), member('c', { status: undefined })];
    expect(nextStep(cluster(members), LIMITS)).toMatchObject({ kind: 'create-pod', member: 'a', version: '0.1.0' });
    expect(nextStep(cluster(members.slice(1)), LIMITS)).toMatchObject({ kind: 'create-pod', member: 'b', version: '0.2.0' });
  });

  it('replaces nobody without quorum, and never shrinks for a missing pod', () => {
    const members = [member('a'), member('b', { status: undefined, pod: undefined, hasVolume: false }), member('c', { status: undefined })];
    expect(nextStep(cluster(members), LIMITS)).toMatchObject({ kind: 'halt', condition: 'QuorumLost' });
    const briefMiss = [member('a'), member('b', { pod: undefined, status: undefined }), member('c')];
    expect(nextStep(cluster(briefMiss, { replicas: 2 }), LIMITS)).toMatchObject({ kind: 'create-pod', member: 'b' });
  });

  it('removes a voter whose volume is lost, then adds a new learner in its place', () => {
    const members = [member('a'), member('b'), member('c', { pod: undefined, hasVolume: false, status: undefined })];
    expect(nextStep(cluster(members), LIMITS)).toMatchObject({ kind: 'remove-member', member: 'c' });
    expect(nextStep(cluster(members.slice(0, 2)), LIMITS)).toEqual({ kind: 'add-learner' });
  });

  it('deletes the pod and then the volume of a removed member, so it never rejoins', () => {
    const removed = { name: 'old', version: '0.1.0', specDigest: 's1', ready: true, deleting: false, createdAtMs: 0 };
    expect(nextStep(cluster(three(), { pods: [...three().map((entry) => entry.pod!), removed] }), LIMITS)).toMatchObject({ kind: 'delete-pod', pod: 'old' });
    expect(nextStep(cluster(three(), { pods: [...three().map((entry) => entry.pod!), { ...removed, deleting: true }] }), LIMITS).kind).toBe('wait');
    expect(nextStep(cluster(three(), { volumes: ['a', 'b', 'c', 'old'].map((name) => ({ member: name })) }), LIMITS)).toEqual({ kind: 'delete-volume', member: 'old' });
  });

  it('scales up through one learner at a time: its pod, then promotion once it is ready', () => {
    const members = three();
    expect(nextStep(cluster(members, { replicas: 5 }), LIMITS)).toEqual({ kind: 'add-learner' });
    const fresh = member('d', { isLearner: true, pod: undefined, hasVolume: false, status: undefined });
    expect(nextStep(cluster([...members, fresh], { replicas: 5 }), LIMITS)).toMatchObject({ kind: 'create-pod', member: 'd' });
    const catchingUp = member('d', { isLearner: true, status: { ready: false, appliedIndex: 10, version: '0.1.0' } });
    expect(nextStep(cluster([...members, catchingUp], { replicas: 5 }), LIMITS).kind).toBe('wait');
    expect(nextStep(cluster([...members, member('d', { isLearner: true })], { replicas: 5 }), LIMITS)).toMatchObject({ kind: 'promote', member: 'd' });
    // Nothing else is added while a member is not ready.
    const restarting = member('c', { status: { ready: false, appliedIndex: 1, version: '0.1.0' }, pod: { name: 'c', version: '0.1.0', specDigest: 's1', ready: false, deleting: false, createdAtMs: NOW } });
    expect(nextStep(cluster([...members.slice(0, 2), restarting], { replicas: 5 }), LIMITS).kind).toBe('wait');
  });

  it('scales down one follower at a time, the least healthy first, never the leader', () => {
    const members = [member('a'), member('b', { status: { ready: true, appliedIndex: 90, version: '0.1.0' } }), member('c'), member('d', { status: undefined }), member('e')];
    expect(nextStep(cluster(members, { replicas: 3 }), LIMITS)).toMatchObject({ kind: 'remove-member', member: 'd' });
    const healthy = members.filter((entry) => entry.name !== 'd');
    expect(nextStep(cluster(healthy, { replicas: 3 }), LIMITS)).toMatchObject({ kind: 'remove-member', member: 'b' });
    expect(nextStep(cluster([member('a'), member('b')], { replicas: 1, leader: 'b' }), LIMITS)).toMatchObject({ kind: 'remove-member', member: 'a' });
    // A learner no longer needed goes first.
    expect(nextStep(cluster([...three(), member('x', { isLearner: true })], { replicas: 3 }), LIMITS)).toMatchObject({ kind: 'remove-member', member: 'x' });
  });

  it('upgrades followers one at a time, then the leader after it hands over', () => {
    const old = three();
    expect(nextStep(cluster(old, { version: '0.2.0' }), LIMITS)).toEqual({ kind: 'restart-member', member: 'b', version: '0.2.0', reason: 'to run version 0.2.0' });
    const upgraded = (name: string) => member(name, { pod: { name, version: '0.2.0', specDigest: 's1', ready: true, deleting: false, createdAtMs: NOW }, volumeVersion: '0.2.0' });
    expect(nextStep(cluster([old[0]!, upgraded('b'), old[2]!], { version: '0.2.0' }), LIMITS)).toEqual({ kind: 'restart-member', member: 'c', version: '0.2.0', reason: 'to run version 0.2.0' });
    expect(nextStep(cluster([old[0]!, upgraded('b'), upgraded('c')], { version: '0.2.0' }), LIMITS)).toEqual({ kind: 'move-leader', from: 'a' });
    expect(nextStep(cluster([old[0]!, upgraded('b'), upgraded('c')], { version: '0.2.0', leader: 'b' }), LIMITS)).toMatchObject({ kind: 'restart-member', member: 'a' });
    // A single member has no one to hand over to.
    expect(nextStep(cluster([member('a')], { replicas: 1, version: '0.2.0' }), LIMITS)).toMatchObject({ kind: 'restart-member', member: 'a', version: '0.2.0' });
  });

  it('rolls a changed spec through the members one at a time, the leader last', () => {
    expect(nextStep(cluster(three(), { specDigest: 's2' }), LIMITS)).toEqual({ kind: 'restart-member', member: 'b', version: '0.1.0', reason: 'to apply the changed spec' });
    const rolled = (name: string) => member(name, { pod: { name, version: '0.1.0', specDigest: 's2', ready: true, deleting: false, createdAtMs: NOW } });
    expect(nextStep(cluster([member('a'), rolled('b'), rolled('c')], { specDigest: 's2' }), LIMITS)).toEqual({ kind: 'move-leader', from: 'a' });
    expect(nextStep(cluster([member('a'), rolled('b'), rolled('c')], { specDigest: 's2', leader: 'b' }), LIMITS)).toMatchObject({ kind: 'restart-member', member: 'a' });
    expect(nextStep(cluster([rolled('a'), rolled('b'), rolled('c')], { specDigest: 's2' }), LIMITS)).toEqual({ kind: 'idle' });
  });

  it('stops at once for a member whose image cannot be pulled, and restarts it when the spec is taken back', () => {
    const badImage = { name: 'b', version: '0.2.0', specDigest: 's2', ready: false, deleting: false, createdAtMs: NOW - 1_000, waiting: { reason: 'ImagePullBackOff', message: 'no such image' } };
    const stuck = [member('a'), member('b', { status: undefined, pod: badImage, volumeVersion: '0.2.0' }), member('c')];
    expect(nextStep(cluster(stuck, { version: '0.2.0', specDigest: 's2' }), LIMITS)).toMatchObject({ kind: 'halt', condition: 'MemberNotReady', reason: expect.stringContaining('ImagePullBackOff') });
    // Back to 0.1.0 and the old spec: the stuck member is made again though it is not ready; the others are not touched.
    expect(nextStep(cluster(stuck), LIMITS)).toMatchObject({ kind: 'restart-member', member: 'b', version: '0.1.0' });
  });

  it('stops and reports a member that is not ready by the deadline', () => {
    const stuck = member('b', { status: undefined, pod: { name: 'b', version: '0.2.0', specDigest: 's1', ready: false, deleting: false, createdAtMs: NOW - LIMITS.readyDeadlineMs - 1 } });
    expect(nextStep(cluster([member('a'), stuck, member('c')], { version: '0.2.0' }), LIMITS)).toMatchObject({ kind: 'halt', condition: 'MemberNotReady' });
    const starting = member('b', { status: undefined, pod: { name: 'b', version: '0.2.0', specDigest: 's1', ready: false, deleting: false, createdAtMs: NOW - 1_000 } });
    expect(nextStep(cluster([member('a'), starting, member('c')], { version: '0.2.0' }), LIMITS).kind).toBe('wait');
  });

  it('restores a backup on the first member once it is ready, before any member is added', () => {
    // The first member answers as a ready leader before its pod's readiness probe passed: wait, and add no one.
    const starting = member('a', { pod: { name: 'a', version: '0.1.0', specDigest: 's1', ready: false, deleting: false, createdAtMs: NOW } });
    expect(nextStep(cluster([starting], { restorePending: true }), LIMITS).kind).toBe('wait');
    expect(nextStep(cluster([member('a')], { restorePending: true }), LIMITS)).toEqual({ kind: 'restore', member: 'a' });
    // Recorded: the cluster grows as usual.
    expect(nextStep(cluster([member('a')], { restorePending: false }), LIMITS)).toEqual({ kind: 'add-learner' });
    // A first member that never becomes ready is reported, as any other.
    const stalled = member('a', { pod: { name: 'a', version: '0.1.0', specDigest: 's1', ready: false, deleting: false, createdAtMs: NOW - 400_000 } });
    expect(nextStep(cluster([stalled], { restorePending: true }), LIMITS)).toMatchObject({ kind: 'halt', condition: 'MemberNotReady' });
  });

  it('turns authentication on once the cluster has quorum and any restore is done, before it grows', () => {
    expect(nextStep(cluster([member('a')], { authPending: true }), LIMITS)).toEqual({ kind: 'enable-auth' });
    // The restore may bring the backup's users, and authentication with them: it goes first.
    expect(nextStep(cluster([member('a')], { restorePending: true, authPending: true }), LIMITS)).toEqual({ kind: 'restore', member: 'a' });
    // Without quorum no call can be made as root, nor needs to be.
    const down = [member('a'), member('b', { status: undefined }), member('c', { status: undefined })];
    expect(nextStep(cluster(down, { authPending: true }), LIMITS)).toMatchObject({ kind: 'halt', condition: 'QuorumLost' });
    // A member's pod is given back first: that needs no call to the cluster.
    const podless = [member('a'), member('b', { pod: undefined }), member('c')];
    expect(nextStep(cluster(podless, { authPending: true }), LIMITS)).toMatchObject({ kind: 'create-pod', member: 'b' });
    expect(nextStep(cluster([member('a')], { authPending: false }), LIMITS)).toEqual({ kind: 'add-learner' });
  });

  it('never restores into a cluster that grew without a recorded restore', () => {
    expect(nextStep(cluster(three(), { restorePending: true }), LIMITS)).toMatchObject({ kind: 'halt', condition: 'RestoreImpossible' });
    const withLearner = [member('a'), member('b', { isLearner: true })];
    expect(nextStep(cluster(withLearner, { restorePending: true }), LIMITS)).toMatchObject({ kind: 'halt', condition: 'RestoreImpossible' });
  });

  it('upgrades one minor version at a time, never down and never across majors', () => {
    expect(nextStep(cluster(three(), { version: '0.3.0' }), LIMITS)).toMatchObject({ kind: 'halt', condition: 'UnsupportedUpgrade' });
    expect(unsupportedChange('0.1.0', '0.1.7')).toBeUndefined();
    expect(unsupportedChange('0.1.3', '0.2.0')).toBeUndefined();
    expect(unsupportedChange('0.2.0', '0.1.0')).toContain('downgrading');
    expect(unsupportedChange('0.9.0', '1.0.0')).toContain('major');
  });
});

// ---------------------------------------------------------------------------------------------
// The model: Raft membership, pods and volumes, changed by the steps the rule picks. A step may
// be lost (the operator died before or during it), pods may vanish (deleted, node drained) and
// member pods become ready after a pass. Safety is checked after every change.

interface ModelMember { name: string; id: bigint; learner: boolean; ready: boolean; version: string }
interface ModelState {
  /** Made from a backup that is not restored yet. */
  restorePending: boolean;
  members: ModelMember[];
  pods: Map<string, string>; // name -> version
  volumes: Map<string, string>; // name -> version
  removed: Set<string>;
  leader: string;
  nextName: number;
}

function observe(state: ModelState, replicas: number, version: string): ClusterObservation {
  return {
    replicas,
    version,
    specDigest: 's1',
    bootstrapped: true,
    members: state.members.map((entry) => {
      const podVersion = state.pods.get(entry.name);
      return {
        name: entry.name,
        id: entry.id,
        isLearner: entry.learner,
        status: podVersion === undefined ? undefined : { ready: entry.ready, appliedIndex: 1, version: podVersion },
        pod: podVersion === undefined ? undefined : { name: entry.name, version: podVersion, specDigest: 's1', ready: entry.ready, deleting: false, createdAtMs: NOW },
        hasVolume: state.volumes.has(entry.name),
        volumeVersion: state.volumes.get(entry.name),
      };
    }),
    leader: state.leader,
    pods: [...state.pods].map(([name, podVersion]) => ({ name, version: podVersion, specDigest: 's1', ready: true, deleting: false, createdAtMs: NOW })),
    volumes: [...state.volumes].map(([name, volumeVersion]) => ({ member: name, version: volumeVersion })),
    firstMember: 'm0',
    nowMs: NOW,
    restorePending: state.restorePending,
  };
}

function apply(state: ModelState, step: Step): void {
  const find = (name: string) => state.members.find((entry) => entry.name === name);
  switch (step.kind) {
    case 'create-pod': {
      state.pods.set(step.member, step.version);
      if (!state.volumes.has(step.member)) state.volumes.set(step.member, step.version);
      const created = find(step.member);
      if (created !== undefined) created.ready = false;
      return;
    }
    case 'add-learner': {
      const name = `m${state.nextName++}`;
      state.members.push({ name, id: BigInt(state.nextName), learner: true, ready: false, version: '' });
      return;
    }
    case 'promote': {
      const promoted = find(step.member);
      if (promoted !== undefined) promoted.learner = false;
      return;
    }
    case 'remove-member':
      expect(step.member, 'the leader is never removed').not.toBe(state.leader);
      state.members = state.members.filter((entry) => entry.name !== step.member);
      state.removed.add(step.member);
      return;
    case 'move-leader': {
      const target = state.members.find((entry) => !entry.learner && entry.name !== step.from);
      if (target !== undefined) state.leader = target.name;
      return;
    }
    case 'restart-member':
      state.volumes.set(step.member, step.version);
      state.pods.delete(step.member);
      return;
    case 'delete-pod':
      state.pods.delete(step.pod);
      return;
    case 'delete-volume':
      state.volumes.delete(step.member);
      return;
    case 'restore':
      expect(state.members.map((entry) => entry.name), 'a restore goes to the first member alone').toEqual([step.member]);
      state.restorePending = false;
      return;
    default:
      return;
  }
}

describe('the decision rule in a model cluster', () => {
  it('converges through lost steps and vanishing pods, one membership change at a time, never removing the leader, reviving a removed member or growing before a restore', () => {
    const event = fc.oneof(
      fc.constant({ kind: 'pass' as const }),
      fc.constant({ kind: 'lost-step' as const }),
      fc.record({ kind: fc.constant('pod-vanishes' as const), index: fc.nat(8) }),
      fc.constant({ kind: 'pods-ready' as const }),
    );
    fc.assert(fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.boolean(), fc.boolean(), fc.array(event, { maxLength: 60 }), (startAt, target, upgrade, fromBackup, events) => {
      // A cluster made from a backup starts as its first member alone.
      const start = fromBackup ? 1 : startAt;
      const state: ModelState = { restorePending: fromBackup, members: [], pods: new Map(), volumes: new Map(), removed: new Set(), leader: 'm0', nextName: 0 };
      for (let index = 0; index < start; index += 1) {
        const name = `m${state.nextName++}`;
        state.members.push({ name, id: BigInt(state.nextName), learner: false, ready: true, version: '0.1.0' });
        state.pods.set(name, '0.1.0');
        state.volumes.set(name, '0.1.0');
      }
      const version = upgrade ? '0.2.0' : '0.1.0';
      const check = () => {
        expect(state.members.length === 1 || !state.restorePending, 'no member is added before the restore').toBe(true);
        expect(state.members.filter((entry) => entry.learner).length).toBeLessThanOrEqual(1);
        expect(state.members.some((entry) => entry.name === state.leader && !entry.learner)).toBe(true);
        for (const name of state.removed) {
          expect(state.members.some((entry) => entry.name === name)).toBe(false);
        }
      };
      const pass = (lose: boolean) => {
        const votersBefore = state.members.filter((entry) => !entry.learner).length;
        const step = nextStep(observe(state, target, version), LIMITS);
        if (!lose) apply(state, step);
        const votersAfter = state.members.filter((entry) => !entry.learner).length;
        expect(Math.abs(votersAfter - votersBefore), 'one voter change per step').toBeLessThanOrEqual(1);
        check();
      };
      for (const happening of events) {
        if (happening.kind === 'pass') pass(false);
        else if (happening.kind === 'lost-step') pass(true);
        else if (happening.kind === 'pods-ready') for (const entry of state.members) entry.ready = state.pods.has(entry.name);
        else {
          const victim = [...state.pods.keys()][happening.index % Math.max(1, state.pods.size)];
          if (victim !== undefined && victim !== state.leader) state.pods.delete(victim);
        }
      }
      // Left alone, with pods becoming ready after each pass, it reaches the asked-for cluster.
      for (let round = 0; round < 200; round += 1) {
        const step = nextStep(observe(state, target, version), LIMITS);
        if (step.kind === 'idle') break;
        apply(state, step);
        for (const entry of state.members) entry.ready = state.pods.has(entry.name);
        check();
      }
      expect(nextStep(observe(state, target, version), LIMITS)).toEqual({ kind: 'idle' });
      expect(state.restorePending).toBe(false);
      expect(state.members.filter((entry) => !entry.learner)).toHaveLength(target);
      expect([...state.pods.values()].every((podVersion) => podVersion === version)).toBe(true);
      expect(state.pods.size).toBe(target);
      expect(state.volumes.size).toBe(target);
    }), { numRuns: 300 });
  });
});
