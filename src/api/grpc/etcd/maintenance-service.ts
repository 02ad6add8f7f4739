// etcd's Maintenance service: status, alarms, defragment, hashes, snapshot and leader moves.
import type { ServerWritableStream } from '@grpc/grpc-js';
import { MaintenanceService } from '../../../generated/etcd/etcdserverpb/rpc.js';
import type * as pb from '../../../generated/etcd/etcdserverpb/rpc.js';
import type { KvNode, NodeStatus } from '../../../node/kv-node.js';
import { nodeId } from '../../../raft/types.js';
import type { AlarmAction, AlarmMember, AlarmType } from '../../../mvcc/index.js';
import type { ResponseHeaders } from '../response-headers.js';
import { type EtcdContext, etcdServiceError, onCallerNode, safeNumber, unary } from './etcd-call.js';
import { etcdSnapshotFrames } from './etcd-snapshot-framing.js';
import { expect } from './kv-service.js';
import { ETCD_COMPATIBLE_VERSION } from '../../../node/version.js';

const ALARM_NAMES = ['NONE', 'NOSPACE', 'CORRUPT'] as const;

export function maintenanceService(context: EtcdContext): pb.MaintenanceServer {
  const headers = context.headers;
  return {
    status: unary(context, MaintenanceService.status.path, async (node) => statusMessage(await node.status(), headers.header())),
    alarm: unary(context, MaintenanceService.alarm.path, async (node, request: pb.AlarmRequest) => {
      const alarm = { action: request.action as AlarmAction, memberId: safeNumber(request.memberID, 'memberID'), alarm: request.alarm as AlarmType };
      const response = expect(await node.write({ type: 'alarm', alarm }), 'alarm').alarm;
      return { header: headers.header(response.header.revision), alarms: response.alarms.map(alarmMessage) };
    }),
    defragment: unary(context, MaintenanceService.defragment.path, async (node) => {
      await node.defragment();
      return { header: headers.header() };
    }),
    // etcd's Hash covers its whole backend (member, lease, auth and meta buckets too), whose
    // layout is etcd's own; here it is the key history's hash, HashKV at the current revision.
    hash: unary(context, MaintenanceService.hash.path, async (node) => {
      const { hash, revision } = await node.hashKv(0);
      return { header: headers.header(revision), hash };
    }),
    hashKv: unary(context, MaintenanceService.hashKv.path, async (node, request: pb.HashKVRequest) => {
      const { hash, revision, compactRevision } = await node.hashKv(safeNumber(request.revision, 'revision'));
      // etcd names "never compacted" -1.
      return { header: headers.header(revision), hash, compactRevision: BigInt(compactRevision === 0 ? -1 : compactRevision) };
    }),
    snapshot: (stream) => onCallerNode(context, MaintenanceService.snapshot.path, stream, (node) => void sendSnapshot(node, headers, stream)),
    moveLeader: unary(context, MaintenanceService.moveLeader.path, async (node, request: pb.MoveLeaderRequest) => {
      await node.transferLeadership(nodeId(safeNumber(request.targetID, 'targetID')));
      return { header: headers.header() };
    }),
  };
}

function statusMessage(status: NodeStatus, header: pb.ResponseHeader): pb.StatusResponse {
  return {
    header,
    version: ETCD_COMPATIBLE_VERSION,
    dbSize: BigInt(status.dbSizeBytes),
    leader: BigInt(status.leaderId),
    raftIndex: BigInt(status.commitIndex),
    raftTerm: BigInt(status.term),
    raftAppliedIndex: BigInt(status.appliedIndex),
    errors: status.alarms.map((alarm) => `memberID:${alarm.memberId} alarm:${ALARM_NAMES[alarm.alarm]}`),
    dbSizeInUse: BigInt(status.dbSizeBytes),
    isLearner: status.isLearner,
  };
}

function alarmMessage(alarm: AlarmMember): pb.AlarmMember {
  return { memberID: BigInt(alarm.memberId), alarm: alarm.alarm };
}

/**
 * Streams the node's backup as it is read, framed as etcd's snapshots are (see
 * etcd-snapshot-framing.ts). Its size is not known in advance, so remaining_bytes is 0
 * throughout; etcdctl 3.4 writes the blobs out without reading it.
 */
async function sendSnapshot(node: KvNode, headers: ResponseHeaders, stream: ServerWritableStream<pb.SnapshotRequest, pb.SnapshotResponse>): Promise<void> {
  try {
    const header = headers.header();
    for await (const chunk of etcdSnapshotFrames(node.backup())) {
      if (stream.cancelled) return;
      if (!stream.write({ header, remainingBytes: 0n, blob: chunk })) await new Promise((resolve) => stream.once('drain', resolve));
    }
    stream.end();
  } catch (error) {
    stream.emit('error', etcdServiceError(error));
  }
}
