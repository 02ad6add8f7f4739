// Membership changes by joint consensus (etcd's confchange/confchange.go), as pure functions
// from one configuration to the next. Every change first enters a joint configuration in
// which decisions need a majority of both the old and the new voters; leaving it makes the
// new voters alone decide.

import { RaftError, RaftErrorCode } from './errors.js';
import type { TrackerConfig } from './progress-tracker.js';
import { cloneTrackerConfig, isJoint } from './progress-tracker.js';
import type { ConfChange, ConfChangeSingle, NodeId } from './types.js';
import { ConfChangeTransition } from './types.js';
import { ConfChangeType } from './types.js';

function invalid(reason: string): RaftError {
  return new RaftError(RaftErrorCode.InvalidConfChange, `invalid configuration change: ${reason}`);
}

/** The joint configuration of `config` and `config` with `changes` applied. Throws InvalidConfChange. */
export function enterJoint(config: TrackerConfig, autoLeave: boolean, changes: readonly ConfChangeSingle[]): TrackerConfig {
  if (isJoint(config)) throw invalid('the configuration is already joint; leave it first');
  if (config.voters.size === 0) throw invalid('a configuration without voters cannot become joint');
  if (changes.length === 0) throw invalid('entering a joint configuration needs at least one change');
  const next = cloneTrackerConfig(config);
  for (const id of config.voters) next.votersOutgoing.add(id);
  for (const change of changes) applyChange(next, change);
  if (next.voters.size === 0) throw invalid('the change removes every voter');
  next.autoLeave = autoLeave;
  checkInvariants(next);
  return next;
}

/** The incoming half of a joint configuration, alone. Throws InvalidConfChange if not joint. */
export function leaveJoint(config: TrackerConfig): TrackerConfig {
  if (!isJoint(config)) throw invalid('the configuration is not joint, so there is nothing to leave');
  const next = cloneTrackerConfig(config);
  for (const id of next.learnersNext) next.learners.add(id);
  next.learnersNext.clear();
  next.votersOutgoing.clear();
  next.autoLeave = false;
  checkInvariants(next);
  return next;
}

/**
 * The configuration after `cc`: the first membership of a node without voters, else a joint
 * configuration, or the incoming half when the change list is empty. Throws InvalidConfChange.
 */
export function changedConfig(config: TrackerConfig, cc: ConfChange): TrackerConfig {
  if (config.voters.size === 0 && !isJoint(config)) return firstConfig(config, cc.changes);
  if (cc.changes.length === 0) return leaveJoint(config);
  return enterJoint(config, cc.transition === ConfChangeTransition.Auto, cc.changes);
}

/**
 * ConfChangePending when a joint configuration must be left first, InvalidConfChange when
 * `cc` cannot be applied to `config`, null when it can.
 */
export function confChangeProblem(config: TrackerConfig, cc: ConfChange): RaftError | null {
  if (isJoint(config) && cc.changes.length > 0) {
    return new RaftError(RaftErrorCode.ConfChangePending, 'the joint configuration must be left before the next change');
  }
  try {
    changedConfig(config, cc);
    return null;
  } catch (error) {
    if (error instanceof RaftError) return error;
    throw error;
  }
}

/**
 * A configuration without voters has no quorum to protect, so a new or joining node takes its
 * first membership (the bootstrap entry at index 1) directly, as etcd's Bootstrap does.
 */
function firstConfig(config: TrackerConfig, changes: readonly ConfChangeSingle[]): TrackerConfig {
  const next = cloneTrackerConfig(config);
  for (const change of changes) applyChange(next, change);
  if (next.voters.size === 0) throw invalid('the first membership of a node needs at least one voter');
  checkInvariants(next);
  return next;
}

function applyChange(config: TrackerConfig, change: ConfChangeSingle): void {
  const id = change.nodeId;
  if (!Number.isSafeInteger(id) || id <= 0) throw invalid(`node id must be a positive integer, got ${id}`);
  switch (change.type) {
    case ConfChangeType.AddNode:
      config.learners.delete(id);
      config.learnersNext.delete(id);
      config.voters.add(id);
      return;
    case ConfChangeType.AddLearnerNode:
      makeLearner(config, id);
      return;
    case ConfChangeType.RemoveNode:
      config.voters.delete(id);
      config.learners.delete(id);
      config.learnersNext.delete(id);
      return;
    default:
      throw invalid(`unknown change type ${String(change.type)}`);
  }
}

function makeLearner(config: TrackerConfig, id: NodeId): void {
  if (config.learners.has(id)) return;
  config.voters.delete(id);
  // An outgoing voter still votes in the joint configuration, so it becomes a learner only
  // when the joint configuration is left.
  if (config.votersOutgoing.has(id)) config.learnersNext.add(id);
  else config.learners.add(id);
}

function checkInvariants(config: TrackerConfig): void {
  for (const id of config.learners) {
    if (config.voters.has(id) || config.votersOutgoing.has(id)) throw invalid(`node ${id} is both voter and learner`);
  }
  for (const id of config.learnersNext) {
    if (!config.votersOutgoing.has(id)) throw invalid(`node ${id} is to become a learner but is not an outgoing voter`);
    if (config.learners.has(id)) throw invalid(`node ${id} is both learner and next learner`);
  }
  if (!isJoint(config) && config.autoLeave) throw invalid('autoLeave is set outside a joint configuration');
}
