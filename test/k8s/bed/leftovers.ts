// Clearing up after a bed whose supervisor could not do it itself (it was killed, or its
// machine's test run was): every process in its pid registry, then what its node agent made on
// the host, then etcd's tmpfs data.

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeNodeAgentLeftovers } from '../node-agent/agent.js';
import { networkOfSlot } from './network-slot.js';
import { PidRegistry, stopByPid } from './processes.js';

const PROCESS_GRACE_MS = 5_000;

export function etcdDataDirectoryOf(slot: number): string {
  return `/dev/shm/bvault-k8s-etcd-${slot}`;
}

export function registryOf(directory: string): PidRegistry {
  return new PidRegistry(join(directory, 'pids'));
}

export function agentDirectoryOf(directory: string): string {
  return join(directory, 'node-agent');
}

export async function clearLeftovers(directory: string, slot: number): Promise<void> {
  const registry = registryOf(directory);
  const entries = registry.entries();
  await stopByPid(entries.map((entry) => entry.pid), PROCESS_GRACE_MS);
  for (const entry of entries) registry.remove(entry.pid);
  await removeNodeAgentLeftovers(networkOfSlot(slot), agentDirectoryOf(directory));
  await rm(etcdDataDirectoryOf(slot), { recursive: true, force: true });
}
