// How members and clusters are named. A member id is derived from the member's name, so every
// node computes the same id for a name without asking anyone; a cluster id is derived from the
// initial membership, so two clusters started with different member lists never mix data.

import { createHash } from 'node:crypto';
import { type NodeId, nodeId } from '../raft/types.js';

/** The bytes of SHA-256 a member id keeps: 48 bits stay a safe integer with room to spare. */
const MEMBER_ID_BYTES = 6;
const CLUSTER_ID_HEX_DIGITS = 16;

/** The first 48 bits of SHA-256(name); never 0, which Raft reserves for "no node". */
export function memberIdOf(name: string): NodeId {
  const id = createHash('sha256').update(name, 'utf8').digest().readUIntBE(0, MEMBER_ID_BYTES);
  return nodeId(id === 0 ? 1 : id);
}

/** SHA-256 of the sorted `name=peerAddress` list, as 16 hex digits. */
export function clusterIdOf(initialMembers: ReadonlyMap<string, string>): string {
  const lines = [...initialMembers].map(([name, address]) => `${name}=${address}`).sort();
  return createHash('sha256').update(lines.join(','), 'utf8').digest('hex').slice(0, CLUSTER_ID_HEX_DIGITS);
}
