// File names of WAL segments and snapshots. Numbers are zero-padded hexadecimal so that a
// plain sort of the names is their numeric order, and a person listing the directory can read
// which entries a segment starts with and which index a snapshot covers.

const HEX_DIGITS = 16;
const SEGMENT_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;
const SNAPSHOT_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;
export const TEMPORARY_SUFFIX = '.tmp';

export interface SegmentName {
  /** Position in the sequence of segments, counting from 1; consecutive segments differ by 1. */
  readonly sequence: number;
  /** The index the log expected next when the segment was started (last index + 1). */
  readonly firstIndex: number;
}

export interface SnapshotName {
  readonly term: number;
  readonly index: number;
}

const hex = (value: number): string => value.toString(16).padStart(HEX_DIGITS, '0');

export function segmentFileName(name: SegmentName): string {
  return `${hex(name.sequence)}-${hex(name.firstIndex)}.wal`;
}

export function parseSegmentFileName(fileName: string): SegmentName | null {
  const match = SEGMENT_NAME.exec(fileName);
  if (!match) return null;
  return { sequence: Number.parseInt(match[1]!, 16), firstIndex: Number.parseInt(match[2]!, 16) };
}

export function snapshotFileName(name: SnapshotName): string {
  return `${hex(name.term)}-${hex(name.index)}.snap`;
}

export function parseSnapshotFileName(fileName: string): SnapshotName | null {
  const match = SNAPSHOT_NAME.exec(fileName);
  if (!match) return null;
  return { term: Number.parseInt(match[1]!, 16), index: Number.parseInt(match[2]!, 16) };
}
