// A test runner killed outright (kill -9, a CI timeout) cannot stop its bed: the bed's
// supervisor notices its owner is gone and tears everything down by itself.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { waitFor } from '../../cluster/cluster-harness.js';
import { K8S_DIRECTORY } from './paths.js';
import { isAlive } from './processes.js';

const TSX_LOADER_URL = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

it('tears a bed down when the process that started it is killed', async () => {
  const script = `
    import { startBed } from ${JSON.stringify(join(K8S_DIRECTORY, 'bed', 'bed.ts'))};
    import { readBedState } from ${JSON.stringify(join(K8S_DIRECTORY, 'bed', 'bed-state.ts'))};
    const bed = await startBed({ nodes: 0 });
    console.log(JSON.stringify({ directory: bed.directory, supervisor: readBedState(bed.directory).supervisorPid }));
    setInterval(() => {}, 1000);
  `;
  const owner = spawn(process.execPath, ['--import', TSX_LOADER_URL, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  owner.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const started = await waitFor('the owner to start its bed', 180_000, () => (output.includes('\n') ? JSON.parse(output) as { directory: string; supervisor: number } : undefined));
  expect(isAlive(started.supervisor)).toBe(true);
  const apiServerPids = await waitFor('the bed\'s processes', 5_000, async () => {
    const { PidRegistry } = await import('./processes.js');
    const entries = new PidRegistry(join(started.directory, 'pids')).entries();
    return entries.length > 0 ? entries.map((entry) => entry.pid) : undefined;
  });

  owner.kill('SIGKILL');
  await waitFor('the supervisor to stop the bed and exit', 60_000, () => (isAlive(started.supervisor) ? undefined : true));
  for (const pid of apiServerPids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
  expect(existsSync(started.directory)).toBe(false);
}, 240_000);
