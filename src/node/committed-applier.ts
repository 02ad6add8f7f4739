// Applies committed entries: all of a Ready's entries go to the MVCC store in one batch (one
// LevelDB write with the applied index); ConfChange entries then change Raft's membership,
// the member table and the transport's peers, published member attributes change the member
// table, and a member's new peer address changes the table and the transport's peers; and the
// callers waiting on this node's own proposals are settled with their results. A traced
// entry's commit span ends and its apply span begins here (proposal-trace.ts).

import type { ApplyEntry, MvccStore } from '../mvcc/index.js';
import { SLOW_APPLY_SECONDS, type NodeMetrics } from '../observability/metrics.js';
import { endSpan, type Span } from '../observability/spans.js';
import type { RawNode } from '../raft/raw-node.js';
import { decodeConfChange } from '../raft/confchange-codec.js';
import type { ConfState, Entry, NodeId } from '../raft/types.js';
import { EMPTY_BYTES, EntryType } from '../raft/types.js';
import { decodeEnvelope, type EntryEnvelope, EntryKind, UNTRACKED_REQUEST_ID } from './entry-envelope.js';
import type { MemberTable } from './member-table.js';
import type { ProposalTracker } from './proposal-tracker.js';
import type { ForwardedEntryTraces } from './proposal-trace.js';

export interface CommittedApplierParts {
  readonly id: NodeId;
  readonly rawNode: RawNode;
  readonly mvcc: MvccStore;
  readonly members: MemberTable;
  readonly proposals: ProposalTracker;
  readonly metrics: NodeMetrics;
  /** The leader's spans for traced entries followers forwarded; set only while tracing is on. */
  readonly forwardedTraces?: ForwardedEntryTraces;
  /** The membership changed: the node updates its transport peers. */
  readonly onMembershipChange: (confState: ConfState) => void;
}

export class CommittedApplier {
  constructor(private readonly parts: CommittedApplierParts) {}

  async apply(entries: readonly Entry[]): Promise<void> {
    const { mvcc, metrics } = this.parts;
    const applyStarted = performance.now();
    const batch: ApplyEntry[] = new Array<ApplyEntry>(entries.length);
    const requestIds: number[] = new Array<number>(entries.length).fill(UNTRACKED_REQUEST_ID);
    const memberChanges: Array<EntryEnvelope | undefined> = new Array<EntryEnvelope | undefined>(entries.length);
    let applySpans: Span[] | undefined;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.type === EntryType.ConfChange || entry.data.byteLength === 0) {
        batch[i] = { index: entry.index, term: entry.term, data: EMPTY_BYTES };
        continue;
      }
      const envelope = decodeEnvelope(entry.data);
      if (envelope.kind !== EntryKind.MvccRequest) {
        // A member's details: not the state machine's, which only records the index.
        memberChanges[i] = envelope;
        batch[i] = { index: entry.index, term: entry.term, data: EMPTY_BYTES };
        continue;
      }
      if (envelope.originId === this.parts.id) requestIds[i] = envelope.requestId;
      if (envelope.traceContext !== undefined) applySpans = this.traceApply(entry, envelope, applySpans);
      batch[i] = { index: entry.index, term: entry.term, data: envelope.payload };
    }
    const started = performance.now();
    const results = await mvcc.apply(batch);
    metrics.backendCommitDuration.observe((performance.now() - started) / 1000);
    metrics.proposalsApplied.inc(entries.length);
    if (applySpans !== undefined) for (const span of applySpans) endSpan(span);
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.type === EntryType.ConfChange) this.applyConfChange(entry);
      else if (requestIds[i] !== UNTRACKED_REQUEST_ID) this.parts.proposals.settle(requestIds[i]!, results[i]!);
      else if (memberChanges[i] !== undefined) this.applyMemberChange(memberChanges[i]!);
    }
    const applySeconds = (performance.now() - applyStarted) / 1000;
    metrics.applyDuration.observe(applySeconds);
    if (applySeconds > SLOW_APPLY_SECONDS) metrics.slowApplies.inc();
  }

  /** This node's own entry through its proposal; on the leader, an entry a follower forwarded. */
  private traceApply(entry: Entry, envelope: EntryEnvelope, applySpans: Span[] | undefined): Span[] | undefined {
    if (envelope.originId === this.parts.id) {
      this.parts.proposals.applying(envelope.requestId, entry.index, entry.term);
      return applySpans;
    }
    const span = this.parts.forwardedTraces?.applying(entry);
    if (span === undefined) return applySpans;
    const spans = applySpans ?? [];
    spans.push(span);
    return spans;
  }

  private applyMemberChange(envelope: EntryEnvelope): void {
    this.parts.members.applyEntry(envelope);
    // A new peer address: the transport dials the member there from now on.
    if (envelope.kind === EntryKind.MemberPeerAddress) this.parts.onMembershipChange(this.parts.rawNode.status().confState);
  }

  private applyConfChange(entry: Entry): void {
    const change = decodeConfChange(entry.data);
    const confState = this.parts.rawNode.applyConfChange(change);
    this.parts.members.applyConfChange(change);
    this.parts.onMembershipChange(confState);
  }
}
