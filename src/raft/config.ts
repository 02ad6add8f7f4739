// Configuration of one Raft node: defaults, and a validation that lists every problem at once.

import { RaftError, RaftErrorCode } from './errors.js';
import type { Random } from './random.js';
import type { Storage } from './storage.js';
import type { GroupId, LogIndex, NodeId } from './types.js';

export enum ReadOnlyOption {
  /** ReadIndex confirms leadership with a heartbeat round to a quorum: always safe. */
  Safe = 'safe',
  /**
   * The leader answers from its lease (it heard from a quorum within the election timeout).
   * Faster, but relies on bounded clock drift; requires checkQuorum.
   */
  LeaseBased = 'lease-based',
}

export interface RaftConfig {
  readonly id: NodeId;
  readonly groupId: GroupId;
  readonly storage: Storage;
  /** Ticks without hearing from a leader before an election starts (randomized in [n, 2n)). */
  readonly electionTicks: number;
  /** Ticks between leader heartbeats. Must be less than electionTicks. */
  readonly heartbeatTicks: number;
  /** The last index the application applied, when restarting; 0 for a new node. */
  readonly applied: LogIndex;
  /** Byte limit of entry data in one Append message. */
  readonly entriesBytesPerAppendMax: number;
  /** Appends in flight to one follower in the Replicate state. */
  readonly inflightMessagesMax: number;
  /** Bytes of uncommitted entry data the leader accepts before dropping proposals (0 = no limit). */
  readonly uncommittedBytesMax: number;
  /** Byte limit of committed entries handed out in one Ready. */
  readonly committedBytesPerReadyMax: number;
  /** A leader steps down when it has not heard from a quorum for an election timeout. */
  readonly checkQuorum: boolean;
  /** Candidates first poll without bumping their term, so a rejoining node cannot disrupt. */
  readonly preVote: boolean;
  readonly readOnlyOption: ReadOnlyOption;
  /** Followers drop proposals instead of forwarding them to the leader. */
  readonly disableProposalForwarding: boolean;
  /** Seeded randomness for election timeouts. */
  readonly random: Random;
}

export type RaftConfigInput = Pick<RaftConfig, 'id' | 'storage' | 'random'> & Partial<RaftConfig>;

export function defaultConfig(input: RaftConfigInput): RaftConfig {
  return {
    groupId: 0 as GroupId,
    electionTicks: 10,
    heartbeatTicks: 1,
    applied: 0 as LogIndex,
    entriesBytesPerAppendMax: 1024 * 1024,
    inflightMessagesMax: 256,
    uncommittedBytesMax: 64 * 1024 * 1024,
    committedBytesPerReadyMax: 16 * 1024 * 1024,
    checkQuorum: true,
    preVote: true,
    readOnlyOption: ReadOnlyOption.Safe,
    disableProposalForwarding: false,
    ...input,
  };
}

/** Returns the frozen config, or throws RaftError InvalidConfig naming every problem. */
export function validateConfig(config: RaftConfig): Readonly<RaftConfig> {
  const problems: string[] = [];
  const positiveInteger = (name: keyof RaftConfig, value: number): void => {
    if (!Number.isSafeInteger(value) || value <= 0) problems.push(`${name} must be a positive integer, got ${value}`);
  };
  if (!Number.isSafeInteger(config.id) || config.id <= 0) problems.push(`id must be a positive integer, got ${config.id}`);
  if (!Number.isSafeInteger(config.groupId) || config.groupId < 0) {
    problems.push(`groupId must be a non-negative integer, got ${config.groupId}`);
  }
  positiveInteger('electionTicks', config.electionTicks);
  positiveInteger('heartbeatTicks', config.heartbeatTicks);
  positiveInteger('entriesBytesPerAppendMax', config.entriesBytesPerAppendMax);
  positiveInteger('inflightMessagesMax', config.inflightMessagesMax);
  positiveInteger('committedBytesPerReadyMax', config.committedBytesPerReadyMax);
  if (config.heartbeatTicks >= config.electionTicks) {
    problems.push(
      `electionTicks (${config.electionTicks}) must be greater than heartbeatTicks (${config.heartbeatTicks})`,
    );
  }
  if (!Number.isSafeInteger(config.uncommittedBytesMax) || config.uncommittedBytesMax < 0) {
    problems.push(`uncommittedBytesMax must be a non-negative integer, got ${config.uncommittedBytesMax}`);
  }
  if (!Number.isSafeInteger(config.applied) || config.applied < 0) {
    problems.push(`applied must be a non-negative integer, got ${config.applied}`);
  }
  if (config.readOnlyOption === ReadOnlyOption.LeaseBased && !config.checkQuorum) {
    problems.push('readOnlyOption lease-based requires checkQuorum: without it a deposed leader could serve stale reads');
  }
  if (problems.length > 0) {
    throw new RaftError(RaftErrorCode.InvalidConfig, `invalid raft config: ${problems.join('; ')}`);
  }
  return Object.freeze({ ...config });
}
