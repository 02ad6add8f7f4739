// Byte accounting of entries: every size limit in the core (per append, per Ready, uncommitted)
// counts the bytes of entry data, so that the same arithmetic is used everywhere.

import type { Entry } from './types.js';

export function entriesDataBytes(entries: readonly Entry[]): number {
  let bytes = 0;
  for (const entry of entries) bytes += entry.data.byteLength;
  return bytes;
}

/**
 * The longest prefix of `entries` whose data fits in `bytesMax`, but never fewer than one
 * entry: a single oversized entry must still make progress.
 */
export function limitBytes<T extends { readonly data: Uint8Array }>(entries: T[], bytesMax: number): T[] {
  if (entries.length === 0) return entries;
  let bytes = entries[0]!.data.byteLength;
  let kept = 1;
  while (kept < entries.length) {
    bytes += entries[kept]!.data.byteLength;
    if (bytes > bytesMax) break;
    kept++;
  }
  return kept === entries.length ? entries : entries.slice(0, kept);
}
