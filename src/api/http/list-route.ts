// GET /api/v1/keys?prefix=&limit=&cursor= — keys by prefix, page by page. The first page
// pins the store revision; every later page reads at that revision, so a listing is one
// consistent view even while writes continue (until the pinned revision is compacted: 410).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type RangeRequest, validateRequest } from '../../mvcc/index.js';
import { ApiError } from '../errors.js';
import { keyAfter, prefixEnd, prefixStart } from '../shared/key-ranges.js';
import { keyValueJson } from './key-view.js';
import { listQuery } from './query-schemas.js';
import { parseQuery } from './request-parsing.js';
import type { RouteContext } from './route-context.js';

const DEFAULT_PAGE_KEYS = 100;
/** Bytes of the pinned revision at the start of a cursor. */
const CURSOR_REVISION_BYTES = 6;

interface Cursor {
  readonly revision: number;
  readonly nextKey: Uint8Array;
}

export function registerListRoute(app: FastifyInstance, context: RouteContext): void {
  app.get('/api/v1/keys', (request, reply) => listKeys(context, request, reply));
}

async function listKeys(context: RouteContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const query = parseQuery(request, listQuery(context.limits));
  const prefix = Buffer.from(query.prefix ?? '', 'utf8');
  const limit = query.limit ?? Math.min(DEFAULT_PAGE_KEYS, context.limits.listPageKeysMax);
  const keysOnly = query.keys_only ?? false;
  const cursorText = query.cursor;
  const cursor = cursorText === undefined || cursorText === '' ? undefined : decodeCursor(cursorText, prefix);
  const range: RangeRequest = { key: cursor?.nextKey ?? prefixStart(prefix), rangeEnd: prefixEnd(prefix), limit, revision: cursor?.revision ?? 0, keysOnly };
  validateRequest({ type: 'range', range }, context.limits);
  const response = await request.callerNode.range(range, { consistency: query.consistency ?? 'linearizable' });
  const revision = cursor?.revision ?? response.header.revision;
  const last = response.kvs[response.kvs.length - 1];
  const nextCursor = response.more && last !== undefined ? encodeCursor({ revision, nextKey: keyAfter(last.key) }) : null;
  await reply.send({ revision, items: response.kvs.map((kv) => keyValueJson(kv, keysOnly)), nextCursor });
}

function encodeCursor(cursor: Cursor): string {
  const bytes = Buffer.allocUnsafe(CURSOR_REVISION_BYTES + cursor.nextKey.length);
  bytes.writeUIntBE(cursor.revision, 0, CURSOR_REVISION_BYTES);
  bytes.set(cursor.nextKey, CURSOR_REVISION_BYTES);
  return bytes.toString('base64url');
}

function decodeCursor(text: string, prefix: Uint8Array): Cursor {
  const bytes = Buffer.from(text, 'base64url');
  const invalid = (reason: string): ApiError => new ApiError('API_INVALID_PARAMETER', { name: 'cursor', reason });
  if (bytes.length <= CURSOR_REVISION_BYTES || bytes.toString('base64url') !== text) throw invalid('it is not a cursor this API returned');
  const nextKey = bytes.subarray(CURSOR_REVISION_BYTES);
  if (Buffer.compare(nextKey.subarray(0, prefix.length), prefix) !== 0) throw invalid('it belongs to a listing of another prefix');
  return { revision: bytes.readUIntBE(0, CURSOR_REVISION_BYTES), nextKey };
}
