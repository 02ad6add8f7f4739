// One key: PUT, GET, HEAD (fastify derives it from GET) and DELETE under /api/v1/keys/{key},
// and the seed's alias /api/v1/kv/{key}. The key is the percent-decoded path remainder and
// may contain '/'. Values travel as raw bytes in both directions, never as JSON.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type MvccRequest, type PutRequest, type RangeRequest, validateRequest } from '../../mvcc/index.js';
import { ApiError } from '../errors.js';
import { conditionalWrite } from '../shared/conditional-write.js';
import { entityTagOf } from '../shared/entity-tags.js';
import { notModified, writePreconditions } from './key-preconditions.js';
import { asBuffer, keyValueJson, setKeyHeaders, TAG_HEADER_PREFIX } from './key-view.js';
import { responseOf } from '../shared/node-responses.js';
import { keyDeleteQuery, keyGetQuery, keyPutQuery } from './query-schemas.js';
import { bodyBytes, parseQuery } from './request-parsing.js';
import type { RouteContext } from './route-context.js';
import { ttlList, withTtlLeases } from '../shared/ttl-leases.js';

export const KEY_ROUTE_PREFIXES = ['/api/v1/keys/', '/api/v1/kv/'] as const;

export function registerKeyRoutes(app: FastifyInstance, context: RouteContext): void {
  const routes = new KeyRoutes(context);
  for (const prefix of KEY_ROUTE_PREFIXES) {
    app.put(`${prefix}*`, (request, reply) => routes.put(request, reply));
    app.get(`${prefix}*`, (request, reply) => routes.get(request, reply));
    app.delete(`${prefix}*`, (request, reply) => routes.delete(request, reply));
  }
}

function keyOf(request: FastifyRequest): Buffer {
  return Buffer.from((request.params as { '*': string })['*'], 'utf8');
}

class KeyRoutes {
  constructor(private readonly context: RouteContext) {}

  async put(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const query = parseQuery(request, keyPutQuery);
    const key = keyOf(request);
    const { ttl, lease } = query;
    if (ttl !== undefined && lease !== undefined) throw new ApiError('API_INVALID_PARAMETER', { name: 'ttl', reason: 'give either ttl or lease, not both' });
    const put: PutRequest = {
      key,
      value: bodyBytes(request),
      prevKv: query.prev_kv ?? false,
      contentType: storedContentTypeOf(request.headers['content-type']),
      tags: tagsOf(request),
      ...(lease === undefined ? {} : { lease }),
    };
    validateRequest({ type: 'put', put }, this.context.limits);
    const compares = writePreconditions(key, request.headers, query.if_version_match);
    const outcome = await withTtlLeases(
      request.callerNode,
      this.context,
      ttlList(ttl),
      (leases) => {
        const granted = ttl === undefined ? undefined : leases.get(ttl);
        return conditionalWrite(request.callerNode, { type: 'put', put: granted === undefined ? put : { ...put, lease: granted } }, compares);
      },
      (result) => result.succeeded,
    );
    if (!outcome.succeeded) throw outcome.failure;
    const prevKv = outcome.response.type === 'put' ? outcome.response.put.prevKv : undefined;
    reply.header('etag', entityTagOf(outcome.revision));
    await reply.send({ revision: outcome.revision, ...(prevKv === undefined ? {} : { prevKv: keyValueJson(prevKv) }) });
  }

  async get(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const query = parseQuery(request, keyGetQuery);
    const range: RangeRequest = { key: keyOf(request), revision: query.revision ?? 0 };
    validateRequest({ type: 'range', range }, this.context.limits);
    const response = await request.callerNode.range(range, { consistency: query.consistency ?? 'linearizable' });
    const kv = response.kvs[0];
    if (kv === undefined) throw new ApiError('API_KEY_NOT_FOUND', { name: range.key.toString() });
    setKeyHeaders(reply, kv, response.header.revision);
    if (notModified(request.headers['if-none-match'], kv.modRevision)) {
      await reply.code(304).send();
      return;
    }
    await reply.send(asBuffer(kv.value));
  }

  async delete(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const query = parseQuery(request, keyDeleteQuery);
    const key = keyOf(request);
    const prevKv = query.prev_kv ?? false;
    const deletion: Extract<MvccRequest, { type: 'deleteRange' }> = { type: 'deleteRange', deleteRange: { key, prevKv } };
    validateRequest(deletion, this.context.limits);
    const outcome = await conditionalWrite(request.callerNode, deletion, writePreconditions(key, request.headers, query.if_version_match));
    if (!outcome.succeeded) throw outcome.failure;
    const deleted = responseOf(outcome.response, 'deleteRange').deleteRange;
    if (deleted.deleted === 0) throw new ApiError('API_KEY_NOT_FOUND', { name: key.toString() });
    if (!prevKv) {
      await reply.code(204).send();
      return;
    }
    const previous = deleted.prevKvs[0];
    await reply.send({ revision: outcome.revision, deleted: deleted.deleted, ...(previous === undefined ? {} : { prevKv: keyValueJson(previous) }) });
  }
}

/** Tags from `X-BVault-Tag-<name>` headers; names arrive lower-cased, values percent-encoded. */
function tagsOf(request: FastifyRequest): Record<string, string> | undefined {
  let tags: Record<string, string> | undefined;
  for (const [name, value] of Object.entries(request.headers)) {
    if (!name.startsWith(TAG_HEADER_PREFIX) || typeof value !== 'string') continue;
    tags ??= {};
    tags[name.slice(TAG_HEADER_PREFIX.length)] = decodeTag(name, value);
  }
  return tags;
}

function decodeTag(name: string, value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new ApiError('API_INVALID_PARAMETER', { name, reason: 'the value is not valid percent-encoding' });
  }
}

/**
 * curl -d sends every body as a form (application/x-www-form-urlencoded) unless told otherwise,
 * so that type says how the value was sent, not what it is: it is stored as unspecified.
 */
function storedContentTypeOf(header: string | undefined): string {
  if (header === undefined || header.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded') return '';
  return header;
}
