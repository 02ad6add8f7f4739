// How a member started with wait-for-join learns its cluster. It owns no cluster id yet, so it
// cannot admit Raft traffic; instead it listens on its peer port for one named call, the
// invitation, which a member of the cluster that added it sends (from any cluster id, since the
// waiting member has none). The invitation carries the cluster id and the member list; the
// waiting member then stops this listener and starts as a joined member on the same port.

import { Server, ServerCredentials, status as GrpcStatus, Metadata, type sendUnaryData, type ServerUnaryCall, type StatusObject } from '@grpc/grpc-js';
import type { Logger } from '../observability/logger.js';
import { peerService } from './peer-service.js';
import { EMPTY_BUFFER, type CallRequest } from './wire-format.js';

/** The peer call's name; a running member has no handler for it, so it answers UNIMPLEMENTED. */
export const JOIN_INVITATION_METHOD = 'member.joinInvitation';

export interface JoinInvitation {
  readonly clusterId: string;
  readonly members: ReadonlyArray<{ readonly name: string; readonly peerAddress: string; readonly clientUrls?: readonly string[] }>;
}

export function encodeJoinInvitation(invitation: JoinInvitation): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(invitation));
}

function decodeJoinInvitation(payload: Uint8Array): JoinInvitation | undefined {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(payload)) as Partial<JoinInvitation>;
    if (typeof parsed.clusterId !== 'string' || !Array.isArray(parsed.members)) return undefined;
    const members = parsed.members.filter((member) => typeof member?.name === 'string' && typeof member?.peerAddress === 'string');
    return { clusterId: parsed.clusterId, members };
  } catch {
    return undefined;
  }
}

const refusal = (details: string): StatusObject => ({ code: GrpcStatus.UNAVAILABLE, details, metadata: new Metadata() });
const NOT_YET_A_MEMBER = 'this member waits to be added to a cluster (wait-for-join) and serves no Raft traffic yet';

/**
 * Listens on `listenAddress` until an invitation arrives (or undefined once `stopping` aborts);
 * the listener is closed when this resolves.
 */
export async function awaitJoinInvitation(listenAddress: string, logger: Logger, stopping: AbortSignal, serverCredentials = ServerCredentials.createInsecure()): Promise<JoinInvitation | undefined> {
  const server = new Server();
  let accept: (invitation: JoinInvitation | undefined) => void = () => undefined;
  const invited = new Promise<JoinInvitation | undefined>((resolve) => (accept = resolve));
  stopping.addEventListener('abort', () => accept(undefined), { once: true });
  server.addService(peerService, {
    messages: (call: { emit(event: 'error', status: StatusObject): void }) => call.emit('error', refusal(NOT_YET_A_MEMBER)),
    snapshot: (_call: unknown, callback: sendUnaryData<Buffer>) => callback(refusal(NOT_YET_A_MEMBER)),
    call: (call: ServerUnaryCall<CallRequest, Buffer>, callback: sendUnaryData<Buffer>) => {
      const invitation = call.request.method === JOIN_INVITATION_METHOD ? decodeJoinInvitation(call.request.payload) : undefined;
      if (invitation === undefined) return callback(refusal(NOT_YET_A_MEMBER));
      callback(null, EMPTY_BUFFER);
      accept(invitation);
    },
  });
  await new Promise<void>((resolve, reject) => server.bindAsync(listenAddress, serverCredentials, (error) => (error === null ? resolve() : reject(error))));
  logger.info({ address: listenAddress }, 'waiting to be added to a cluster: a leader adds this member with POST /api/v1/raft/join naming it');
  const invitation = stopping.aborted ? undefined : await invited;
  // The answer must reach the inviter before the port is handed to the real transport.
  await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  if (invitation === undefined) return undefined;
  logger.info({ clusterId: invitation.clusterId, members: invitation.members.map((member) => member.name) }, 'invited into a cluster');
  return invitation;
}
