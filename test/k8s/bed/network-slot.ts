// Each running bed owns a numbered slot: slot N has the bridge bvkN, the network 10.(88+N).0.0/16
// and netns names starting with bvkN, so that beds started by tests running side by side never
// share a name or an address. A slot is claimed by creating its file exclusively; a file whose
// owner is dead is stale, and the new owner clears what the dead bed left first.

import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from './processes.js';

const SLOT_DIRECTORY = '/run/bvault-k8s-slots';
const SLOTS = 10;
const FIRST_SECOND_OCTET = 88;

export interface BedNetwork {
  readonly bridge: string;
  /** The bridge's address on the host: pods route through it, and reach the API server on it. */
  readonly gatewayAddress: string;
  readonly prefixLength: number;
  /** netns and host-side veth names start with it. */
  readonly namePrefix: string;
  /** The /24 of the node at this index: index 0 gets 10.x.1.0/24. */
  podSubnet(nodeIndex: number): string;
}

export function networkOfSlot(slot: number): BedNetwork {
  const octet = FIRST_SECOND_OCTET + slot;
  return {
    bridge: `bvk${slot}`,
    gatewayAddress: `10.${octet}.0.1`,
    prefixLength: 16,
    namePrefix: `bvk${slot}`,
    podSubnet: (nodeIndex) => `10.${octet}.${nodeIndex + 1}.0/24`,
  };
}

interface SlotRecord {
  readonly pid: number;
  readonly directory: string;
}

export interface ClaimedSlot {
  readonly slot: number;
  /** The bed directory of a dead owner whose leftovers must be cleared before use. */
  readonly staleDirectory?: string;
  release(): void;
}

/** Claims the first free slot for the process `pid`, whose bed lives in `directory`. */
export function claimSlot(pid: number, directory: string): ClaimedSlot {
  mkdirSync(SLOT_DIRECTORY, { recursive: true });
  for (let slot = 0; slot < SLOTS; slot += 1) {
    const file = join(SLOT_DIRECTORY, String(slot));
    const previous = readRecord(file);
    if (previous !== undefined && isAlive(previous.pid)) continue;
    if (previous !== undefined) rmSync(file, { force: true });
    let descriptor: number;
    try {
      descriptor = openSync(file, 'wx');
    } catch {
      continue; // another bed took it between the read and the create
    }
    writeSync(descriptor, JSON.stringify({ pid, directory } satisfies SlotRecord));
    closeSync(descriptor);
    return {
      slot,
      staleDirectory: previous?.directory,
      release: () => {
        if (readRecord(file)?.pid === pid) rmSync(file, { force: true });
      },
    };
  }
  throw new Error(`every one of the ${SLOTS} test-bed slots in ${SLOT_DIRECTORY} is held by a running bed`);
}

function readRecord(file: string): SlotRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SlotRecord;
  } catch {
    return undefined;
  }
}
