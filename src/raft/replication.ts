// How the leader sends its log (etcd's sendAppend/maybeSendAppend/bcastAppend/bcastHeartbeat):
// appends cut at entriesBytesPerAppendMax and paced by each follower's progress, a snapshot
// when the follower needs entries that were compacted, and heartbeats.

import { StorageError, StorageErrorCode } from './errors.js';
import type { Progress } from './progress.js';
import type { Raft } from './raft.js';
import type { Entry, NodeId } from './types.js';
import { MessageType, ProgressState, logIndex } from './types.js';

/**
 * Sends the follower the entries after its `next`, or a snapshot if they were compacted.
 * An empty append (which carries the commit index) is sent only when `sendIfEmpty`.
 * Returns whether a message was sent.
 */
export function maybeSendAppend(raft: Raft, to: NodeId, sendIfEmpty: boolean): boolean {
  const progress = raft.tracker.progress.get(to);
  if (progress === undefined || progress.isPaused()) return false;
  const previousIndex = logIndex(progress.next - 1);
  const previousTerm = raft.log.maybeTerm(previousIndex);
  if (previousTerm === undefined) return sendSnapshot(raft, to, progress);
  // With the window full only an empty append goes out (after a heartbeat response unpaused
  // the flow): its answer frees the window if the appends in it were lost.
  const windowFull = progress.state === ProgressState.Replicate && progress.inflights.full();
  const entries = windowFull ? [] : entriesOrCompacted(raft, progress);
  if (entries === undefined) return sendSnapshot(raft, to, progress);
  if (entries.length === 0 && !sendIfEmpty) return false;
  raft.send({
    type: MessageType.Append,
    to,
    index: previousIndex,
    logTerm: previousTerm,
    entries,
    commit: raft.log.committed,
  });
  progress.sentEntries(entries.length);
  return true;
}

export function sendAppend(raft: Raft, to: NodeId): void {
  maybeSendAppend(raft, to, true);
}

function entriesOrCompacted(raft: Raft, progress: Progress): Entry[] | undefined {
  try {
    return raft.log.entriesFrom(progress.next, raft.config.entriesBytesPerAppendMax);
  } catch (error) {
    if (error instanceof StorageError && error.code === StorageErrorCode.Compacted) return undefined;
    throw error;
  }
}

function sendSnapshot(raft: Raft, to: NodeId, progress: Progress): boolean {
  // A snapshot is expensive: send it only to a follower known to be alive.
  if (!progress.recentActive) return false;
  let snapshot;
  try {
    snapshot = raft.log.snapshot();
  } catch (error) {
    if (error instanceof StorageError && error.code === StorageErrorCode.SnapshotTemporarilyUnavailable) return false;
    throw error;
  }
  // Entries were compacted without a snapshot to replace them: nothing can be sent yet.
  if (snapshot.metadata.index === 0) return false;
  raft.send({ type: MessageType.Snapshot, to, snapshot });
  progress.becomeSnapshot(snapshot.metadata.index);
  return true;
}

/** Sends every other member what it is missing, or an empty append carrying the commit index. */
export function bcastAppend(raft: Raft): void {
  for (const id of raft.tracker.progress.keys()) {
    if (id !== raft.id) sendAppend(raft, id);
  }
}

/** Heartbeats carry the context of the newest pending ReadIndex request, confirming it. */
export function bcastHeartbeat(raft: Raft, context: Uint8Array): void {
  for (const [id, progress] of raft.tracker.progress) {
    if (id === raft.id) continue;
    // The follower may not have the entries up to our commit: it may only commit what it matches.
    const commit = logIndex(Math.min(progress.match, raft.log.committed));
    raft.send({ type: MessageType.Heartbeat, to: id, commit, context });
  }
}

export function sendTimeoutNow(raft: Raft, to: NodeId): void {
  raft.send({ type: MessageType.TimeoutNow, to });
}
