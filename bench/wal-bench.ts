// Group commit at work: appends/s and fsyncs/s of the durable Raft log with 1, 16 and 256
// concurrent appenders of 256-byte entries, each appender awaiting its append before the next.
// With one appender every append pays an fsync; with many, appends issued during a flush share
// the next one. Figures only, no pass/fail.
//
//   npx tsx bench/wal-bench.ts [seconds per run, default 3] [data directory parent, default os.tmpdir()]

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryType, groupId, logIndex, term } from '../src/raft/index.js';
import { DurableLogStore } from '../src/storage/index.js';

const ENTRY_DATA_BYTES = 256;
const APPENDER_COUNTS = [1, 16, 256];
const runSeconds = Number(process.argv[2] ?? 3);
const parentDirectory = process.argv[3] ?? tmpdir();

interface RunResult {
  readonly appenders: number;
  readonly appends: number;
  readonly fsyncs: number;
  readonly seconds: number;
}

async function run(appenders: number): Promise<RunResult> {
  const directory = await mkdtemp(join(parentDirectory, 'bvault-wal-bench-'));
  try {
    const store = await DurableLogStore.open(directory, { groupId: groupId(0) });
    const data = new Uint8Array(ENTRY_DATA_BYTES).fill(0x61);
    const fsyncsAtStart = store.stats().fsyncs;
    const deadline = performance.now() + runSeconds * 1000;
    const started = performance.now();
    let next = 1;
    const appender = async (): Promise<void> => {
      while (performance.now() < deadline) {
        await store.append([{ index: logIndex(next++), term: term(1), type: EntryType.Normal, data }]);
      }
    };
    await Promise.all(Array.from({ length: appenders }, appender));
    const seconds = (performance.now() - started) / 1000;
    const result = { appenders, appends: next - 1, fsyncs: store.stats().fsyncs - fsyncsAtStart, seconds };
    await store.close();
    return result;
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

const format = (value: number): string => Math.round(value).toLocaleString('en-US').padStart(10);

console.log(`durable Raft log, ${ENTRY_DATA_BYTES}-byte entries, ${runSeconds} s per run, data under ${parentDirectory}`);
console.log('appenders   appends/s   fsyncs/s  appends/fsync');
for (const appenders of APPENDER_COUNTS) {
  if (process.stdout.isTTY) process.stdout.write(`${String(appenders).padStart(9)}   running…\r`);
  const result = await run(appenders);
  if (process.stdout.isTTY) process.stdout.write('\x1b[2K');
  const perFsync = result.appends / Math.max(1, result.fsyncs);
  console.log(
    `${String(appenders).padStart(9)} ${format(result.appends / result.seconds)} ${format(result.fsyncs / result.seconds)} ${perFsync.toFixed(1).padStart(14)}`,
  );
}
