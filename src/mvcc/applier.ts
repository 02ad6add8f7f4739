// Executes one decoded request against the write buffer of the current apply batch. All
// checks run before the first write, and the caller rolls back the buffer and the state if
// a request fails anyway, so a failed request changes nothing and does not bump the revision.
import { MvccError } from './errors.js';
import type { Keyspace } from './key-codec.js';
import { RevisionWriter } from './kv-writer.js';
import type { MvccLimits } from './limits.js';
import { checkpointLeases, grantLease, type LeaseEvent, revokeLease } from './lessor.js';
import { executeRange, keyRange } from './range.js';
import type { MetaRecord } from './record-codec.js';
import type { MvccResponse, RequestEnvelope } from './requests.js';
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
}

export interface Applied {
  readonly response: MvccResponse;
  readonly state: MetaRecord;
}

export async function applyRequest(context: ApplyContext, state: MetaRecord, envelope: RequestEnvelope): Promise<Applied> {
  const { request, timestampMs } = envelope;
  validateRequest(request, context.limits);
  const view = { revision: state.revision, compactRevision: state.compactRevision };
  const writer = (): RevisionWriter => new RevisionWriter(context.buffer, context.keyspace, state.revision, timestampMs, context.events);
  const leaseContext = { ...context, timestampMs };
  const header = { revision: state.revision };
  switch (request.type) {
    case 'range':
      return { state, response: { type: 'range', range: await executeRange(context.buffer, context.keyspace, request.range, view) } };
    case 'put': {
      if (noSpaceActive(state.alarms)) throw new MvccError('MVCC_NOSPACE');
      checkPut({ reader: context.buffer, keyspace: context.keyspace }, request.put);
      const revisionWriter = writer();
      const prevKv = revisionWriter.put(request.put);
      const put = request.put.prevKv === true && prevKv !== undefined ? { header: { revision: revisionWriter.revision }, prevKv } : { header: { revision: revisionWriter.revision } };
      return { state: { ...state, revision: revisionWriter.revision }, response: { type: 'put', put } };
    }
    case 'deleteRange': {
      const revisionWriter = writer();
      const deleted = await revisionWriter.deleteRange(keyRange(request.deleteRange.key, request.deleteRange.rangeEnd));
      const deleteRange = { header: { revision: revisionWriter.revision }, deleted: deleted.length, prevKvs: request.deleteRange.prevKv === true ? deleted : [] };
      return { state: { ...state, revision: revisionWriter.revision }, response: { type: 'deleteRange', deleteRange } };
    }
    case 'txn': {
      if (noSpaceActive(state.alarms) && txnHasPut(request.txn)) throw new MvccError('MVCC_NOSPACE');
      const revisionWriter = writer();
      const txn = await executeTxn({ reader: context.buffer, keyspace: context.keyspace, writer: revisionWriter, compactRevision: state.compactRevision }, request.txn);
      return { state: { ...state, revision: revisionWriter.revision }, response: { type: 'txn', txn } };
    }
    case 'compaction': {
      const target = request.compaction.revision;
      if (target > state.revision) throw new MvccError('MVCC_FUTURE_REV');
      if (target <= state.compactRevision) throw new MvccError('MVCC_COMPACTED', { compactRevision: state.compactRevision });
      return { state: { ...state, compactRevision: revision(target) }, response: { type: 'compaction', compaction: { header } } };
    }
    case 'leaseGrant': {
      if (noSpaceActive(state.alarms)) throw new MvccError('MVCC_NOSPACE');
      const granted = grantLease(leaseContext, request.leaseGrant, state.nextLeaseId);
      const leaseGrant = { header, id: granted.record.id, ttl: granted.record.ttl };
      return { state: { ...state, nextLeaseId: granted.nextLeaseId }, response: { type: 'leaseGrant', leaseGrant } };
    }
    case 'leaseRevoke': {
      const revisionWriter = writer();
      await revokeLease(leaseContext, revisionWriter, request.leaseRevoke.id);
      return { state: { ...state, revision: revisionWriter.revision }, response: { type: 'leaseRevoke', leaseRevoke: { header: { revision: revisionWriter.revision } } } };
    }
    case 'leaseCheckpoint':
      checkpointLeases(leaseContext, request.leaseCheckpoint);
      return { state, response: { type: 'leaseCheckpoint', leaseCheckpoint: { header } } };
    case 'alarm': {
      const { alarms, response } = applyAlarm(state.alarms, request.alarm);
      return { state: { ...state, alarms }, response: { type: 'alarm', alarm: { header, alarms: response } } };
    }
    case 'restoreBegin':
      await stageRestoreBegin(context.buffer, context.keyspace, request.restoreBegin);
      return { state, response: { type: 'restoreBegin', restoreBegin: { header } } };
    case 'restoreChunk':
      stageRestoreChunk(context.buffer, context.keyspace, request.restoreChunk);
      return { state, response: { type: 'restoreChunk', restoreChunk: { header } } };
    case 'restoreCommit':
      // It replaces the whole state, which one batch's write buffer cannot express.
      throw new Error('a restore commit is applied by MvccStore.apply itself, between batches');
  }
}
