// A list cursor: the revision the first page read, then the key the next page starts at. The
// revision makes every page of one listing read the same view while writes continue.
import { ApiError } from '../../errors.js';

/** Bytes of the pinned revision at the start of a cursor: 48 bits outlast any real store. */
const CURSOR_REVISION_BYTES = 6;

export interface ListCursor {
  readonly revision: number;
  readonly nextKey: Uint8Array;
}

export function encodeListCursor(cursor: ListCursor): Uint8Array {
  const bytes = Buffer.allocUnsafe(CURSOR_REVISION_BYTES + cursor.nextKey.length);
  bytes.writeUIntBE(cursor.revision, 0, CURSOR_REVISION_BYTES);
  bytes.set(cursor.nextKey, CURSOR_REVISION_BYTES);
  return bytes;
}

/** Refuses a cursor this API did not return, or one of a listing under another prefix. */
export function decodeListCursor(cursor: Uint8Array, prefix: Uint8Array): ListCursor {
  const bytes = Buffer.from(cursor.buffer, cursor.byteOffset, cursor.byteLength);
  const invalid = (reason: string): ApiError => new ApiError('API_INVALID_PARAMETER', { name: 'cursor', reason });
  if (bytes.length <= CURSOR_REVISION_BYTES) throw invalid('it is not a cursor this API returned');
  const nextKey = bytes.subarray(CURSOR_REVISION_BYTES);
  if (Buffer.compare(nextKey.subarray(0, prefix.length), prefix) !== 0) throw invalid('it belongs to a listing of another prefix');
  return { revision: bytes.readUIntBE(0, CURSOR_REVISION_BYTES), nextKey };
}
