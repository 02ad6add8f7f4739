// Requests a member sends to the leader outside Raft (transport.call): lease keep-alives and
// lease TTLs, which only the leader's lease clock knows, and membership changes, which only
// the leader can propose. Payloads are binary; an answer starts with a status byte, and an
// error answer carries its code and details, so the caller re-raises the same named error.

import { BinaryReader } from '../codec/binary-reader.js';
import { BinaryWriter } from '../codec/binary-writer.js';
import { MvccError, type MvccErrorCode } from '../mvcc/index.js';
import { NodeError, type NodeErrorCode } from './errors.js';

export const PeerMethod = {
  LeaseKeepAlive: 'node.leaseKeepAlive',
  LeaseRemainingTtl: 'node.leaseRemainingTtl',
  AddMember: 'node.addMember',
  PromoteMember: 'node.promoteMember',
  UpdateMember: 'node.updateMember',
  RemoveMember: 'node.removeMember',
  TransferLeadership: 'node.transferLeadership',
} as const;

const ANSWER_OK = 0;
const ANSWER_ERROR = 1;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** Encodes a list of non-negative integers and strings, in order. */
export function encodeFields(fields: readonly (number | string)[]): Uint8Array {
  const writer = new BinaryWriter(32);
  for (const field of fields) {
    if (typeof field === 'number') writer.varint(field);
    else writer.bytes(utf8.encode(field));
  }
  return writer.finish();
}

export class FieldReader {
  private readonly reader: BinaryReader;

  constructor(bytes: Uint8Array) {
    this.reader = new BinaryReader(bytes);
  }

  integer(field: string): number {
    return this.reader.varint(field);
  }

  text(field: string): string {
    return fromUtf8.decode(this.reader.bytes(field));
  }
}

export function okAnswer(body: Uint8Array): Uint8Array {
  return prefixed(ANSWER_OK, body);
}

export function errorAnswer(error: unknown): Uint8Array {
  if (error instanceof NodeError || error instanceof MvccError) {
    const details = Object.entries(error.details).flatMap(([key, value]) => [key, String(value)]);
    const body = encodeFields([error.code, details.length / 2, ...details]);
    return prefixed(ANSWER_ERROR, body);
  }
  throw error;
}

/** The body of an ok answer, or throws the error the peer answered with. */
export function answerBody(answer: Uint8Array): Uint8Array {
  if (answer[0] === ANSWER_OK) return answer.subarray(1);
  const reader = new FieldReader(answer.subarray(1));
  const code = reader.text('error code');
  const count = reader.integer('detail count');
  const details: Record<string, string> = {};
  for (let i = 0; i < count; i++) details[reader.text('detail name')] = reader.text('detail value');
  if (code.startsWith('MVCC_')) throw new MvccError(code as MvccErrorCode, details as never);
  throw new NodeError(code as NodeErrorCode, details);
}

function prefixed(status: number, body: Uint8Array): Uint8Array {
  const answer = new Uint8Array(body.byteLength + 1);
  answer[0] = status;
  answer.set(body, 1);
  return answer;
}
