// Administration: status, backup and restore streams, compaction, defragmentation, alarms and
// leadership transfer. Backup and restore stream bytes through without holding them whole.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AlarmAction, type AlarmMember } from '../../mvcc/index.js';
import type { KvNode } from '../../node/kv-node.js';
import { responseOf } from '../shared/node-responses.js';
import { compactBody, transferLeadershipBody } from './body-schemas.js';
import { parseJsonBody } from './request-parsing.js';
import { memberOf } from './member-routes.js';

export function registerAdminRoutes(app: FastifyInstance): void {
  app.get('/api/v1/admin/status', async (request) => request.callerNode.status());
  app.post('/api/v1/admin/backup', (request, reply) => backup(request.callerNode, reply));
  app.post('/api/v1/admin/compact', (request) => compact(request.callerNode, request));
  app.post('/api/v1/admin/defragment', async (request) => {
    await request.callerNode.defragment();
    return { defragmented: true };
  });
  app.get('/api/v1/admin/alarms', async (request) => ({ alarms: (await request.callerNode.status()).alarms }));
  app.post('/api/v1/admin/alarms/disarm', (request) => disarmAlarms(request.callerNode));
  app.post('/api/v1/admin/transfer-leadership', (request) => transferLeadership(request.callerNode, request));
  // The restore body is a stream of any size, so this route's parser hands it over unread.
  void app.register(async (restoreScope) => {
    restoreScope.removeAllContentTypeParsers();
    restoreScope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    restoreScope.post('/api/v1/admin/restore', (request) => restore(request.callerNode, request));
  });
}

async function backup(node: KvNode, reply: FastifyReply): Promise<void> {
  const revision = (await node.status()).revision;
  reply.type('application/octet-stream').header('content-disposition', `attachment; filename="bvault-backup-r${revision}.snapshot"`);
  await reply.send(Readable.from(node.backup(), { objectMode: false }));
}

async function restore(node: KvNode, request: FastifyRequest): Promise<object> {
  const body = request.body as AsyncIterable<Uint8Array> | undefined;
  await node.restore(body ?? emptyStream());
  const status = await node.status();
  return { restored: true, revision: status.revision };
}

async function* emptyStream(): AsyncIterable<Uint8Array> {}

/** `{ revision }` → `{ revision, compactRevision }`. */
async function compact(node: KvNode, request: FastifyRequest): Promise<object> {
  const { revision } = parseJsonBody(request, compactBody);
  const response = responseOf(await node.write({ type: 'compaction', compaction: { revision } }), 'compaction');
  return { revision: response.compaction.header.revision, compactRevision: revision };
}

/** Deactivates every raised alarm (etcdctl alarm disarm); each is one replicated request. */
async function disarmAlarms(node: KvNode): Promise<object> {
  const disarmed: AlarmMember[] = [];
  for (const alarm of (await node.status()).alarms) {
    const response = responseOf(await node.write({ type: 'alarm', alarm: { action: AlarmAction.Deactivate, memberId: alarm.memberId, alarm: alarm.alarm } }), 'alarm');
    disarmed.push(...response.alarm.alarms);
  }
  return { disarmed, alarms: (await node.status()).alarms };
}

/** `{ to? }` names the target member by id or name; without it the node picks the most caught-up voter. */
async function transferLeadership(node: KvNode, request: FastifyRequest): Promise<object> {
  const reference = parseJsonBody(request, transferLeadershipBody)?.to;
  const to = reference === undefined ? undefined : memberOf(node, String(reference)).id;
  await node.transferLeadership(to);
  return { leaderId: (await node.status()).leaderId };
}
