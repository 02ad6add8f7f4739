import { describe, expect, it } from 'vitest';
import { changedConfig, enterJoint, leaveJoint } from '../../../src/raft/conf-changer.js';
import { decodeConfChange, encodeConfChange } from '../../../src/raft/confchange-codec.js';
import { RaftError } from '../../../src/raft/errors.js';
import type { TrackerConfig } from '../../../src/raft/progress-tracker.js';
import { confStateOf, trackerConfigOf } from '../../../src/raft/progress-tracker.js';
import type { ConfChange, ConfChangeSingle } from '../../../src/raft/types.js';
import { ConfChangeTransition, ConfChangeType, EMPTY_CONF_STATE, nodeId } from '../../../src/raft/types.js';

const add = (id: number): ConfChangeSingle => ({ type: ConfChangeType.AddNode, nodeId: nodeId(id) });
const addLearner = (id: number): ConfChangeSingle => ({ type: ConfChangeType.AddLearnerNode, nodeId: nodeId(id) });
const remove = (id: number): ConfChangeSingle => ({ type: ConfChangeType.RemoveNode, nodeId: nodeId(id) });

function config(voters: number[], learners: number[] = []): TrackerConfig {
  return trackerConfigOf({ ...EMPTY_CONF_STATE, voters: voters.map(nodeId), learners: learners.map(nodeId) });
}

function invalidReason(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof RaftError && error.code === 'RAFT_INVALID_CONF_CHANGE') return error.message;
    throw error;
  }
  throw new Error('expected InvalidConfChange');
}

describe('joint consensus', () => {
  it('entering joint keeps the old voters as the outgoing half', () => {
    const joint = enterJoint(config([1, 2, 3]), true, [add(4), remove(1)]);
    expect(confStateOf(joint)).toEqual({ voters: [2, 3, 4], votersOutgoing: [1, 2, 3], learners: [], learnersNext: [], autoLeave: true });
  });

  it('leaving joint drops the outgoing half', () => {
    const left = leaveJoint(enterJoint(config([1, 2, 3]), false, [remove(3)]));
    expect(confStateOf(left)).toEqual({ voters: [1, 2], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false });
  });

  it('a demoted voter stays a voter in the outgoing half and becomes a learner on leaving', () => {
    const joint = enterJoint(config([1, 2, 3]), true, [addLearner(3)]);
    expect(confStateOf(joint).learnersNext).toEqual([3]);
    expect(confStateOf(joint).learners).toEqual([]);
    expect(confStateOf(leaveJoint(joint)).learners).toEqual([3]);
  });

  it('a learner is promoted by adding it as a voter', () => {
    const joint = enterJoint(config([1, 2, 3], [4]), true, [add(4)]);
    expect(confStateOf(joint).voters).toEqual([1, 2, 3, 4]);
    expect(confStateOf(joint).learners).toEqual([]);
  });

  it('an empty change list is the request to leave', () => {
    const joint = changedConfig(config([1]), { transition: ConfChangeTransition.JointExplicit, changes: [add(2)], context: new Uint8Array() });
    expect(joint.autoLeave).toBe(false);
    const left = changedConfig(joint, { transition: ConfChangeTransition.Auto, changes: [], context: new Uint8Array() });
    expect(confStateOf(left).voters).toEqual([1, 2]);
  });
});

describe('the first membership', () => {
  it('a node without voters takes its first membership directly, without a joint state', () => {
    const first = changedConfig(config([]), { transition: ConfChangeTransition.Auto, changes: [add(1), add(2), addLearner(3)], context: new Uint8Array() });
    expect(confStateOf(first)).toEqual({ voters: [1, 2], votersOutgoing: [], learners: [3], learnersNext: [], autoLeave: false });
  });

  it('needs at least one voter', () => {
    const empty: ConfChange = { transition: ConfChangeTransition.Auto, changes: [addLearner(3)], context: new Uint8Array() };
    expect(invalidReason(() => changedConfig(config([]), empty))).toMatch(/at least one voter/);
  });
});

describe('invalid configuration changes', () => {
  it('removing every voter is refused', () => {
    expect(invalidReason(() => enterJoint(config([1]), true, [remove(1)]))).toMatch(/removes every voter/);
  });

  it('entering joint twice, or leaving when not joint, is refused', () => {
    const joint = enterJoint(config([1, 2]), true, [add(3)]);
    expect(invalidReason(() => enterJoint(joint, true, [add(4)]))).toMatch(/already joint/);
    expect(invalidReason(() => leaveJoint(config([1])))).toMatch(/not joint/);
  });

  it('a configuration without voters cannot change (a joining node learns it from a snapshot)', () => {
    expect(invalidReason(() => enterJoint(config([]), true, [add(1)]))).toMatch(/without voters/);
  });

  it('a node id must be positive', () => {
    expect(invalidReason(() => enterJoint(config([1]), true, [add(0)]))).toMatch(/positive/);
  });

  it('changes do not modify the configuration they start from', () => {
    const original = config([1, 2, 3]);
    enterJoint(original, true, [remove(1), addLearner(5)]);
    expect(confStateOf(original)).toEqual(confStateOf(config([1, 2, 3])));
  });
});

describe('ConfChange codec', () => {
  const sample: ConfChange = {
    transition: ConfChangeTransition.JointExplicit,
    changes: [add(1), addLearner(2 ** 40 + 7), remove(Number.MAX_SAFE_INTEGER)],
    context: new TextEncoder().encode('10.0.0.4:7000'),
  };

  it('round-trips every field', () => {
    expect(decodeConfChange(encodeConfChange(sample))).toEqual(sample);
    const empty: ConfChange = { transition: ConfChangeTransition.Auto, changes: [], context: new Uint8Array() };
    expect(decodeConfChange(encodeConfChange(empty))).toEqual(empty);
  });

  it('decodes from a view into a larger buffer', () => {
    const encoded = encodeConfChange(sample);
    const larger = new Uint8Array(encoded.byteLength + 8);
    larger.set(encoded, 4);
    expect(decodeConfChange(larger.subarray(4, 4 + encoded.byteLength))).toEqual(sample);
  });

  it('refuses truncated input, trailing bytes and unknown values with a clear error', () => {
    const encoded = encodeConfChange(sample);
    expect(() => decodeConfChange(encoded.subarray(0, encoded.byteLength - 1))).toThrow(/malformed ConfChange: truncated/);
    expect(() => decodeConfChange(new Uint8Array([...encoded, 0]))).toThrow(/unexpected bytes/);
    expect(() => decodeConfChange(new Uint8Array())).toThrow(/truncated/);
    const badVersion = encoded.slice();
    badVersion[0] = 9;
    expect(() => decodeConfChange(badVersion)).toThrow(/version 9/);
    const badType = encoded.slice();
    badType[6] = 7;
    expect(() => decodeConfChange(badType)).toThrow(/change type 7/);
    const hugeCount = encoded.slice();
    new DataView(hugeCount.buffer).setUint32(2, 0xffffffff);
    expect(() => decodeConfChange(hugeCount)).toThrow(/truncated/);
  });
});
