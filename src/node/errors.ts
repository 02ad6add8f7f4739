// The node's error registry. Each code is stable and never reused; the API layers map each
// code to an HTTP and a gRPC status in one table. Errors a caller can act on are NodeError
// values; MVCC_* errors of an applied request pass through unchanged (src/mvcc/errors.ts).

const templates = {
  NODE_NOT_LEADER: 'this node is not the leader; send the request to the leader ({leader})',
  NODE_NO_LEADER: 'no leader is known; retry once a leader is elected',
  NODE_LEADERSHIP_LOST: 'leadership changed while the request was pending; the write may still commit',
  NODE_TIMEOUT: 'no answer within {timeoutMs} ms; the write may still commit',
  NODE_STOPPED: 'the node is stopped',
  NODE_BUSY: 'the cluster cannot take this request now ({reason}); retry shortly',
  NODE_OVERLOADED: 'too many requests: the {queue} would hold {value} {unit}, over its limit of {limit} ({setting}); retry after a back-off',
  NODE_NOT_CAUGHT_UP: 'member {member} has not caught up with the leader ({reason}); promote it later',
  NODE_UNKNOWN_MEMBER: 'member {member} is not part of the cluster',
  NODE_INVALID_MEMBERSHIP: 'the membership change is invalid: {reason}',
  NODE_REMOVED: 'this node was removed from the cluster; wipe its data directory before it joins again',
  NODE_DATA_DIR_LOCKED: 'the data directory {path} is in use by {holder}; stop that process or choose another --data-dir',
  NODE_CLUSTER_MISMATCH:
    'the data directory {path} belongs to cluster {stored}, not to the configured cluster {configured}; use an empty --data-dir for this cluster',
  NODE_IDENTITY_MISMATCH: 'the data directory {path} belongs to member {stored}, not to {configured}; use that member\'s name or an empty --data-dir',
  NODE_IDENTITY_INVALID: 'the identity file {path} cannot be read ({reason}); restore it or move the data directory aside',
  NODE_SNAPSHOT_MISSING: 'the snapshot file {path} that the log refers to is missing; move the data directory aside and let the node catch up from its peers',
  NODE_INVALID_OPTIONS: 'invalid node options: {reason}',
} as const;

export type NodeErrorCode = keyof typeof templates;

/**
 * A member id as messages name it: hex with 0x, as `member list` of bvault and etcdctl show
 * it, and marked so that it is not taken for the decimal ids of the REST API's JSON.
 */
export function memberIdText(id: number): string {
  return `0x${id.toString(16)}`;
}

export type NodeErrorDetails = Readonly<Record<string, string | number>>;

export class NodeError extends Error {
  override readonly name = 'NodeError';

  constructor(
    readonly code: NodeErrorCode,
    readonly details: NodeErrorDetails = {},
  ) {
    super(templates[code].replace(/\{(\w+)\}/g, (_match, field: string) => String(details[field] ?? '?')));
  }
}

export function isNodeError(error: unknown, code?: NodeErrorCode): error is NodeError {
  return error instanceof NodeError && (code === undefined || error.code === code);
}

/** What a refusal of the consensus core means for the node's caller. */
export function nodeErrorOfRaft(error: { readonly code: string; readonly message: string }): NodeError {
  switch (error.code) {
    case 'RAFT_NO_LEADER':
      return new NodeError('NODE_NO_LEADER');
    case 'RAFT_FORWARDING_DISABLED':
      return new NodeError('NODE_NOT_LEADER', { leader: 'unknown' });
    case 'RAFT_NOT_MEMBER':
      return new NodeError('NODE_REMOVED');
    case 'RAFT_INVALID_CONF_CHANGE':
    case 'RAFT_TRANSFER_TO_LEARNER':
      return new NodeError('NODE_INVALID_MEMBERSHIP', { reason: error.message });
    case 'RAFT_UNKNOWN_NODE':
      return new NodeError('NODE_UNKNOWN_MEMBER', { member: error.message });
    default:
      return new NodeError('NODE_BUSY', { reason: error.message });
  }
}
