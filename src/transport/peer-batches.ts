// Splitting one Ready's messages by destination, keeping each peer's messages in order.

import type { Message, NodeId } from '../raft/types.js';

/** The messages per peer, in the order they were given. */
export function groupByPeer(messages: readonly Message[]): Map<NodeId, Message[]> {
  const byPeer = new Map<NodeId, Message[]>();
  for (const message of messages) {
    const batch = byPeer.get(message.to);
    if (batch === undefined) byPeer.set(message.to, [message]);
    else batch.push(message);
  }
  return byPeer;
}
