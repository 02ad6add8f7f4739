// Leases: grant, keep-alive, time-to-live (with attached keys), revoke and list. Keep-alives
// and TTLs are the leader's view; the node forwards them from a follower.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type MvccRequest, validateRequest } from '../../mvcc/index.js';
import { encodeBytes } from './key-view.js';
import { responseOf } from '../shared/node-responses.js';
import { leaseGrantBody } from './body-schemas.js';
import { decimalInteger, leaseQuery } from './query-schemas.js';
import { parseJsonBody, parseParameter, parseQuery } from './request-parsing.js';
import type { RouteContext } from './route-context.js';

export function registerLeaseRoutes(app: FastifyInstance, context: RouteContext): void {
  app.post('/api/v1/leases', (request, reply) => grant(context, request, reply));
  app.get('/api/v1/leases', async (request) => ({ leases: (await request.callerNode.leases()).map((lease) => ({ id: lease.id, ttl: lease.ttl, grantedAt: new Date(lease.grantedAtMs).toISOString() })) }));
  app.post('/api/v1/leases/:id/keepalive', async (request) => {
    const id = leaseIdOf(request);
    return { id, ttl: await request.callerNode.leaseKeepAlive(id) };
  });
  app.get('/api/v1/leases/:id', async (request) => {
    const lease = await request.callerNode.leaseTimeToLive(leaseIdOf(request), parseQuery(request, leaseQuery).keys ?? false);
    return { id: lease.id, ttl: lease.remainingTtl, grantedTtl: lease.grantedTtl, keys: lease.keys.map((key) => encodeBytes(key).text) };
  });
  app.delete('/api/v1/leases/:id', async (request, reply) => {
    await request.callerNode.write({ type: 'leaseRevoke', leaseRevoke: { id: leaseIdOf(request) } });
    await reply.code(204).send();
  });
}

/** `{ ttl, id? }` → 201 `{ id, ttl }`. */
async function grant(context: RouteContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const { ttl, id } = parseJsonBody(request, leaseGrantBody);
  const grantRequest: MvccRequest = { type: 'leaseGrant', leaseGrant: { ttl, ...(id === undefined ? {} : { id }) } };
  validateRequest(grantRequest, context.limits);
  const granted = responseOf(await request.callerNode.write(grantRequest), 'leaseGrant').leaseGrant;
  await reply.code(201).send({ id: granted.id, ttl: granted.ttl });
}

function leaseIdOf(request: FastifyRequest): number {
  return parseParameter('lease id', (request.params as { id: string }).id, decimalInteger(1));
}
