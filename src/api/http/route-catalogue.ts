// Every route of the REST API with what it accepts: the one list from which the OpenAPI
// document (openapi-document.ts) and docs/http-api.md's reference are generated. buildHttpApi
// refuses to start when a registered route is missing here or a listed one is not registered,
// so the document cannot leave a route out.
import type { z } from 'zod';
import { addMemberBody, authenticateBody, batchDeleteBody, batchGetBody, batchPutBody, compactBody, leaseGrantBody, raftJoinBody, transferLeadershipBody, updateMemberBody } from './body-schemas.js';
import { GATEWAY_PREFIXES } from './etcd-gateway/gateway-methods.js';
import { DEFAULT_HTTP_LIMITS } from './http-limits.js';
import { KEY_ROUTE_PREFIXES } from './key-routes.js';
import { keyDeleteQuery, keyGetQuery, keyPutQuery, leaseQuery, listQuery, watchQuery } from './query-schemas.js';
import { transactionBody } from './transaction-schemas.js';

/** The tag of the etcd JSON gateway's routes (etcd-gateway/), which resolve their callers over gRPC. */
export const ETCD_GATEWAY_TAG = 'etcd gateway';

const etcdGatewayRoute = (prefix: string): HttpRoute => ({
  method: 'POST',
  url: `${prefix}*`,
  wildcard: 'method',
  tag: ETCD_GATEWAY_TAG,
  summary: `etcd 3.4's HTTP/JSON gateway${prefix === '/v3/' ? '' : ' under its older prefix'}: an etcd v3 call as JSON, e.g. ${prefix}kv/range (docs/grpc-and-etcd.md); Authorization carries the raw token of ${prefix}auth/authenticate`,
  answer: '200 the response message as etcd\'s JSON; watch, lease keep-alive and snapshot stream `{"result": ...}` lines; errors as `{ error, message, code }` with the gRPC code',
  rawBody: 'the request message as etcd\'s JSON; for watch and lease keep-alive a sequence of them, sent as the client goes',
});

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

export interface HttpRoute {
  readonly method: HttpMethod;
  /** The path as fastify matches it: `:name` parameters, and a trailing `*` for a key or prefix. */
  readonly url: string;
  /** What the trailing `*` stands for in the documented path. */
  readonly wildcard?: string;
  readonly tag: string;
  readonly summary: string;
  /** The success answer, in words and the JSON's shape. */
  readonly answer: string;
  readonly query?: z.ZodType;
  /** A JSON body, checked against this schema. */
  readonly body?: z.ZodType;
  /** A body that is not JSON (a key's value, a backup), in words. */
  readonly rawBody?: string;
}

const keyRoutes = (prefix: string): HttpRoute[] => [
  {
    method: 'PUT',
    url: `${prefix}*`,
    wildcard: 'key',
    tag: 'keys',
    summary: 'Writes a key; the body is the value, stored byte for byte with its Content-Type. Takes If-Match and If-None-Match: * headers',
    answer: '200 `{ revision, prevKv? }` with `ETag`; 412 when a precondition fails',
    query: keyPutQuery,
    rawBody: 'the value, any bytes',
  },
  {
    method: 'GET',
    url: `${prefix}*`,
    wildcard: 'key',
    tag: 'keys',
    summary: 'Reads a key: the raw value with its metadata in headers (HEAD: the headers alone)',
    answer: '200 the value; 304 for If-None-Match of the current ETag; 404 when missing',
    query: keyGetQuery,
  },
  {
    method: 'DELETE',
    url: `${prefix}*`,
    wildcard: 'key',
    tag: 'keys',
    summary: 'Deletes a key; takes the preconditions of PUT',
    answer: '204; 200 `{ revision, deleted, prevKv }` with prev_kv; 404 when missing',
    query: keyDeleteQuery,
  },
];

export const HTTP_ROUTES: readonly HttpRoute[] = [
  ...KEY_ROUTE_PREFIXES.flatMap(keyRoutes),
  {
    method: 'GET',
    url: '/api/v1/keys',
    tag: 'keys',
    summary: 'Lists keys by prefix, page by page, all pages at the revision of the first',
    answer: '200 `{ revision, items, nextCursor }`',
    query: listQuery(DEFAULT_HTTP_LIMITS),
  },
  { method: 'POST', url: '/api/v1/batch/put', tag: 'batches', summary: 'Writes keys in one transaction', answer: '200 `{ revision, count }`', body: batchPutBody },
  { method: 'POST', url: '/api/v1/batch/get', tag: 'batches', summary: 'Reads keys at one revision', answer: '200 `{ revision, items }`', body: batchGetBody },
  { method: 'POST', url: '/api/v1/batch/delete', tag: 'batches', summary: 'Deletes keys in one transaction', answer: '200 `{ revision, deleted, prevKvs? }`', body: batchDeleteBody },
  {
    method: 'POST',
    url: '/api/v1/transaction',
    tag: 'transactions',
    summary: 'Runs one atomic transaction, in the etcd form or the seeds form',
    answer: 'etcd form: 200 `{ succeeded, revision, responses }`; seeds form: 200 `{ succeeded: true, revision, results }` or 412',
    body: transactionBody,
  },
  {
    method: 'GET',
    url: '/api/v1/watch/*',
    wildcard: 'prefix',
    tag: 'watch',
    summary: 'Streams the changes under a prefix as Server-Sent Events; resumes after Last-Event-ID',
    answer: '200 `text/event-stream`',
    query: watchQuery,
  },
  { method: 'POST', url: '/api/v1/leases', tag: 'leases', summary: 'Grants a lease', answer: '201 `{ id, ttl }`', body: leaseGrantBody },
  { method: 'GET', url: '/api/v1/leases', tag: 'leases', summary: 'Lists the leases', answer: '200 `{ leases: [{ id, ttl, grantedAt }] }`' },
  { method: 'POST', url: '/api/v1/leases/:id/keepalive', tag: 'leases', summary: 'Renews a lease', answer: '200 `{ id, ttl }`' },
  { method: 'GET', url: '/api/v1/leases/:id', tag: 'leases', summary: 'The remaining time of a lease', answer: '200 `{ id, ttl, grantedTtl, keys }`', query: leaseQuery },
  { method: 'DELETE', url: '/api/v1/leases/:id', tag: 'leases', summary: 'Revokes a lease, deleting its keys', answer: '204' },
  { method: 'GET', url: '/api/v1/admin/status', tag: 'administration', summary: 'The status of this node; the web consoles of the cluster\'s other members may read it (Access-Control-Allow-Origin for their origins only)', answer: '200 the status' },
  { method: 'GET', url: '/api/v1/admin/metrics', tag: 'administration', summary: 'The metrics of /metrics as JSON: each series with its help, type and labelled values', answer: '200 `{ metrics: [{ name, help, type, values }] }`' },
  { method: 'POST', url: '/api/v1/admin/backup', tag: 'administration', summary: 'Streams a checksummed snapshot', answer: '200 `application/octet-stream`' },
  {
    method: 'POST',
    url: '/api/v1/admin/restore',
    tag: 'administration',
    summary: 'Restores the cluster from a backup streamed as the body',
    answer: '200 `{ restored: true, revision }`; 400 for a corrupt backup, nothing changed',
    rawBody: 'a backup, streamed (the body limit does not apply)',
  },
  { method: 'POST', url: '/api/v1/admin/compact', tag: 'administration', summary: 'Compacts history', answer: '200 `{ revision, compactRevision }`', body: compactBody },
  { method: 'POST', url: '/api/v1/admin/defragment', tag: 'administration', summary: 'Reclaims disk space on this node', answer: '200 `{ defragmented: true }`' },
  {
    method: 'POST',
    url: '/api/v1/admin/rotate-encryption-key',
    tag: 'administration',
    summary: 'Re-reads this node\'s encryption key file and re-encrypts its data under the newest key',
    answer: '200 `{ keyId, valuesResealed, durationMs }`',
  },
  { method: 'GET', url: '/api/v1/admin/alarms', tag: 'administration', summary: 'The raised alarms', answer: '200 `{ alarms }`' },
  { method: 'POST', url: '/api/v1/admin/alarms/disarm', tag: 'administration', summary: 'Clears every alarm', answer: '200 `{ disarmed, alarms }`' },
  {
    method: 'POST',
    url: '/api/v1/admin/transfer-leadership',
    tag: 'administration',
    summary: 'Moves leadership to another voter',
    answer: '200 `{ leaderId }`',
    body: transferLeadershipBody,
  },
  {
    method: 'POST',
    url: '/api/v1/auth/authenticate',
    tag: 'authentication',
    summary: 'Trades a user name and password for a token to send as Authorization: Bearer (etcd\'s Authenticate)',
    answer: '200 `{ token }`; 401 for a wrong name or password; 429 after too many failed attempts for the user',
    body: authenticateBody,
  },
  { method: 'GET', url: '/api/v1/cluster/members', tag: 'membership', summary: 'Lists the members', answer: '200 `{ clusterId, members }`' },
  { method: 'POST', url: '/api/v1/cluster/members', tag: 'membership', summary: 'Adds a member', answer: '201 `{ member, clusterId, members }`', body: addMemberBody },
  { method: 'POST', url: '/api/v1/raft/join', tag: 'membership', summary: 'The seeds form of adding a member: a learner', answer: '200 `{ member, clusterId, members }`', body: raftJoinBody },
  {
    method: 'POST',
    url: '/api/v1/cluster/members/:member/promote',
    tag: 'membership',
    summary: 'Promotes a caught-up learner (by id or name) to a voter',
    answer: '200 `{ clusterId, members }`; 409 until it has caught up',
  },
  {
    method: 'PATCH',
    url: '/api/v1/cluster/members/:member',
    tag: 'membership',
    summary: 'Gives a member (by id or name) a new peer address, where every member dials it from then on (etcd\'s MemberUpdate)',
    answer: '200 `{ clusterId, members }`',
    body: updateMemberBody,
  },
  { method: 'DELETE', url: '/api/v1/cluster/members/:member', tag: 'membership', summary: 'Removes a member (by id or name)', answer: '200 `{ clusterId, members }`' },
  ...GATEWAY_PREFIXES.map(etcdGatewayRoute),
  { method: 'GET', url: '/', tag: 'console', summary: 'Sends a browser to the web console', answer: '302 to `/ui/`' },
  { method: 'GET', url: '/ui', tag: 'console', summary: 'Sends a browser to the web console', answer: '302 to `/ui/`' },
  {
    method: 'GET',
    url: '/ui/*',
    wildcard: 'file',
    tag: 'console',
    summary: 'The web console (docs/console.md): its page, script and style, gzipped when accepted; public, as they hold no data',
    answer: '200 the file; 404 for another name; 503 when the console was not built',
  },
  { method: 'GET', url: '/healthz', tag: 'probes', summary: 'Whether the process answers', answer: '200 `{ status: "ok" }`' },
  { method: 'GET', url: '/readyz', tag: 'probes', summary: 'Whether the node can serve: a leader is known and it has caught up', answer: '200 `{ status: "ready" }`; 503 otherwise' },
  { method: 'GET', url: '/metrics', tag: 'probes', summary: 'The Prometheus metrics of the node', answer: '200 Prometheus text' },
  { method: 'GET', url: '/openapi.json', tag: 'probes', summary: 'This API as an OpenAPI 3.1 document', answer: '200 the document' },
];

/** `GET /api/v1/keys/*` */
export function routeName(route: Pick<HttpRoute, 'method' | 'url'>): string {
  return `${route.method} ${route.url}`;
}

/** A programmer error, refused at start: the OpenAPI document and the docs would leave out or invent a route. */
export function assertCatalogueMatches(registered: ReadonlySet<string>, catalogue: readonly HttpRoute[]): void {
  const listed = new Set(catalogue.map(routeName));
  const unlisted = [...registered].filter((name) => !listed.has(name));
  const unregistered = [...listed].filter((name) => !registered.has(name));
  if (unlisted.length > 0 || unregistered.length > 0) {
    throw new Error(`the route catalogue (route-catalogue.ts) is out of date: not listed ${unlisted.join(', ') || 'none'}; not registered ${unregistered.join(', ') || 'none'}`);
  }
}
