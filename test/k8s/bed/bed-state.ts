// state.json: what the supervisor tells the processes that started it, kubectl users and
// `npm run k8s:down` about its bed.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { stateFileOf } from './paths.js';

export interface BedState {
  readonly phase: 'starting' | 'ready' | 'failed' | 'stopped';
  readonly supervisorPid: number;
  readonly directory: string;
  readonly slot?: number;
  readonly apiServerUrl?: string;
  readonly kubeconfig?: string;
  readonly nodes?: readonly string[];
  readonly gatewayAddress?: string;
  readonly error?: string;
}

export function readBedState(directory: string): BedState | undefined {
  try {
    return JSON.parse(readFileSync(stateFileOf(directory), 'utf8')) as BedState;
  } catch {
    return undefined;
  }
}

/** Written whole and renamed, so a reader never sees half a file. */
export function writeBedState(state: BedState): void {
  const file = stateFileOf(state.directory);
  writeFileSync(`${file}.partial`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${file}.partial`, file);
}
