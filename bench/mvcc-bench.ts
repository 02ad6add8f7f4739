// MVCC benchmark: apply throughput for 256-byte puts batched as Raft delivers committed
// entries, range read throughput (single-key gets and prefix ranges), and resident memory
// after loading the keys. Prints figures only. Usage:
//   npm run bench:mvcc [-- --keys 1000000 --batch 128]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { MvccStore } from '../src/mvcc/kv-store.js';
import { openDatabase } from '../src/mvcc/storage.js';
import { encodeRequest } from '../src/mvcc/request-codec.js';
import { groupId } from '../src/raft/types.js';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const keyCount = option('keys', 1_000_000);
const batchSize = option('batch', 128);
const getCount = option('gets', 200_000);
const rangeCount = option('ranges', 2_000);
const VALUE_BYTES = 256;

const keyOf = (index: number): Buffer => Buffer.from(`key/${index.toString().padStart(10, '0')}`);
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const rate = (count: number, ms: number): string => `${Math.round((count / ms) * 1000).toLocaleString('en-US')}/s`;

function residentAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage().rss;
}

/** On Linux, splits resident memory into anonymous (heap, caches) and file-backed (LevelDB's mmapped tables) pages. */
function residentBreakdown(): string {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const field = (name: string): string => status.match(new RegExp(`${name}:\\s+(\\d+) kB`))?.[1] ?? '?';
    return ` (anonymous ${(Number(field('RssAnon')) / 1024).toFixed(1)} MiB, file-backed ${(Number(field('RssFile')) / 1024).toFixed(1)} MiB)`;
  } catch {
    return '';
  }
}

async function loadKeys(store: MvccStore): Promise<void> {
  const value = randomBytes(VALUE_BYTES);
  let index = 1;
  let applyMs = 0;
  const started = performance.now();
  for (let first = 0; first < keyCount; first += batchSize) {
    const entries = [];
    for (let key = first; key < Math.min(first + batchSize, keyCount); key++) {
      entries.push({ index: index++, term: 1, data: encodeRequest({ timestampMs: 1_700_000_000_000, request: { type: 'put', put: { key: keyOf(key), value } } }) });
    }
    const applyStarted = performance.now();
    await store.apply(entries);
    applyMs += performance.now() - applyStarted;
    if (first % 200_000 === 0 && first > 0) process.stdout.write(`  loaded ${first.toLocaleString('en-US')} keys, rss ${mib(process.memoryUsage().rss)}\n`);
  }
  const totalMs = performance.now() - started;
  console.log(`apply: ${keyCount.toLocaleString('en-US')} puts of ${VALUE_BYTES} B in batches of ${batchSize}: ${rate(keyCount, applyMs)} (apply only), ${rate(keyCount, totalMs)} including request encoding`);
}

async function readKeys(store: MvccStore): Promise<void> {
  let started = performance.now();
  for (let read = 0; read < getCount; read++) {
    const response = await store.range({ key: keyOf(Math.floor(Math.random() * keyCount)) });
    if (response.count !== 1) throw new Error('missing key');
  }
  console.log(`range: ${getCount.toLocaleString('en-US')} random single-key gets: ${rate(getCount, performance.now() - started)}`);
  started = performance.now();
  for (let read = 0; read < rangeCount; read++) {
    // A 1,000-key prefix (key/0001234xxx) read with limit 100; count covers the whole prefix, as in etcd.
    const prefix = Math.floor(Math.random() * Math.max(1, Math.floor(keyCount / 1000)));
    const start = Buffer.from(`key/${prefix.toString().padStart(7, '0')}`);
    const end = Buffer.from(`key/${(prefix + 1).toString().padStart(7, '0')}`);
    await store.range({ key: start, rangeEnd: end, limit: 100 });
  }
  console.log(`range: ${rangeCount.toLocaleString('en-US')} prefix ranges (limit 100 of 1,000 keys): ${rate(rangeCount, performance.now() - started)}`);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bv-mvcc-bench-'));
  const db = await openDatabase(join(dir, 'keyvalue'));
  try {
    const store = await MvccStore.open(db, { groupId: groupId(0) });
    console.log(`rss at start: ${mib(residentAfterGc())}`);
    await loadKeys(store);
    console.log(`rss after ${keyCount.toLocaleString('en-US')} keys (after gc): ${mib(residentAfterGc())}${residentBreakdown()}`);
    await readKeys(store);
    console.log(`rss after reads (after gc): ${mib(residentAfterGc())}${residentBreakdown()}`);
    console.log(`backend size on disk: ${mib(await store.backendSize())}`);
    await store.close();
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
