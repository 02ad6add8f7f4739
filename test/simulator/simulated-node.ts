// One simulated server: a disk that survives crashes and the volatile state that does not.
// On every start the volatile state is rebuilt from the disk alone, as a real restart would.

import { StateType } from '../../src/raft/types.js';
import type { ConfState } from '../../src/raft/types.js';
import { decodeSnapshotData } from './digest-state-machine.js';
import type { RaftNode, SimulatedDisk } from './raft-module.js';

export class SimulatedNode {
  /** Null while the node is down or after it was removed from the cluster. */
  raft: RaftNode | null = null;
  /** Counts the starts, so that a report about a message sent in an earlier life is dropped. */
  incarnation = 0;
  /** Removed from the membership for good; a removed node is never restarted. */
  removed = false;
  /** While down: the tick at which the node comes back. */
  restartTick = 0;

  // Volatile state. Invariant: appliedIndex <= commit <= disk.lastIndex().
  role: StateType = StateType.Follower;
  term = 0;
  commit = 0;
  appliedIndex = 0;
  /** The application's state: a digest of every entry applied, in order. */
  stateDigest = 0;
  /** The membership as of appliedIndex. */
  confState: ConfState;

  constructor(
    readonly id: number,
    /** The log, the hard state and the latest snapshot: all that survives a crash. */
    readonly disk: SimulatedDisk,
  ) {
    this.confState = disk.initialState().confState;
  }

  running(): boolean {
    return this.raft !== null;
  }

  /** Rebuilds the volatile state from the disk: the snapshot's state, then the hard state. */
  restoreFromDisk(): void {
    const { hardState, confState } = this.disk.initialState();
    const snapshot = this.disk.snapshot();
    this.appliedIndex = snapshot.metadata.index;
    this.stateDigest = decodeSnapshotData(snapshot.data).stateDigest;
    this.confState = confState;
    this.term = hardState.term;
    this.commit = hardState.commit;
    this.role = StateType.Follower;
  }
}
