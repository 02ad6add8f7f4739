// The application the simulated cluster replicates. Its whole state is a digest folded over
// the applied entries, so two nodes that applied the same sequence hold the same state, and a
// snapshot (which carries the digest) can be compared with what every other node applied.
// Commands are unique ids, so each committed entry is identifiable by its index alone.

import type { Entry } from '../../src/raft/types.js';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** The digest of an empty state machine (what a new cluster's snapshot at index 0 holds). */
export const INITIAL_STATE_DIGEST = FNV_OFFSET;

export enum CommandKind {
  /** A client's write. */
  Write = 1,
  /** The liveness probe proposed once faults have healed. */
  Probe = 2,
}

export interface Command {
  readonly kind: CommandKind;
  readonly id: number;
}

/** A 32-bit digest of an entry's type and data (FNV-1a). Terms are compared separately. */
export function entryDigest(entry: Entry): number {
  let hash = Math.imul(FNV_OFFSET ^ entry.type, FNV_PRIME);
  const data = entry.data;
  for (let offset = 0; offset < data.length; offset++) hash = Math.imul(hash ^ data[offset]!, FNV_PRIME);
  return hash >>> 0;
}

/** The state after applying `entry` to a state with digest `stateDigest`. */
export function applyToDigest(stateDigest: number, entry: Entry, digestOfEntry: number): number {
  let hash = Math.imul(stateDigest ^ entry.index, FNV_PRIME);
  hash = Math.imul(hash ^ entry.term, FNV_PRIME);
  return Math.imul(hash ^ digestOfEntry, FNV_PRIME) >>> 0;
}

const SNAPSHOT_DATA_BYTES = 12;

/** Snapshot data: the index the state was taken at and the state's digest. */
export function encodeSnapshotData(index: number, stateDigest: number): Uint8Array {
  const bytes = new Uint8Array(SNAPSHOT_DATA_BYTES);
  const view = new DataView(bytes.buffer);
  view.setFloat64(0, index);
  view.setUint32(8, stateDigest);
  return bytes;
}

/** Decodes snapshot data; an empty snapshot (a new cluster's, at index 0) is the empty state. */
export function decodeSnapshotData(data: Uint8Array): { index: number; stateDigest: number } {
  if (data.length === 0) return { index: 0, stateDigest: INITIAL_STATE_DIGEST };
  if (data.length !== SNAPSHOT_DATA_BYTES) throw new Error(`snapshot data has ${data.length} bytes, expected 12`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { index: view.getFloat64(0), stateDigest: view.getUint32(8) };
}

const COMMAND_HEADER_BYTES = 5;

/** A command: its kind, its unique id and `paddingBytes` of filler so entry sizes vary. */
export function encodeCommand(command: Command, paddingBytes: number): Uint8Array {
  const bytes = new Uint8Array(COMMAND_HEADER_BYTES + paddingBytes);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, command.kind);
  view.setUint32(1, command.id);
  for (let offset = COMMAND_HEADER_BYTES; offset < bytes.length; offset++) bytes[offset] = offset;
  return bytes;
}

/** The command in a Normal entry's data, or null for the leader's empty no-op entry. */
export function decodeCommand(data: Uint8Array): Command | null {
  if (data.length === 0) return null;
  if (data.length < COMMAND_HEADER_BYTES) throw new Error(`command of ${data.length} bytes is shorter than its header`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const kind = view.getUint8(0);
  if (kind !== CommandKind.Write && kind !== CommandKind.Probe) throw new Error(`unknown command kind ${kind}`);
  return { kind, id: view.getUint32(1) };
}
