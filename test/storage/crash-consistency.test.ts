// No acknowledged write is lost: a child process appends with acknowledgements on stdout and
// is killed with SIGKILL mid-stream, several times over the same directory; after each kill
// the reopened store holds every entry and hard state that was acknowledged.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { logIndex } from '../../src/raft/index.js';
import { openStore, temporaryDirectory, useTemporaryDirectories } from './helpers.js';

useTemporaryDirectories();

const APPENDER = join(import.meta.dirname, 'fixtures', 'acknowledging-appender.ts');
const KILL_DEADLINE_MS = 30_000;

interface Acknowledged {
  readonly indexes: number[];
  readonly hardStateTermHighest: number;
}

/** Runs the appender until it has acknowledged `acknowledgementsTarget` entries, then kills it. */
function runAndKill(directory: string, acknowledgementsTarget: number): Promise<Acknowledged> {
  // Node itself with tsx's loader, not the tsx launcher: SIGKILL must hit the process that writes.
  const child = spawn(process.execPath, ['--import', 'tsx', APPENDER, directory], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acknowledged = { indexes: [] as number[], hardStateTermHighest: 0 };
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => child.kill('SIGKILL'), KILL_DEADLINE_MS);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [kind, value] = line.split(' ');
      if (kind === 'ack') acknowledged.indexes.push(Number(value));
      if (kind === 'hard-state') acknowledged.hardStateTermHighest = Math.max(acknowledged.hardStateTermHighest, Number(value));
      if (acknowledged.indexes.length === acknowledgementsTarget) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => {
      clearTimeout(deadline);
      if (signal === 'SIGKILL' && acknowledged.indexes.length >= acknowledgementsTarget) resolve(acknowledged);
      else reject(new Error(`the appender stopped early (signal ${signal}, ${acknowledged.indexes.length} acks): ${stderr}`));
    });
  });
}

describe('after a SIGKILL', () => {
  it('every acknowledged entry and hard state is present when the store reopens', async () => {
    const directory = await temporaryDirectory();
    for (const target of [150, 420, 260]) {
      const acknowledged = await runAndKill(directory, target);
      const store = await openStore(directory, { segmentBytesMax: 4096 });
      const highest = Math.max(...acknowledged.indexes);
      expect(store.lastIndex()).toBeGreaterThanOrEqual(highest);
      expect(store.initialState().hardState.term).toBeGreaterThanOrEqual(acknowledged.hardStateTermHighest);
      const first = store.firstIndex();
      for (const index of acknowledged.indexes) {
        if (index < first) continue; // compacted into a snapshot, which covers it
        const [stored] = store.entries(logIndex(index), logIndex(index + 1), Number.MAX_SAFE_INTEGER);
        expect(new TextDecoder().decode(stored!.data)).toBe(`payload-${index}`.padEnd(200, '#'));
      }
      expect(store.snapshot().metadata.index).toBeGreaterThanOrEqual(first - 1);
      await store.close();
    }
  });
});
