// How a stored key looks to HTTP clients: as JSON (lists, batches, transactions, watch
// events) and as response headers beside a raw value (GET and HEAD of one key).
import { isUtf8 } from 'node:buffer';
import type { FastifyReply } from 'fastify';
import type { KeyValue } from '../../mvcc/index.js';
import { entityTagOf } from '../shared/entity-tags.js';

/** Text when the bytes are valid UTF-8, base64 otherwise; `encoding` says which. */
export interface EncodedBytes {
  readonly text: string;
  readonly encoding: 'utf8' | 'base64';
}

export function encodeBytes(bytes: Uint8Array): EncodedBytes {
  const buffer = asBuffer(bytes);
  return isUtf8(buffer) ? { text: buffer.toString('utf8'), encoding: 'utf8' } : { text: buffer.toString('base64'), encoding: 'base64' };
}

/** A Buffer view of the same memory: values are never copied on their way out. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export interface KeyValueJson {
  readonly key: string;
  /** Present only when the key is not valid UTF-8 (then `key` is base64). */
  readonly keyEncoding?: 'base64';
  readonly value?: string;
  readonly encoding?: 'utf8' | 'base64';
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  readonly lease: number;
  readonly contentType: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
}

export function keyValueJson(kv: KeyValue, keysOnly = false): KeyValueJson {
  const key = encodeBytes(kv.key);
  const value = keysOnly ? undefined : encodeBytes(kv.value);
  return {
    key: key.text,
    ...(key.encoding === 'base64' ? { keyEncoding: 'base64' as const } : {}),
    ...(value === undefined ? {} : { value: value.text, encoding: value.encoding }),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    lease: kv.lease,
    contentType: kv.metadata.contentType,
    tags: Object.fromEntries(kv.metadata.tags),
    createdAt: isoTime(kv.metadata.createdAtMs),
    updatedAt: isoTime(kv.metadata.updatedAtMs),
  };
}

function isoTime(ms: number): string | null {
  return ms > 0 ? new Date(ms).toISOString() : null;
}

/** The key's entity tag: its mod revision, which changes with every write of the key. */
export const TAG_HEADER_PREFIX = 'x-bvault-tag-';

/** Metadata headers of GET and HEAD. Tag values are percent-encoded, as PUT expects them. */
export function setKeyHeaders(reply: FastifyReply, kv: KeyValue, storeRevision: number): void {
  reply.header('etag', entityTagOf(kv.modRevision));
  reply.header('x-bvault-create-revision', kv.createRevision);
  reply.header('x-bvault-mod-revision', kv.modRevision);
  reply.header('x-bvault-version', kv.version);
  reply.header('x-bvault-lease', kv.lease);
  reply.header('x-bvault-revision', storeRevision);
  if (kv.metadata.updatedAtMs > 0) reply.header('last-modified', new Date(kv.metadata.updatedAtMs).toUTCString());
  for (const [name, value] of kv.metadata.tags) reply.header(TAG_HEADER_PREFIX + name, encodeURIComponent(value));
  reply.type(kv.metadata.contentType === '' ? 'application/octet-stream' : kv.metadata.contentType);
}
