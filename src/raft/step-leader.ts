// The leader's message handling (etcd's stepLeader): proposals, replication acknowledgements,
// heartbeats and the reads they confirm, check-quorum and leadership transfer.

import { confChangeProblem } from './conf-changer.js';
import { decodeConfChange } from './confchange-codec.js';
import { ReadOnlyOption } from './config.js';
import { RaftError, RaftErrorCode } from './errors.js';
import type { Progress } from './progress.js';
import type { Raft } from './raft.js';
import { requestContext } from './read-only.js';
import { bcastAppend, bcastHeartbeat, maybeSendAppend, sendAppend, sendTimeoutNow } from './replication.js';
import type { Entry, LogIndex, Message } from './types.js';
import { EntryType, MessageType, NO_NODE, ProgressState, logIndex } from './types.js';

export function stepLeader(raft: Raft, m: Message): RaftError | null {
  switch (m.type) {
    case MessageType.Beat:
      bcastHeartbeat(raft, raft.readOnly.lastPendingContext());
      return null;
    case MessageType.CheckQuorum:
      checkQuorum(raft);
      return null;
    case MessageType.Propose:
      return handlePropose(raft, m);
    case MessageType.ReadIndex:
      handleReadIndex(raft, m);
      return null;
    default:
      break;
  }
  const progress = raft.tracker.progress.get(m.from);
  if (progress === undefined) return null;
  switch (m.type) {
    case MessageType.AppendResponse:
      handleAppendResponse(raft, m, progress);
      break;
    case MessageType.HeartbeatResponse:
      handleHeartbeatResponse(raft, m, progress);
      break;
    case MessageType.SnapshotStatus:
      if (progress.state !== ProgressState.Snapshot) break;
      // Success or failure, probe next; wait for a heartbeat response before probing again.
      if (m.reject) progress.pendingSnapshot = logIndex(0);
      progress.becomeProbe();
      progress.messageFlowPaused = true;
      break;
    case MessageType.Unreachable:
      // Appends streamed to an unreachable follower were probably lost.
      if (progress.state === ProgressState.Replicate) progress.becomeProbe();
      break;
    case MessageType.TransferLeader:
      return handleTransferLeader(raft, m, progress);
    default:
      break;
  }
  return null;
}

function checkQuorum(raft: Raft): void {
  if (!raft.tracker.quorumActive(raft.id)) raft.becomeFollower(raft.term, NO_NODE);
  for (const [id, progress] of raft.tracker.progress) if (id !== raft.id) progress.recentActive = false;
}

function handlePropose(raft: Raft, m: Message): RaftError | null {
  if (raft.removedFromConfig()) {
    return new RaftError(RaftErrorCode.NotMember, 'this leader was removed from the configuration');
  }
  if (raft.leadTransferee !== NO_NODE) {
    return new RaftError(RaftErrorCode.TransferInProgress, `leadership is being transferred to ${raft.leadTransferee}`);
  }
  let confChangeOffset = -1;
  for (let i = 0; i < m.entries.length; i++) {
    const entry = m.entries[i]!;
    if (entry.type !== EntryType.ConfChange) continue;
    const refusal = confChangeRefusal(raft, entry, confChangeOffset >= 0);
    if (refusal !== null) return refusal;
    confChangeOffset = i;
  }
  const lastIndexBefore = raft.log.lastIndex();
  if (!raft.appendEntries(m.entries)) {
    return new RaftError(
      RaftErrorCode.UncommittedLimit,
      `the leader holds ${raft.uncommittedBytes} uncommitted bytes (limit ${raft.config.uncommittedBytesMax})`,
    );
  }
  if (confChangeOffset >= 0) raft.pendingConfIndex = logIndex(lastIndexBefore + confChangeOffset + 1);
  bcastAppend(raft);
  return null;
}

/** Why the leader cannot append this configuration change now, or null if it can. */
function confChangeRefusal(raft: Raft, entry: Entry, anotherInBatch: boolean): RaftError | null {
  if (anotherInBatch || raft.pendingConfIndex > raft.log.applied || !raft.committedEntryInCurrentTerm()) {
    return new RaftError(
      RaftErrorCode.ConfChangePending,
      'a configuration change is pending (or the new leader has not committed an entry of its term); retry once it is applied',
    );
  }
  let cc;
  try {
    cc = decodeConfChange(entry.data);
  } catch (error) {
    return new RaftError(RaftErrorCode.InvalidConfChange, (error as Error).message);
  }
  return confChangeProblem(raft.tracker.config, cc);
}

function handleAppendResponse(raft: Raft, m: Message, progress: Progress): void {
  if (m.from === raft.id) {
    countOwnDurableAppend(raft, m, progress);
    return;
  }
  progress.recentActive = true;
  if (m.reject) {
    // The follower's hint and the term there let us skip every entry that cannot match.
    const nextProbeIndex =
      m.logTerm > 0 ? raft.log.findConflictByTerm(m.rejectHint, m.logTerm).index : m.rejectHint;
    if (progress.maybeDecreaseTo(m.index, nextProbeIndex)) {
      if (progress.state === ProgressState.Replicate) progress.becomeProbe();
      sendAppend(raft, m.from);
    }
    return;
  }
  const wasPaused = progress.isPaused();
  const probeConfirmed = progress.match === m.index && progress.state === ProgressState.Probe;
  if (!progress.maybeUpdate(m.index) && !probeConfirmed) return;
  if (progress.state === ProgressState.Probe) {
    progress.becomeReplicate();
  } else if (progress.state === ProgressState.Snapshot && progress.match + 1 >= raft.log.firstIndex()) {
    // The follower caught up past the snapshot by appends: stream to it again.
    progress.becomeProbe();
    progress.becomeReplicate();
  } else if (progress.state === ProgressState.Replicate) {
    progress.inflights.freeLE(m.index);
  }
  if (raft.maybeCommit()) {
    releasePendingReadIndexMessages(raft);
    bcastAppend(raft);
  } else if (wasPaused) {
    sendAppend(raft, m.from);
  }
  while (maybeSendAppend(raft, m.from, false)) {
    // Keep streaming until the window is full or the follower has everything.
  }
  if (m.from === raft.leadTransferee && progress.match === raft.log.lastIndex()) sendTimeoutNow(raft, m.from);
}

/** The leader's own append is on its disk: from now on it counts toward the quorum. */
function countOwnDurableAppend(raft: Raft, m: Message, progress: Progress): void {
  if (!progress.maybeUpdate(m.index) || !raft.maybeCommit()) return;
  releasePendingReadIndexMessages(raft);
  bcastAppend(raft);
}

function handleHeartbeatResponse(raft: Raft, m: Message, progress: Progress): void {
  progress.recentActive = true;
  progress.messageFlowPaused = false;
  if (progress.match < raft.log.lastIndex() || progress.state === ProgressState.Probe) sendAppend(raft, m.from);
  if (raft.config.readOnlyOption !== ReadOnlyOption.Safe || m.context.byteLength === 0) return;
  const acknowledgedBy = raft.readOnly.recordAcknowledgement(m.from, m.context);
  if (acknowledgedBy === undefined || !raft.tracker.isQuorum(acknowledgedBy)) return;
  for (const status of raft.readOnly.advance(m.context)) answerReadIndex(raft, status.request, status.index);
}

function handleReadIndex(raft: Raft, m: Message): void {
  if (raft.tracker.isSingleton()) {
    answerReadIndex(raft, m, raft.log.committed);
    return;
  }
  // Until the leader commits an entry of its term it does not know the true commit index.
  if (!raft.committedEntryInCurrentTerm()) {
    raft.pendingReadIndexMessages.push(m);
    return;
  }
  confirmReadIndex(raft, m);
}

function confirmReadIndex(raft: Raft, m: Message): void {
  if (raft.config.readOnlyOption === ReadOnlyOption.LeaseBased) {
    answerReadIndex(raft, m, raft.log.committed);
    return;
  }
  const context = requestContext(m);
  raft.readOnly.addRequest(raft.log.committed, m);
  // The leader acknowledges itself; a quorum of heartbeat responses completes the proof.
  raft.readOnly.recordAcknowledgement(raft.id, context);
  bcastHeartbeat(raft, context);
}

function releasePendingReadIndexMessages(raft: Raft): void {
  if (raft.pendingReadIndexMessages.length === 0 || !raft.committedEntryInCurrentTerm()) return;
  const pending = raft.pendingReadIndexMessages;
  raft.pendingReadIndexMessages = [];
  for (const m of pending) confirmReadIndex(raft, m);
}

function answerReadIndex(raft: Raft, request: Message, index: LogIndex): void {
  if (request.from === NO_NODE || request.from === raft.id) {
    raft.readStates.push({ index, context: requestContext(request) });
    return;
  }
  raft.send({ type: MessageType.ReadIndexResponse, to: request.from, index, entries: request.entries });
}

function handleTransferLeader(raft: Raft, m: Message, progress: Progress): RaftError | null {
  if (progress.isLearner) {
    return new RaftError(RaftErrorCode.TransferToLearner, `node ${m.from} is a learner and cannot lead`);
  }
  const transferee = m.from;
  if (raft.leadTransferee !== NO_NODE) {
    if (raft.leadTransferee === transferee) return null;
    raft.abortLeaderTransfer();
  }
  if (transferee === raft.id) return null;
  // The transfer must finish within an election timeout, counted from now.
  raft.electionElapsed = 0;
  raft.leadTransferee = transferee;
  if (progress.match === raft.log.lastIndex()) sendTimeoutNow(raft, transferee);
  else sendAppend(raft, transferee);
  return null;
}
