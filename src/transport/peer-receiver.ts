// The incoming half of the peer service: admits only streams and calls of this cluster,
// hands message frames to the node, feeds snapshot chunks to onSnapshot as they arrive
// (the stream is read only as fast as the handler consumes, so HTTP/2 flow control holds
// the sender back) and runs named peer calls.

import {
  Metadata,
  status as GrpcStatus,
  type sendUnaryData,
  type ServerDuplexStream,
  type ServerReadableStream,
  type ServerUnaryCall,
  type StatusObject,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Logger } from '../observability/logger.js';
import { nodeId, type NodeId } from '../raft/types.js';
import type { TransportCounters } from './peer-counters.js';
import { ConsumedChunks, SNAPSHOT_NOT_CONSUMED } from './snapshot-chunks.js';
import type { PeerCallHandler, TransportHandlers } from './transport.js';
import {
  asBuffer,
  CLUSTER_ID_METADATA_KEY,
  EMPTY_BUFFER,
  MEMBER_ID_METADATA_KEY,
  type CallRequest,
  type IncomingFrame,
  type SnapshotPart,
} from './wire-format.js';

export interface PeerReceiverContext {
  readonly clusterId: string;
  readonly memberId: NodeId;
  readonly logger: Logger;
  readonly counters: TransportCounters;
  readonly callHandlers: ReadonlyMap<string, PeerCallHandler>;
  /** A peer opened its Messages stream to us: it is up, whatever our stream to it says. */
  onPeerStream(peer: NodeId): void;
  /** Null until start(); nothing is admitted before. */
  handlers(): TransportHandlers | null;
}

type Admission = { readonly peer: NodeId; readonly handlers: TransportHandlers } | StatusObject;

const status = (code: GrpcStatus, details: string): StatusObject => ({ code, details, metadata: new Metadata() });

/** Checks the caller's cluster and member id; a refusal is logged and returned as a status. */
function admit(context: PeerReceiverContext, metadata: Metadata, remote: string): Admission {
  const handlers = context.handlers();
  if (handlers === null) return status(GrpcStatus.UNAVAILABLE, 'the member is not started');
  const clusterId = String(metadata.get(CLUSTER_ID_METADATA_KEY)[0] ?? '');
  const memberId = Number(metadata.get(MEMBER_ID_METADATA_KEY)[0] ?? 0);
  if (clusterId !== context.clusterId) {
    const details = `member ${memberId} at ${remote} is in cluster '${clusterId}', member ${context.memberId} is in cluster '${context.clusterId}'`;
    context.logger.error({ remote, peer: memberId, peerClusterId: clusterId, clusterId: context.clusterId }, `refused a peer of another cluster: ${details}`);
    return status(GrpcStatus.FAILED_PRECONDITION, details);
  }
  if (!Number.isSafeInteger(memberId) || memberId <= 0) {
    return status(GrpcStatus.INVALID_ARGUMENT, `the peer at ${remote} sent no valid member id`);
  }
  return { peer: nodeId(memberId), handlers };
}

export function peerServiceImplementation(context: PeerReceiverContext): UntypedServiceImplementation {
  return {
    messages: (call: ServerDuplexStream<IncomingFrame, Buffer>) => receiveMessages(context, call),
    snapshot: (call: ServerReadableStream<SnapshotPart, Buffer>, callback: sendUnaryData<Buffer>) => {
      void receiveSnapshot(context, call).then(
        () => callback(null, EMPTY_BUFFER),
        (refusal: StatusObject) => callback(refusal),
      );
    },
    call: (call: ServerUnaryCall<CallRequest, Buffer>, callback: sendUnaryData<Buffer>) => {
      void answerCall(context, call).then(
        (answer) => callback(null, answer),
        (refusal: StatusObject) => callback(refusal),
      );
    },
  };
}

function receiveMessages(context: PeerReceiverContext, call: ServerDuplexStream<IncomingFrame, Buffer>): void {
  const admission = admit(context, call.metadata, call.getPeer());
  if ('code' in admission) {
    call.emit('error', admission);
    return;
  }
  const { peer, handlers } = admission;
  const counters = context.counters.of(peer);
  // Answering the headers at once tells the sender that the stream is up and admitted.
  call.sendMetadata(new Metadata());
  context.onPeerStream(peer);
  call.on('data', (frame: IncomingFrame) => {
    counters.messagesReceived += frame.messages.length;
    counters.bytesReceived += frame.bytes;
    if (frame.ackRequested) call.write(EMPTY_BUFFER);
    handlers.onMessages(frame.messages);
  });
  call.on('end', () => call.end());
  // A cancelled or broken stream: the sender reconnects, nothing to do here.
  call.on('error', () => undefined);
}

async function receiveSnapshot(context: PeerReceiverContext, call: ServerReadableStream<SnapshotPart, Buffer>): Promise<void> {
  const admission = admit(context, call.metadata, call.getPeer());
  if ('code' in admission) throw admission;
  const counters = context.counters.of(admission.peer);
  // grpc-js only flags a cancelled call; failing the stream ends the handler's read loop.
  call.on('cancelled', () => call.destroy(new Error('the sender cancelled the snapshot')));
  const parts = call[Symbol.asyncIterator]() as AsyncIterator<SnapshotPart>;
  const first = await parts.next().catch(() => ({ done: true as const, value: undefined }));
  if (first.done === true || first.value.kind !== 'header') {
    counters.snapshotsReceiveFailed++;
    throw status(GrpcStatus.INVALID_ARGUMENT, 'the snapshot stream does not start with its message');
  }
  const chunks = new ConsumedChunks(snapshotChunks(parts, counters));
  try {
    await admission.handlers.onSnapshot(first.value.message, chunks);
  } catch (error) {
    counters.snapshotsReceiveFailed++;
    context.logger.warn({ peer: admission.peer, reason: (error as Error).message }, 'receiving a snapshot failed');
    throw status(GrpcStatus.ABORTED, `the snapshot was not installed: ${(error as Error).message}`);
  }
  if (!chunks.consumedAll) {
    counters.snapshotsReceiveFailed++;
    throw status(GrpcStatus.INTERNAL, SNAPSHOT_NOT_CONSUMED);
  }
  counters.snapshotsReceived++;
}

/** The data chunks up to the trailer; a stream that ends without one is truncated and throws. */
async function* snapshotChunks(parts: AsyncIterator<SnapshotPart>, counters: { bytesReceived: number }): AsyncGenerator<Uint8Array> {
  let receivedBytes = 0;
  for (;;) {
    const next = await parts.next();
    if (next.done === true) throw new Error(`the snapshot stream ended after ${receivedBytes} bytes without its trailer`);
    const part = next.value;
    if (part.kind === 'trailer') {
      if (part.totalBytes !== receivedBytes) {
        throw new Error(`the snapshot trailer announces ${part.totalBytes} bytes but ${receivedBytes} arrived`);
      }
      return;
    }
    if (part.kind !== 'chunk') throw new Error('a second snapshot header arrived');
    receivedBytes += part.data.byteLength;
    counters.bytesReceived += part.data.byteLength;
    yield part.data;
  }
}

async function answerCall(context: PeerReceiverContext, call: ServerUnaryCall<CallRequest, Buffer>): Promise<Buffer> {
  const admission = admit(context, call.metadata, call.getPeer());
  if ('code' in admission) throw admission;
  const { method, payload } = call.request;
  const handler = context.callHandlers.get(method);
  if (handler === undefined) throw status(GrpcStatus.UNIMPLEMENTED, `no handler for call ${method}`);
  try {
    return asBuffer(await handler(payload, admission.peer));
  } catch (error) {
    throw status(GrpcStatus.UNKNOWN, error instanceof Error ? error.message : String(error));
  }
}
