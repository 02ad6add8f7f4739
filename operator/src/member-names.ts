// Member names. A member's Raft id is derived from its name, and a member removed from the
// cluster must never come back under its old id, so every new member gets a name never used
// before in its cluster: the cluster's name and a random suffix. The first member's name comes
// from the cluster's uid instead, so that forming the cluster again after the operator died
// mid-way makes the same member, on the same volume.

import { randomBytes } from 'node:crypto';
import type { KVCluster } from './kvcluster.js';

const SUFFIX_LETTERS = 'bcdfghjklmnpqrstvwxz2456789';
const SUFFIX_LENGTH = 5;

export function firstMemberName(cluster: KVCluster): string {
  return `${cluster.metadata.name}-${suffixOf(Buffer.from(cluster.metadata.uid.replace(/-/g, ''), 'hex'))}`;
}

export function newMemberName(cluster: KVCluster): string {
  return `${cluster.metadata.name}-${suffixOf(randomBytes(SUFFIX_LENGTH))}`;
}

/** Letters without vowels, as Kubernetes's generated names, so no suffix spells a word. */
function suffixOf(bytes: Buffer): string {
  let suffix = '';
  for (let index = 0; index < SUFFIX_LENGTH; index += 1) suffix += SUFFIX_LETTERS[(bytes[index] ?? 0) % SUFFIX_LETTERS.length];
  return suffix;
}
