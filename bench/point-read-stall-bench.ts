// npm run bench:point-read-stall: what a cold point read costs the event loop, on one
// member's database and nothing else, so that neither the network nor the other members'
// CPU blur it. Opens a copy of a member's keyvalue/ directory (a stopped member's; e.g. from
// bench:cold-reads' --data-dir) with the production LevelDB settings, drops the page cache
// (when it may) and reads random keys from --clients concurrent loops in two ways:
//   - on the loop: LevelDB's getSync, as served point reads did before they moved off it;
//     each call's own time is how long it held the loop;
//   - off the loop: MvccStore.range, which reads with getMany on libuv's thread pool.
// Prints reads per second and the event loop delay (perf_hooks) of each. Prints figures only.
//   npm run bench:point-read-stall -- --db DIR/n2/keyvalue [--keys 1000000 --reads 20000 --clients 64]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { MvccStore, openDatabase } from '../src/mvcc/index.js';
import { GENERATIONS, Keyspace } from '../src/mvcc/key-codec.js';
import { decodeKeyValue, decodeMeta } from '../src/mvcc/record-codec.js';
import { groupId } from '../src/raft/types.js';
import { keyBytes } from '../src/bench/request-templates.js';
import { dropPageCache, KEY_BYTES } from './large-cluster.js';

interface Figures {
  readonly readsPerSecond: number;
  readonly loopDelayMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** The longest pair of getSync calls (key and meta record), for the on-loop way. */
  readonly longestCallMs?: number;
}

const RESOLUTION_MS = 10;

function parseOptions(): { db: string; keys: number; reads: number; clients: number } {
  const { values } = parseArgs({ options: { db: { type: 'string' }, keys: { type: 'string' }, reads: { type: 'string' }, clients: { type: 'string' } }, strict: true });
  if (values.db === undefined) throw new Error('--db is required: a copy of a stopped member\'s keyvalue/ directory');
  return { db: values.db, keys: Number(values.keys ?? 1_000_000), reads: Number(values.reads ?? 20_000), clients: Number(values.clients ?? 64) };
}

/** Runs `read` --reads times from --clients loops and measures the loop meanwhile. */
async function measure(clients: number, reads: number, read: () => Promise<unknown>): Promise<Omit<Figures, 'longestCallMs'>> {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const startedMs = performance.now();
  let issued = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (issued++ < reads) await read();
    }),
  );
  const seconds = (performance.now() - startedMs) / 1000;
  histogram.disable();
  const delayMs = (nanoseconds: number): number => Math.max(0, nanoseconds / 1e6 - RESOLUTION_MS);
  return { readsPerSecond: reads / seconds, loopDelayMs: { p50: delayMs(histogram.percentile(50)), p99: delayMs(histogram.percentile(99)), max: delayMs(histogram.max) } };
}

async function main(): Promise<void> {
  const options = parseOptions();
  const db = await openDatabase(options.db);
  // A cluster that was never restored from a backup keeps its state in the first generation.
  const keyspace = new Keyspace(groupId(0), GENERATIONS[0]);
  const randomKey = (): Buffer => keyBytes(Math.floor(Math.random() * options.keys), KEY_BYTES);
  const dropped = await dropPageCache();
  let longestCallMs = 0;
  const onLoop = await measure(options.clients, options.reads, async () => {
    // What a served point read did before: the key, then the meta record, both decoded.
    const key = randomKey();
    const startedMs = performance.now();
    const record = db.getSync(keyspace.currentKey(key));
    const meta = db.getSync(keyspace.metaKey());
    longestCallMs = Math.max(longestCallMs, performance.now() - startedMs);
    if (record !== undefined) decodeKeyValue(key, record);
    if (meta !== undefined) decodeMeta(meta);
    // A served read answers through the network; yield as it would.
    await new Promise((resolve) => setImmediate(resolve));
  });
  await db.close();
  // Reopened, so that LevelDB's block cache is as cold as the page cache.
  const reopened = await openDatabase(options.db);
  const reopenedStore = await MvccStore.open(reopened, { groupId: groupId(0) });
  await dropPageCache();
  const offLoop = await measure(options.clients, options.reads, () => reopenedStore.range({ key: randomKey() }));
  await reopenedStore.close();
  await reopened.close();
  const row = (name: string, figures: Figures): string =>
    `| ${name} | ${Math.round(figures.readsPerSecond).toLocaleString('en-US')} | ${figures.loopDelayMs.p50.toFixed(1)} | ${figures.loopDelayMs.p99.toFixed(1)} | ${figures.loopDelayMs.max.toFixed(1)} | ${figures.longestCallMs === undefined ? '–' : figures.longestCallMs.toFixed(1)} |`;
  console.log(`${options.reads.toLocaleString('en-US')} reads of random keys out of ${options.keys.toLocaleString('en-US')} from ${options.clients} concurrent loops, each way after reopening the database${dropped ? ' and dropping the page cache' : ' (the page cache could not be dropped)'}; times in ms.\n`);
  console.log('| point reads | reads/s | loop delay p50 | loop delay p99 | loop delay max | longest read on the loop |');
  console.log('|---|---:|---:|---:|---:|---:|');
  console.log(row('on the loop (getSync)', { ...onLoop, longestCallMs }));
  console.log(row('off the loop (getMany)', offLoop));
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:point-read-stall: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
