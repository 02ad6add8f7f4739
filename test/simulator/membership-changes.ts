// The operator's membership changes, chosen from the leader's current membership: add a spare
// as a learner, promote a learner, demote or remove a voter, or replace a voter with a learner
// in one joint change. At least three voters always remain, so a minority can still crash.

import type { SeededRandom } from '../../src/raft/random.js';
import { ConfChangeTransition, ConfChangeType, EMPTY_BYTES, nodeId } from '../../src/raft/types.js';
import type { ConfChange, ConfChangeSingle, ConfState } from '../../src/raft/types.js';
import { chance, pick } from './simulation-random.js';

const VOTERS_MIN = 3;

/** The request to leave a joint configuration, when the application must make it; else null. */
export function leaveJointRequest(confState: ConfState): ConfChange | null {
  if (confState.votersOutgoing.length === 0 || confState.autoLeave) return null;
  return { transition: ConfChangeTransition.Auto, changes: [], context: EMPTY_BYTES };
}

/** A random valid change of `confState`, or null when there is nothing sensible to change. */
export function chooseConfChange(random: SeededRandom, confState: ConfState, spareIds: readonly number[]): ConfChange | null {
  if (confState.votersOutgoing.length > 0) return leaveJointRequest(confState);
  const options = changeOptions(random, confState, spareIds);
  if (options.length === 0) return null;
  const transition = chance(random, 0.3) ? ConfChangeTransition.JointExplicit : ConfChangeTransition.Auto;
  return { transition, changes: pick(random, options), context: EMPTY_BYTES };
}

function changeOptions(random: SeededRandom, confState: ConfState, spareIds: readonly number[]): ConfChangeSingle[][] {
  const single = (type: ConfChangeType, id: number): ConfChangeSingle => ({ type, nodeId: nodeId(id) });
  const options: ConfChangeSingle[][] = [];
  if (spareIds.length > 0) options.push([single(ConfChangeType.AddLearnerNode, spareIds[0]!)]);
  if (confState.learners.length > 0) {
    const learner = pick(random, confState.learners);
    options.push([single(ConfChangeType.AddNode, learner)]);
    options.push([single(ConfChangeType.AddNode, learner), single(ConfChangeType.RemoveNode, pick(random, confState.voters))]);
    if (chance(random, 0.2)) options.push([single(ConfChangeType.RemoveNode, learner)]);
  }
  if (confState.voters.length > VOTERS_MIN) {
    const voter = pick(random, confState.voters);
    options.push([single(ConfChangeType.RemoveNode, voter)]);
    options.push([single(ConfChangeType.AddLearnerNode, voter)]);
  }
  return options;
}
