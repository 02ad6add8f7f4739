// Range reads with etcd's semantics: [key, rangeEnd) with etcd's conventions for an empty and
// a "\0" range end, reads at the latest or a historical revision, count of all keys in the
// range, limit with the `more` flag, min/max revision filters and sorting (mvcc/kvstore and
// etcdserver's rangeKeys). The latest state is one seek per key in the current keyspace;
// a historical read walks the revision keyspace, where each key's revisions are adjacent.
import { MvccError } from './errors.js';
import type { Keyspace } from './key-codec.js';
import { decodeKeyValue, isTombstone } from './record-codec.js';
import type { RangeRequest, RangeResponse } from './requests.js';
import { SortOrder, SortTarget } from './requests.js';
import type { Entry, KeyBounds, StorageReader } from './storage.js';
import type { KeyValue } from './types.js';
import { revision } from './types.js';

const EMPTY = new Uint8Array(0);

/** A key range with etcd's conventions resolved: `end` undefined means "to the last key". */
export interface KeyRange {
  readonly key: Uint8Array;
  readonly end: Uint8Array | undefined;
  readonly single: boolean;
}

export function keyRange(key: Uint8Array, rangeEnd: Uint8Array | undefined): KeyRange {
  if (rangeEnd === undefined || rangeEnd.length === 0) return { key, end: undefined, single: true };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { key, end: undefined, single: false };
  return { key, end: rangeEnd, single: false };
}

export function rangeContains(range: KeyRange, key: Uint8Array): boolean {
  if (range.single) return Buffer.compare(range.key, key) === 0;
  return Buffer.compare(key, range.key) >= 0 && (range.end === undefined || Buffer.compare(key, range.end) < 0);
}

/** The revisions a read is served against. */
export interface ReadView {
  readonly revision: number;
  readonly compactRevision: number;
}

export interface Collected {
  readonly kvs: KeyValue[];
  readonly count: number;
}

/** Checks a requested revision against the view and returns the revision to read at. */
export function resolveReadRevision(requested: number | undefined, view: ReadView): number {
  const wanted = requested ?? 0;
  if (wanted > view.revision) throw new MvccError('MVCC_FUTURE_REV');
  if (wanted > 0 && wanted < view.compactRevision) throw new MvccError('MVCC_COMPACTED', { compactRevision: view.compactRevision });
  return wanted <= 0 ? view.revision : wanted;
}

export async function executeRange(reader: StorageReader, keyspace: Keyspace, request: RangeRequest, view: ReadView): Promise<RangeResponse> {
  const at = resolveReadRevision(request.revision, view);
  const limit = request.limit ?? 0;
  const filtered = (request.minModRevision ?? 0) + (request.maxModRevision ?? 0) + (request.minCreateRevision ?? 0) + (request.maxCreateRevision ?? 0) > 0;
  const sortOrder = effectiveSortOrder(request);
  // Sorting and filtering need every key; otherwise one extra key tells whether there is more.
  const fetchLimit = sortOrder !== SortOrder.None || filtered || limit <= 0 ? 0 : limit + 1;
  const range = keyRange(request.key, request.rangeEnd);
  const collectLimit = request.countOnly === true ? -1 : fetchLimit;
  const collected = at === view.revision ? await collectLatest(reader, keyspace, range, collectLimit) : await collectAt(reader, keyspace, range, at, collectLimit);
  const header = { revision: revision(view.revision) };
  if (request.countOnly === true) return { header, kvs: [], more: false, count: collected.count };
  let kvs = filtered ? collected.kvs.filter((kv) => passesFilters(kv, request)) : collected.kvs;
  if (sortOrder !== SortOrder.None) kvs = sortKeyValues(kvs, request.sortTarget ?? SortTarget.Key, sortOrder);
  let more = false;
  if (limit > 0 && kvs.length > limit) {
    kvs = kvs.slice(0, limit);
    more = true;
  }
  if (request.keysOnly === true) kvs = kvs.map((kv) => ({ ...kv, value: EMPTY }));
  return { header, kvs, more, count: collected.count };
}

/**
 * Live keys in the range, decoding at most `limit` of them (0: all, -1: none) while still
 * counting every key, because etcd's count is the size of the whole range.
 */
export async function collectLatest(reader: StorageReader, keyspace: Keyspace, range: KeyRange, limit: number): Promise<Collected> {
  if (range.single) {
    const [record] = await reader.getMany([keyspace.currentKey(range.key)]);
    if (record === undefined) return { kvs: [], count: 0 };
    return { kvs: limit < 0 ? [] : [decodeKeyValue(range.key, record)], count: 1 };
  }
  const bounds = keyspace.currentBounds(range.key, range.end);
  const kvs: KeyValue[] = [];
  let count = 0;
  let rest: KeyBounds | undefined;
  if (limit >= 0) {
    scan: for await (const page of reader.pages(bounds)) {
      for (const [storageKey, record] of page) {
        if (limit > 0 && kvs.length === limit) {
          rest = { gte: storageKey, lt: bounds.lt };
          break scan;
        }
        kvs.push(decodeKeyValue(keyspace.userKeyOfCurrent(storageKey), record));
        count++;
      }
    }
  } else {
    rest = bounds;
  }
  // Past the limit only the count matters, so the remaining keys are read without values.
  if (rest !== undefined) for await (const page of reader.pages(rest, false)) count += page.length;
  return { kvs, count };
}

/** Keys in the range as they were at revision `at`: for each key, its last revision <= at. */
export async function collectAt(reader: StorageReader, keyspace: Keyspace, range: KeyRange, at: number, limit: number): Promise<Collected> {
  const bounds = range.single ? keyspace.revisionBoundsOfKey(range.key) : keyspace.revisionBounds(range.key, range.end);
  const kvs: KeyValue[] = [];
  let count = 0;
  let group: Uint8Array | undefined;
  let best: Entry | undefined;
  const flush = (): void => {
    if (best === undefined || isTombstone(best[1])) return;
    count++;
    if (limit === 0 || (limit > 0 && kvs.length < limit)) kvs.push(decodeKeyValue(keyspace.userKeyOfRevision(best[0]), best[1]));
  };
  for await (const page of reader.pages(bounds)) {
    for (const entry of page) {
      const escaped = keyspace.escapedKeyOfRevision(entry[0]);
      if (group === undefined || Buffer.compare(group, escaped) !== 0) {
        flush();
        group = escaped;
        best = undefined;
      }
      if (keyspace.revisionOfRevisionKey(entry[0]) <= at) best = entry;
    }
  }
  flush();
  return { kvs, count };
}

/** etcd sorts ascending by default for non-key targets and never re-sorts key-ascending. */
function effectiveSortOrder(request: RangeRequest): SortOrder {
  const order = request.sortOrder ?? SortOrder.None;
  const target = request.sortTarget ?? SortTarget.Key;
  if (target !== SortTarget.Key && order === SortOrder.None) return SortOrder.Ascend;
  if (target === SortTarget.Key && order === SortOrder.Ascend) return SortOrder.None;
  return order;
}

function passesFilters(kv: KeyValue, request: RangeRequest): boolean {
  if ((request.maxModRevision ?? 0) !== 0 && kv.modRevision > (request.maxModRevision ?? 0)) return false;
  if ((request.minModRevision ?? 0) !== 0 && kv.modRevision < (request.minModRevision ?? 0)) return false;
  if ((request.maxCreateRevision ?? 0) !== 0 && kv.createRevision > (request.maxCreateRevision ?? 0)) return false;
  if ((request.minCreateRevision ?? 0) !== 0 && kv.createRevision < (request.minCreateRevision ?? 0)) return false;
  return true;
}

const comparators: Record<SortTarget, (a: KeyValue, b: KeyValue) => number> = {
  [SortTarget.Key]: (a, b) => Buffer.compare(a.key, b.key),
  [SortTarget.Version]: (a, b) => a.version - b.version,
  [SortTarget.Create]: (a, b) => a.createRevision - b.createRevision,
  [SortTarget.Mod]: (a, b) => a.modRevision - b.modRevision,
  [SortTarget.Value]: (a, b) => Buffer.compare(a.value, b.value),
};

/** A stable sort, so ties keep key order and every member returns the same order. */
export function sortKeyValues(kvs: KeyValue[], target: SortTarget, order: SortOrder): KeyValue[] {
  const compare = comparators[target];
  return [...kvs].sort(order === SortOrder.Descend ? (a, b) => compare(b, a) : compare);
}
