// One segment of an apply call: the changes of consecutive committed entries, collected in one
// WriteBuffer so that later entries read earlier ones through it, and written by the store in
// one LevelDB batch with the applied index/term. A failed request is rolled back inside the
// segment and leaves no trace but the applied index. A restore commit replaces the state the
// segment builds on, so it ends one segment and the store opens the next (kv-store.ts).
import type { TokenEvent } from '../auth/auth-requests.js';
import type { AuthState } from '../auth/auth-state.js';
import { type Applied, applyRequest } from './applier.js';
import { MvccError } from './errors.js';
import type { Keyspace } from './key-codec.js';
import type { LeaseEvent } from './lessor.js';
import type { MvccLimits } from './limits.js';
import type { MetaRecord } from './record-codec.js';
import type { MvccResponse, RequestEnvelope } from './requests.js';
import { decodeRequest } from './request-codec.js';
import { validateRequestSize } from './request-validation.js';
import { type Database, DatabaseReader, WriteBuffer } from './storage.js';
import type { PositionedEvent } from './types.js';

export interface ApplyEntry {
  readonly index: number;
  readonly term: number;
  readonly data: Uint8Array;
}

/** One result per entry, in order. A failed request changed nothing. */
export type ApplyResult =
  | { readonly index: number; readonly outcome: 'ok'; readonly response: MvccResponse }
  | { readonly index: number; readonly outcome: 'error'; readonly error: MvccError }
  /** An empty entry (the leader's no-op): only the applied index moved. */
  | { readonly index: number; readonly outcome: 'noop' }
  /** The entry is at or below the stored applied index (a replay after restart) and was skipped. */
  | { readonly index: number; readonly outcome: 'alreadyApplied' };

/** The changes of consecutive entries of one apply call, written in one LevelDB batch. */
export interface ApplySegment {
  readonly buffer: WriteBuffer;
  // Invariant: the generation the store had when the segment opened; a restore commit, which switches it, ends the segment.
  readonly keyspace: Keyspace;
  readonly limits: MvccLimits;
  /** Events of the segment so far, published to watchers after it commits. */
  readonly events: PositionedEvent[];
  readonly leaseEvents: LeaseEvent[];
  readonly tokenEvents: TokenEvent[];
  state: MetaRecord;
  auth: AuthState;
}

/** Where a segment stood before a request, so a failed request can be undone. */
interface SegmentMarks {
  readonly buffer: number;
  readonly events: number;
  readonly leaseEvents: number;
  readonly tokenEvents: number;
}

/** A segment that starts from the store's committed `state` and `auth`. */
export function openSegment(db: Database, keyspace: Keyspace, limits: MvccLimits, state: MetaRecord, auth: AuthState): ApplySegment {
  return { buffer: new WriteBuffer(new DatabaseReader(db)), keyspace, limits, events: [], leaseEvents: [], tokenEvents: [], state, auth };
}

/** The entry's request, or the MvccError an oversized or undecodable entry is answered with. */
export function decodeEntry(data: Uint8Array, limits: MvccLimits): RequestEnvelope | MvccError {
  try {
    validateRequestSize(data.length, limits);
    return decodeRequest(data);
  } catch (error) {
    if (error instanceof MvccError) return error;
    throw error;
  }
}

/**
 * Applies one entry into the segment's buffer; a failed request is rolled back and leaves no
 * trace. Synchronous unless the request reads a range, so a batch of puts awaits nothing.
 */
export function applyInSegment(segment: ApplySegment, entry: ApplyEntry, decoded: RequestEnvelope | MvccError | undefined): ApplyResult | Promise<ApplyResult> {
  if (decoded === undefined) return advance(segment, entry, { index: entry.index, outcome: 'noop' });
  if (decoded instanceof MvccError) return advance(segment, entry, { index: entry.index, outcome: 'error', error: decoded });
  const { buffer, events, leaseEvents, tokenEvents } = segment;
  const marks: SegmentMarks = { buffer: buffer.mark(), events: events.length, leaseEvents: leaseEvents.length, tokenEvents: tokenEvents.length };
  const context = { buffer, keyspace: segment.keyspace, limits: segment.limits, events, leaseEvents, tokenEvents, auth: segment.auth };
  let applied: Applied | Promise<Applied>;
  try {
    applied = applyRequest(context, segment.state, decoded);
  } catch (error) {
    return rollBack(segment, entry, marks, error);
  }
  if (!(applied instanceof Promise)) return succeed(segment, entry, applied);
  return applied.then(
    (done) => succeed(segment, entry, done),
    (error: unknown) => rollBack(segment, entry, marks, error),
  );
}

function succeed(segment: ApplySegment, entry: ApplyEntry, applied: Applied): ApplyResult {
  segment.state = applied.state;
  if (applied.auth !== undefined) segment.auth = applied.auth;
  return advance(segment, entry, { index: entry.index, outcome: 'ok', response: applied.response });
}

/** A request that failed with an MvccError is undone and becomes the entry's error result; anything else is fatal. */
function rollBack(segment: ApplySegment, entry: ApplyEntry, marks: SegmentMarks, error: unknown): ApplyResult {
  if (!(error instanceof MvccError)) throw error;
  segment.buffer.rollback(marks.buffer);
  segment.events.length = marks.events;
  segment.leaseEvents.length = marks.leaseEvents;
  segment.tokenEvents.length = marks.tokenEvents;
  return advance(segment, entry, { index: entry.index, outcome: 'error', error });
}

/** Every entry, applied or failed, moves the applied index. */
function advance(segment: ApplySegment, entry: ApplyEntry, result: ApplyResult): ApplyResult {
  segment.state = { ...segment.state, appliedIndex: entry.index, appliedTerm: entry.term };
  return result;
}
