// The types the client hands back, converted from the generated wire types at one place:
// revisions, versions and counts become numbers (a store would need 2^53 writes to outgrow
// them), ids stay bigint because cluster ids use all 64 bits.
import { AlarmType, type Member as WireMember, type StatusResponse } from '../generated/beavervault/v1/cluster.js';
import type { Event as WireEvent, KeyValue as WireKeyValue, ResponseHeader } from '../generated/beavervault/v1/types.js';
import { Consistency, EventType } from '../generated/beavervault/v1/types.js';

/** Keys and values: a string is sent as UTF-8. */
export type Bytes = string | Uint8Array;

export function bytesOf(value: Bytes): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

export interface KeyValue {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly createRevision: number;
  readonly modRevision: number;
  /** Puts since the key was created; 0 only for the key of a delete event. */
  readonly version: number;
  /** 0n when the key has no lease. */
  readonly lease: bigint;
  readonly contentType: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Unix milliseconds; 0 when unknown (e.g. in a delete event). */
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

/** Where and when a response was served. */
export interface ResponseInfo {
  readonly clusterId: bigint;
  readonly memberId: bigint;
  /** The store revision when the request was served (after it, for a write). */
  readonly revision: number;
  readonly raftTerm: number;
  /** 0n when the member knew no leader. */
  readonly leaderId: bigint;
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  readonly kv: KeyValue;
  /** The event's revision (the key's modRevision). */
  readonly revision: number;
  readonly prevKv?: KeyValue;
}

export interface Member {
  readonly id: bigint;
  readonly name: string;
  readonly peerAddress: string;
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

export interface ClusterStatus {
  readonly header: ResponseInfo;
  readonly name: string;
  readonly version: string;
  readonly role: string;
  readonly isLearner: boolean;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
  readonly compactRevision: number;
  readonly dbSizeBytes: number;
  readonly quotaBytes: number;
  readonly alarms: readonly { readonly memberId: bigint; readonly alarm: string }[];
  readonly ready: boolean;
  readonly notReadyReason: string;
}

/** linearizable (the default) asks the leader; serializable answers from the endpoint's own state. */
export type ReadConsistency = 'linearizable' | 'serializable';

export function wireConsistencyOf(consistency: ReadConsistency | undefined): Consistency {
  return consistency === 'serializable' ? Consistency.CONSISTENCY_SERIALIZABLE : Consistency.CONSISTENCY_LINEARIZABLE;
}

const EMPTY = Buffer.alloc(0);

export function keyValueOf(wire: WireKeyValue): KeyValue {
  return {
    key: asBuffer(wire.key),
    value: asBuffer(wire.value),
    createRevision: Number(wire.createRevision),
    modRevision: Number(wire.modRevision),
    version: Number(wire.version),
    lease: wire.lease,
    contentType: wire.metadata?.contentType ?? '',
    tags: { ...wire.metadata?.tags },
    createdAtMs: Number(wire.metadata?.createdAtMs ?? 0n),
    updatedAtMs: Number(wire.metadata?.updatedAtMs ?? 0n),
  };
}

export function optionalKeyValueOf(wire: WireKeyValue | undefined): KeyValue | undefined {
  return wire === undefined ? undefined : keyValueOf(wire);
}

export function headerOf(wire: ResponseHeader | undefined): ResponseInfo {
  return {
    clusterId: wire?.clusterId ?? 0n,
    memberId: wire?.memberId ?? 0n,
    revision: Number(wire?.revision ?? 0n),
    raftTerm: Number(wire?.raftTerm ?? 0n),
    leaderId: wire?.leaderId ?? 0n,
  };
}

export function watchEventOf(wire: WireEvent): WatchEvent {
  const kv = wire.kv === undefined ? keyValueOf({ key: EMPTY, value: EMPTY, createRevision: 0n, modRevision: 0n, version: 0n, lease: 0n, metadata: undefined }) : keyValueOf(wire.kv);
  const prevKv = optionalKeyValueOf(wire.prevKv);
  return { type: wire.type === EventType.EVENT_TYPE_DELETE ? 'delete' : 'put', kv, revision: kv.modRevision, ...(prevKv === undefined ? {} : { prevKv }) };
}

export function memberOf(wire: WireMember): Member {
  return { id: wire.id, name: wire.name, peerAddress: wire.peerAddress, clientUrls: [...wire.clientUrls], isLearner: wire.isLearner };
}

export function statusOf(wire: StatusResponse): ClusterStatus {
  return {
    header: headerOf(wire.header),
    name: wire.name,
    version: wire.version,
    role: wire.role,
    isLearner: wire.isLearner,
    commitIndex: Number(wire.commitIndex),
    appliedIndex: Number(wire.appliedIndex),
    lastIndex: Number(wire.lastIndex),
    compactRevision: Number(wire.compactRevision),
    dbSizeBytes: Number(wire.dbSizeBytes),
    quotaBytes: Number(wire.quotaBytes),
    alarms: wire.alarms.map((alarm) => ({ memberId: alarm.memberId, alarm: alarmName(alarm.alarm) })),
    ready: wire.ready,
    notReadyReason: wire.notReadyReason,
  };
}

function alarmName(alarm: AlarmType): string {
  return (AlarmType[alarm] ?? 'UNRECOGNIZED').replace('ALARM_TYPE_', '');
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
