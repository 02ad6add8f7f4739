// Shared fixtures for the MVCC tests: a real classic-level database in a fresh temporary
// directory, and a tiny "Raft" that wraps requests into entries with rising indexes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupId } from '../../src/raft/types.js';
import { type Database, openDatabase } from '../../src/mvcc/storage.js';
import type { ApplyResult } from '../../src/mvcc/apply-segment.js';
import { MvccStore, type MvccStoreOptions } from '../../src/mvcc/kv-store.js';
import { encodeRequest } from '../../src/mvcc/request-codec.js';
import type { MvccRequest, MvccResponse, RangeResponse } from '../../src/mvcc/requests.js';

export const bytes = (text: string): Uint8Array => Buffer.from(text, 'utf8');
export const text = (value: Uint8Array): string => Buffer.from(value).toString('utf8');

export interface Harness {
  readonly dir: string;
  readonly db: Database;
  store: MvccStore;
  index: number;
  readonly options: MvccStoreOptions;
  /** Applies requests as one batch of entries; returns the raw results. */
  applyAll(requests: ReadonlyArray<MvccRequest>, timestampMs?: number): Promise<ApplyResult[]>;
  /** Applies one request and returns its response, throwing its error. */
  apply(request: MvccRequest, timestampMs?: number): Promise<MvccResponse>;
  get(key: string, revision?: number): Promise<RangeResponse>;
  reopen(): Promise<void>;
  close(): Promise<void>;
}

export async function openHarness(options: Partial<MvccStoreOptions> & { dbOptions?: Parameters<typeof openDatabase>[1] } = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'bv-mvcc-'));
  const db = await openDatabase(join(dir, 'keyvalue'), options.dbOptions ?? { cacheBytes: 1 << 20, writeBufferBytes: 1 << 20 });
  const storeOptions: MvccStoreOptions = { groupId: groupId(0), ...options };
  const harness: Harness = {
    dir,
    db,
    store: await MvccStore.open(db, storeOptions),
    index: 0,
    options: storeOptions,
    async applyAll(requests, timestampMs = 1_000) {
      const entries = requests.map((request) => ({ index: ++harness.index, term: 1, data: encodeRequest({ timestampMs, request }) }));
      return harness.store.apply(entries);
    },
    async apply(request, timestampMs) {
      const [result] = await harness.applyAll([request], timestampMs);
      if (result === undefined) throw new Error('no result');
      if (result.outcome === 'error') throw result.error;
      if (result.outcome !== 'ok') throw new Error(`unexpected outcome ${result.outcome}`);
      return result.response;
    },
    async get(key, revision = 0) {
      return harness.store.range({ key: bytes(key), revision });
    },
    async reopen() {
      await harness.store.close();
      harness.store = await MvccStore.open(db, storeOptions);
    },
    async close() {
      await harness.store.close();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

export const put = (key: string, value: string, extra: Partial<Extract<MvccRequest, { type: 'put' }>['put']> = {}): MvccRequest => ({
  type: 'put',
  put: { key: bytes(key), value: bytes(value), ...extra },
});

export const del = (key: string, rangeEnd?: string, prevKv = false): MvccRequest => ({
  type: 'deleteRange',
  deleteRange: { key: bytes(key), ...(rangeEnd === undefined ? {} : { rangeEnd: bytes(rangeEnd) }), prevKv },
});

/** The etcd prefix range end: the prefix with its last byte incremented. */
export function prefixEnd(prefix: string): string {
  const buffer = Buffer.from(prefix, 'utf8');
  buffer[buffer.length - 1] = (buffer[buffer.length - 1] as number) + 1;
  return buffer.toString('latin1');
}
