// A compact binary encoding of ConfChange for the data of ConfChange entries:
//   version u8 | transition u8 | change count u32 | (type u8, node id u64)* | context length u32 | context
// Integers are big-endian. Decoding checks every field, so a corrupted entry fails loudly.

import type { ConfChange, ConfChangeSingle } from './types.js';
import { ConfChangeTransition, ConfChangeType, nodeId } from './types.js';

const FORMAT_VERSION = 1;
const HEADER_BYTES = 1 + 1 + 4;
const CHANGE_BYTES = 1 + 8;
const CONTEXT_LENGTH_BYTES = 4;
const UINT32_RANGE = 0x1_0000_0000;

export function encodeConfChange(cc: ConfChange): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES + cc.changes.length * CHANGE_BYTES + CONTEXT_LENGTH_BYTES + cc.context.byteLength);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, FORMAT_VERSION);
  view.setUint8(1, cc.transition);
  view.setUint32(2, cc.changes.length);
  let offset = HEADER_BYTES;
  for (const change of cc.changes) {
    if (!Number.isSafeInteger(change.nodeId) || change.nodeId < 0) {
      throw new RangeError(`cannot encode ConfChange: node id must be a non-negative safe integer, got ${change.nodeId}`);
    }
    view.setUint8(offset, change.type);
    view.setUint32(offset + 1, Math.floor(change.nodeId / UINT32_RANGE));
    view.setUint32(offset + 5, change.nodeId % UINT32_RANGE);
    offset += CHANGE_BYTES;
  }
  view.setUint32(offset, cc.context.byteLength);
  bytes.set(cc.context, offset + CONTEXT_LENGTH_BYTES);
  return bytes;
}

/** Throws an Error naming the first problem when `bytes` is not an encoded ConfChange. */
export function decodeConfChange(bytes: Uint8Array): ConfChange {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (offset: number, length: number, what: string): void => {
    if (offset + length > bytes.byteLength) malformed(`truncated at byte ${offset} while reading ${what}`);
  };
  need(0, HEADER_BYTES, 'the header');
  const version = view.getUint8(0);
  if (version !== FORMAT_VERSION) malformed(`unknown format version ${version}`);
  const transition = view.getUint8(1);
  if (transition !== ConfChangeTransition.Auto && transition !== ConfChangeTransition.JointExplicit) {
    malformed(`unknown transition ${transition}`);
  }
  const changeCount = view.getUint32(2);
  need(HEADER_BYTES, changeCount * CHANGE_BYTES, `${changeCount} changes`);
  const changes: ConfChangeSingle[] = [];
  let offset = HEADER_BYTES;
  for (let i = 0; i < changeCount; i++) {
    changes.push(decodeChange(view, offset));
    offset += CHANGE_BYTES;
  }
  need(offset, CONTEXT_LENGTH_BYTES, 'the context length');
  const contextLength = view.getUint32(offset);
  offset += CONTEXT_LENGTH_BYTES;
  need(offset, contextLength, 'the context');
  if (offset + contextLength !== bytes.byteLength) {
    malformed(`${bytes.byteLength - offset - contextLength} unexpected bytes after the context`);
  }
  return { transition, changes, context: bytes.slice(offset, offset + contextLength) };
}

function decodeChange(view: DataView, offset: number): ConfChangeSingle {
  const type = view.getUint8(offset);
  if (type !== ConfChangeType.AddNode && type !== ConfChangeType.RemoveNode && type !== ConfChangeType.AddLearnerNode) {
    malformed(`unknown change type ${type} at byte ${offset}`);
  }
  const id = view.getUint32(offset + 1) * UINT32_RANGE + view.getUint32(offset + 5);
  if (!Number.isSafeInteger(id)) malformed(`node id at byte ${offset + 1} exceeds the safe integer range`);
  return { type, nodeId: nodeId(id) };
}

function malformed(reason: string): never {
  throw new Error(`malformed ConfChange: ${reason}`);
}
