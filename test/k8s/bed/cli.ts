// npm run k8s:up [-- --nodes N]   a bed in data/k8s that stays up until k8s:down
// npm run k8s:down                 stops it (or clears up after one whose supervisor died)
// npm run k8s:status               whether one runs, and how to reach it

import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { readBedState } from './bed-state.js';
import { launchBed, stopSupervisor } from './bed.js';
import { clearLeftovers } from './leftovers.js';
import { BINARIES, DEFAULT_BED_DIRECTORY } from './paths.js';
import { isAlive } from './processes.js';
import { SERVICE_BINARIES } from '../services/tool-paths.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { nodes: { type: 'string', default: '1' } },
});
const directory = DEFAULT_BED_DIRECTORY;

function printAccess(kubeconfig: string): void {
  console.log(`  export KUBECONFIG=${kubeconfig}`);
  console.log(`  export PATH=${dirname(BINARIES.kubectl)}:${dirname(SERVICE_BINARIES.helm)}:$PATH   # the kubectl built with the API server, and Helm`);
  console.log('  kubectl get nodes');
}

async function up(): Promise<void> {
  const running = readBedState(directory);
  if (running !== undefined && isAlive(running.supervisorPid)) {
    console.log(`a test bed already runs in ${directory} (supervisor pid ${running.supervisorPid}); npm run k8s:down stops it`);
    if (running.kubeconfig !== undefined) printAccess(running.kubeconfig);
    return;
  }
  const started = Date.now();
  const bed = await launchBed(directory, Number(values.nodes));
  console.log(`test bed up in ${((Date.now() - started) / 1000).toFixed(1)} s: API server ${bed.apiServerUrl}, nodes ${bed.nodes.join(', ') || 'none (the API alone)'}, pods on ${bed.network.podSubnet(0).replace(/\.1\.0\/24$/, '.0.0/16')}`);
  printAccess(bed.kubeconfig);
}

async function down(): Promise<void> {
  const state = readBedState(directory);
  if (state === undefined) {
    console.log(`no test bed in ${directory}`);
    return;
  }
  const started = Date.now();
  if (isAlive(state.supervisorPid)) {
    await stopSupervisor(state.supervisorPid, directory);
  } else {
    if (state.slot !== undefined) await clearLeftovers(directory, state.slot);
    await rm(directory, { recursive: true, force: true });
  }
  console.log(`test bed down in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function status(): void {
  const state = readBedState(directory);
  if (state === undefined || !isAlive(state.supervisorPid)) {
    console.log('no test bed runs; npm run k8s:up starts one');
    return;
  }
  console.log(`test bed ${state.phase}: API server ${state.apiServerUrl ?? '(starting)'}, nodes ${state.nodes?.join(', ') || 'none (the API alone)'}`);
  if (state.kubeconfig !== undefined) printAccess(state.kubeconfig);
}

const commands: Record<string, () => Promise<void> | void> = { up, down, status };
const command = commands[positionals[0] ?? ''];
if (command === undefined) {
  console.error('usage: tsx test/k8s/bed/cli.ts up [--nodes N] | down | status');
  process.exit(2);
}
await command();
