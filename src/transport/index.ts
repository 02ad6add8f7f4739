// The peer transport: the PeerTransport seam and its two implementations.

export type { PeerCallHandler, PeerTransport, TransportHandlers } from './transport.js';
export type { PeerCounters } from './peer-counters.js';
export { GrpcTransport } from './grpc-transport.js';
export { GRPC_TRANSPORT_DEFAULTS, type GrpcTransportOptions } from './grpc-transport-options.js';
export { InMemoryNetwork } from './in-memory-network.js';
export { InMemoryTransport, type InMemoryTransportOptions } from './in-memory-transport.js';
export { TransportError, isTransportError, type TransportErrorCode } from './errors.js';
export { awaitJoinInvitation, encodeJoinInvitation, JOIN_INVITATION_METHOD, type JoinInvitation } from './join-invitation.js';
