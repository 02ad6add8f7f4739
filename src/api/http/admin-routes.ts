// Administration: status, backup and restore streams, compaction, defragmentation, encryption
// key rotation, alarms and leadership transfer. Backup and restore stream bytes through without holding them whole.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AlarmAction, type AlarmMember } from '../../mvcc/index.js';
import { responseOf } from './node-responses.js';
import { compactBody, transferLeadershipBody } from './body-schemas.js';
import { parseJsonBody } from './request-parsing.js';
import { memberOf } from './member-routes.js';
import type { RouteContext } from './route-context.js';

export function registerAdminRoutes(app: FastifyInstance, context: RouteContext): void {
  app.get('/api/v1/admin/status', async () => context.node.status());
  app.post('/api/v1/admin/backup', (_request, reply) => backup(context, reply));
  app.post('/api/v1/admin/compact', (request) => compact(context, request));
  app.post('/api/v1/admin/defragment', async () => {
    await context.node.defragment();
    return { defragmented: true };
  });
  // This member only, like defragment: each member has its own key file.
  app.post('/api/v1/admin/rotate-encryption-key', () => context.node.rotateEncryptionKey());
  app.get('/api/v1/admin/alarms', async () => ({ alarms: (await context.node.status()).alarms }));
  app.post('/api/v1/admin/alarms/disarm', () => disarmAlarms(context));
  app.post('/api/v1/admin/transfer-leadership', (request) => transferLeadership(context, request));
  // The restore body is a stream of any size, so this route's parser hands it over unread.
  void app.register(async (restoreScope) => {
    restoreScope.removeAllContentTypeParsers();
    restoreScope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    restoreScope.post('/api/v1/admin/restore', (request) => restore(context, request));
  });
}

async function backup(context: RouteContext, reply: FastifyReply): Promise<void> {
  const revision = (await context.node.status()).revision;
  reply.type('application/octet-stream').header('content-disposition', `attachment; filename="bvault-backup-r${revision}.snapshot"`);
  await reply.send(Readable.from(context.node.backup(), { objectMode: false }));
}

async function restore(context: RouteContext, request: FastifyRequest): Promise<object> {
  const body = request.body as AsyncIterable<Uint8Array> | undefined;
  await context.node.restore(body ?? emptyStream());
  const status = await context.node.status();
  return { restored: true, revision: status.revision };
}

async function* emptyStream(): AsyncIterable<Uint8Array> {}

/** `{ revision }` → `{ revision, compactRevision }`. */
async function compact(context: RouteContext, request: FastifyRequest): Promise<object> {
  const { revision } = parseJsonBody(request, compactBody);
  const response = responseOf(await context.node.write({ type: 'compaction', compaction: { revision } }), 'compaction');
  return { revision: response.compaction.header.revision, compactRevision: revision };
}

/** Deactivates every raised alarm (etcdctl alarm disarm); each is one replicated request. */
async function disarmAlarms(context: RouteContext): Promise<object> {
  const disarmed: AlarmMember[] = [];
  for (const alarm of (await context.node.status()).alarms) {
    const response = responseOf(await context.node.write({ type: 'alarm', alarm: { action: AlarmAction.Deactivate, memberId: alarm.memberId, alarm: alarm.alarm } }), 'alarm');
    disarmed.push(...response.alarm.alarms);
  }
  return { disarmed, alarms: (await context.node.status()).alarms };
}

/** `{ to? }` names the target member by id or name; without it the node picks the most caught-up voter. */
async function transferLeadership(context: RouteContext, request: FastifyRequest): Promise<object> {
  const reference = parseJsonBody(request, transferLeadershipBody)?.to;
  const to = reference === undefined ? undefined : memberOf(context, String(reference)).id;
  await context.node.transferLeadership(to);
  return { leaderId: (await context.node.status()).leaderId };
}
