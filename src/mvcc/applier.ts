// Executes one decoded request against the write buffer of the current apply batch. All
// checks run before the first write, and the caller rolls back the buffer and the state if
// a request fails anyway, so a failed request changes nothing and does not bump the revision.
import { applyAuthRequest } from '../auth/auth-apply.js';
import { encodeAuthState } from '../auth/auth-codec.js';
import type { AuthRequest, TokenEvent } from '../auth/auth-requests.js';
import type { AuthState, Caller } from '../auth/auth-state.js';
import { checkKeysWritable, checkRequestPermitted } from '../auth/request-permissions.js';
import { MvccError } from './errors.js';
import type { Keyspace } from './key-codec.js';
import { RevisionWriter } from './kv-writer.js';
import type { MvccLimits } from './limits.js';
import { attachedKeys, checkpointLeases, grantLease, type LeaseEvent, revokeLease } from './lessor.js';
import { executeRange, keyRange } from './range.js';
import type { MetaRecord } from './record-codec.js';
import type { DeleteRangeRequest, MvccResponse, RangeRequest, RequestEnvelope, RestoreBeginRequest, TxnRequest } from './requests.js';
import { applyAlarm, noSpaceActive } from './quota.js';
import { stageRestoreBegin, stageRestoreChunk } from './restore-staging.js';
import { validateRequest } from './request-validation.js';
import type { WriteBuffer } from './storage.js';
import { checkPut, executeTxn, txnHasPut } from './txn.js';
import type { PositionedEvent } from './types.js';
import { revision } from './types.js';

export interface ApplyContext {
  readonly buffer: WriteBuffer;
  readonly keyspace: Keyspace;
  readonly limits: MvccLimits;
  /** Events of the batch so far, published to watchers after the batch commits. */
  readonly events: PositionedEvent[];
  readonly leaseEvents: LeaseEvent[];
  /** The auth state as of this entry: earlier entries of the batch included. */
  readonly auth: AuthState;
  /** Simple tokens assigned in the batch so far, handed to the token table after the batch commits. */
  readonly tokenEvents: TokenEvent[];
}

export interface Applied {
  readonly response: MvccResponse;
  readonly state: MetaRecord;
  /** Set when the request changed the auth state (its record is already in the buffer). */
  readonly auth?: AuthState;
}

/**
 * Applies one request. Requests that need no range scan (put, the lease bookkeeping, alarms)
 * apply synchronously, so the common write costs no async frame or microtask per entry; the
 * others return a promise.
 */
export function applyRequest(context: ApplyContext, state: MetaRecord, envelope: RequestEnvelope): Applied | Promise<Applied> {
  const { request, timestampMs, caller } = envelope;
  validateRequest(request, context.limits);
  checkRequestPermitted(context.auth, caller, request);
  switch (request.type) {
    case 'range':
      return applyRange(context, state, request.range);
    case 'put': {
      if (noSpaceActive(state.alarms)) throw new MvccError('MVCC_NOSPACE');
      checkPut({ reader: context.buffer, keyspace: context.keyspace }, request.put);
      const revisionWriter = newWriter(context, state, timestampMs);
      const prevKv = revisionWriter.put(request.put);
      const header = { revision: revisionWriter.revision };
      const put = request.put.prevKv === true && prevKv !== undefined ? { header, prevKv } : { header };
      return { state: { ...state, revision: revisionWriter.revision }, response: { type: 'put', put } };
    }
    case 'deleteRange':
      return applyDeleteRange(context, state, timestampMs, request.deleteRange);
    case 'txn':
      if (noSpaceActive(state.alarms) && txnHasPut(request.txn)) throw new MvccError('MVCC_NOSPACE');
      return applyTxn(context, state, timestampMs, request.txn);
    case 'compaction': {
      const target = request.compaction.revision;
      if (target > state.revision) throw new MvccError('MVCC_FUTURE_REV');
      if (target <= state.compactRevision) throw new MvccError('MVCC_COMPACTED', { compactRevision: state.compactRevision });
      return { state: { ...state, compactRevision: revision(target) }, response: { type: 'compaction', compaction: { header: { revision: state.revision } } } };
    }
    case 'leaseGrant': {
      if (noSpaceActive(state.alarms)) throw new MvccError('MVCC_NOSPACE');
      const granted = grantLease({ ...context, timestampMs }, request.leaseGrant, state.nextLeaseId);
      const leaseGrant = { header: { revision: state.revision }, id: granted.record.id, ttl: granted.record.ttl };
      return { state: { ...state, nextLeaseId: granted.nextLeaseId }, response: { type: 'leaseGrant', leaseGrant } };
    }
    case 'leaseRevoke':
      return applyLeaseRevoke(context, state, timestampMs, request.leaseRevoke.id, caller);
    case 'leaseCheckpoint':
      checkpointLeases({ ...context, timestampMs }, request.leaseCheckpoint);
      return { state, response: { type: 'leaseCheckpoint', leaseCheckpoint: { header: { revision: state.revision } } } };
    case 'alarm': {
      const { alarms, response } = applyAlarm(state.alarms, request.alarm);
      return { state: { ...state, alarms }, response: { type: 'alarm', alarm: { header: { revision: state.revision }, alarms: response } } };
    }
    case 'restoreBegin':
      return applyRestoreBegin(context, state, request.restoreBegin);
    case 'restoreChunk':
      stageRestoreChunk(context.buffer, context.keyspace, request.restoreChunk);
      return { state, response: { type: 'restoreChunk', restoreChunk: { header: { revision: state.revision } } } };
    case 'restoreCommit':
      // It replaces the whole state, which one batch's write buffer cannot express.
      throw new Error('a restore commit is applied by MvccStore.apply itself, between batches');
    case 'auth':
      return applyAuth(context, state, request.auth, caller);
  }
}

function applyAuth(context: ApplyContext, state: MetaRecord, request: AuthRequest, caller: Caller | undefined): Applied {
  const auth = applyAuthRequest(context.auth, request, caller);
  const tokenEvent = tokenEventOf(request);
  if (tokenEvent !== undefined) context.tokenEvents.push(tokenEvent);
  if (auth !== context.auth) context.buffer.put(context.keyspace.authKey(), encodeAuthState(auth));
  const response: MvccResponse = { type: 'auth', auth: { header: { revision: state.revision }, op: request.op, authRevision: auth.revision } };
  return auth === context.auth ? { state, response } : { state, response, auth };
}

function newWriter(context: ApplyContext, state: MetaRecord, timestampMs: number): RevisionWriter {
  return new RevisionWriter(context.buffer, context.keyspace, state.revision, timestampMs, context.events);
}

function tokenEventOf(request: AuthRequest): TokenEvent | undefined {
  if (request.op === 'authenticate') return { type: 'assigned', name: request.name, token: request.token };
  if (request.op === 'userDelete' || request.op === 'userChangePassword') return { type: 'userInvalidated', name: request.name };
  if (request.op === 'authDisable') return { type: 'allInvalidated' };
  return undefined;
}

async function applyRange(context: ApplyContext, state: MetaRecord, request: RangeRequest): Promise<Applied> {
  const range = await executeRange(context.buffer, context.keyspace, request, { revision: state.revision, compactRevision: state.compactRevision });
  return { state, response: { type: 'range', range } };
}

async function applyDeleteRange(context: ApplyContext, state: MetaRecord, timestampMs: number, request: DeleteRangeRequest): Promise<Applied> {
  const revisionWriter = newWriter(context, state, timestampMs);
  const deleted = await revisionWriter.deleteRange(keyRange(request.key, request.rangeEnd));
  const deleteRange = { header: { revision: revisionWriter.revision }, deleted: deleted.length, prevKvs: request.prevKv === true ? deleted : [] };
  return { state: { ...state, revision: revisionWriter.revision }, response: { type: 'deleteRange', deleteRange } };
}

async function applyTxn(context: ApplyContext, state: MetaRecord, timestampMs: number, request: TxnRequest): Promise<Applied> {
  const revisionWriter = newWriter(context, state, timestampMs);
  const txn = await executeTxn({ reader: context.buffer, keyspace: context.keyspace, writer: revisionWriter, compactRevision: state.compactRevision }, request);
  return { state: { ...state, revision: revisionWriter.revision }, response: { type: 'txn', txn } };
}

async function applyLeaseRevoke(context: ApplyContext, state: MetaRecord, timestampMs: number, id: number, caller: Caller | undefined): Promise<Applied> {
  if (caller !== undefined && context.auth.enabled) checkKeysWritable(context.auth, caller, (await attachedKeys(context.buffer, context.keyspace, id)).map((kv) => kv.key));
  const revisionWriter = newWriter(context, state, timestampMs);
  await revokeLease({ ...context, timestampMs }, revisionWriter, id);
  return { state: { ...state, revision: revisionWriter.revision }, response: { type: 'leaseRevoke', leaseRevoke: { header: { revision: revisionWriter.revision } } } };
}

async function applyRestoreBegin(context: ApplyContext, state: MetaRecord, request: RestoreBeginRequest): Promise<Applied> {
  await stageRestoreBegin(context.buffer, context.keyspace, request);
  return { state, response: { type: 'restoreBegin', restoreBegin: { header: { revision: state.revision } } } };
}
