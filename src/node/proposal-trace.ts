// The node's spans of a traced write, beneath the request's server span:
//
//   <server span>                 gRPC or REST, on the member the client called
//     raft.propose                validated, encoded and taken by the Raft core (on the leader)
//     raft.commit                 until the entry is committed: raft.index, raft.term
//     raft.apply                  applied to the state machine, until the caller is answered
//     reply                       (the API's) the response sent
//
// On a follower the entry goes to the leader inside Raft: `raft.forward` (raft.leader_id)
// replaces propose and commit and ends with the entry's raft.index and raft.term. The entry
// carries the forward span's context (entry-envelope.ts), and the leader hangs its own
// `raft.commit` (from its append) and `raft.apply` beneath it: one trace across both members.
import { decodeSpanContext, encodeSpanContext, endSpan, type Span, type SpanContext, startChildSpan } from '../observability/spans.js';
import type { Entry, NodeId } from '../raft/types.js';
import { decodeEnvelope, isTracedEnvelope } from './entry-envelope.js';

export class ProposalTrace {
  private phase: Span | undefined;

  constructor(
    private readonly request: Span,
    private readonly forwardedTo: NodeId | undefined,
  ) {
    this.phase = forwardedTo === undefined ? startChildSpan(request, 'raft.propose') : startChildSpan(request, 'raft.forward', { 'raft.leader_id': forwardedTo.toString(16) });
  }

  /** What the entry carries, so that the leader's spans join this trace. */
  spanContext(): Uint8Array | undefined {
    return this.phase === undefined ? undefined : encodeSpanContext(this.phase);
  }

  /** The Raft core took the entry: a leader now waits for the commit. */
  proposed(): void {
    if (this.forwardedTo !== undefined) return;
    endSpan(this.phase);
    this.phase = startChildSpan(this.request, 'raft.commit');
  }

  /** The entry is committed and about to be applied. */
  applying(index: number, term: number): void {
    this.phase?.setAttributes({ 'raft.index': index, 'raft.term': term });
    endSpan(this.phase);
    this.phase = startChildSpan(this.request, 'raft.apply');
  }

  /** The caller is answered, or failed with `error`. */
  ended(error?: Error): void {
    endSpan(this.phase, error);
    this.phase = undefined;
  }
}

/** An entry another member proposed and traced, as the leader appended it. */
interface AppendedEntry {
  readonly term: number;
  readonly parent: SpanContext;
  readonly appendedAtMs: number;
}

/** The leader's spans for traced entries that followers forwarded; kept only while tracing is on. */
export class ForwardedEntryTraces {
  // Invariant: entries this node appended as the leader and has not applied yet.
  private readonly appended = new Map<number, AppendedEntry>();

  constructor(private readonly id: NodeId) {}

  /** Entries this leader appended: the traced ones another member proposed are timed from now. */
  leaderAppended(entries: readonly Entry[]): void {
    for (const entry of entries) {
      if (!isTracedEnvelope(entry.data)) continue;
      const envelope = decodeEnvelope(entry.data);
      if (envelope.originId === this.id || envelope.traceContext === undefined) continue;
      this.appended.set(entry.index, { term: entry.term, parent: decodeSpanContext(envelope.traceContext), appendedAtMs: Date.now() });
    }
  }

  /** The entry is committed and about to be applied: returns its apply span to end once applied. */
  applying(entry: Entry): Span | undefined {
    const appended = this.appended.get(entry.index);
    if (appended === undefined) return undefined;
    this.appended.delete(entry.index);
    // Another leader's entry replaced the one this node appended at that index.
    if (appended.term !== entry.term) return undefined;
    endSpan(startChildSpan(appended.parent, 'raft.commit', { 'raft.index': entry.index, 'raft.term': entry.term }, appended.appendedAtMs));
    return startChildSpan(appended.parent, 'raft.apply');
  }
}
