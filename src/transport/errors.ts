// The peer transport's error registry. Each code is stable and never reused. Dropped Raft
// messages are not errors (Raft retransmits; the transport reports the peer unreachable);
// these codes are for peer calls, which a caller awaits, and for options refused at start.

const templates = {
  TRANSPORT_UNKNOWN_PEER: 'transport: member {peer} is not a known peer; add it with setPeer first',
  TRANSPORT_UNREACHABLE: 'transport: member {peer} could not be reached: {reason}',
  TRANSPORT_TIMEOUT: 'transport: call {method} to member {peer} got no answer within {timeoutMs} ms',
  TRANSPORT_UNKNOWN_METHOD: 'transport: member {peer} has no handler for call {method}',
  TRANSPORT_CALL_FAILED: 'transport: call {method} failed at member {peer}: {reason}',
  TRANSPORT_CLUSTER_MISMATCH:
    'transport: member {peer} belongs to another cluster ({reason}); check --initial-cluster and the data directory',
  TRANSPORT_CLOSED: 'transport: the transport is closed',
  TRANSPORT_INVALID_OPTIONS: 'transport: invalid options: {reason}',
} as const;

export type TransportErrorCode = keyof typeof templates;

export interface TransportErrorDetails {
  readonly peer?: number;
  readonly method?: string;
  readonly timeoutMs?: number;
  readonly reason?: string;
}

export class TransportError extends Error {
  override readonly name = 'TransportError';

  constructor(
    readonly code: TransportErrorCode,
    readonly details: TransportErrorDetails = {},
  ) {
    super(formatMessage(code, details));
  }
}

function formatMessage(code: TransportErrorCode, details: TransportErrorDetails): string {
  const values = details as Record<string, unknown>;
  return templates[code].replace(/\{(\w+)\}/g, (_match, name: string) => String(values[name] ?? '?'));
}

export function transportError(code: TransportErrorCode, details?: TransportErrorDetails): TransportError {
  return new TransportError(code, details);
}

export function isTransportError(error: unknown, code?: TransportErrorCode): error is TransportError {
  return error instanceof TransportError && (code === undefined || error.code === code);
}
