// Who makes a REST call, for `NodeAccess.nodeFor`: `Authorization: Bearer <token>`, or
// `Authorization: Basic` over TLS only (over plain HTTP the password would cross the network in
// clear text, so it is refused rather than ignored), the common name of the client certificate
// TLS verified, and the peer's address. The view is resolved once per request, in an
// onRequest hook of every client route, before the body is read; handlers reach the node only
// as `request.callerNode`. Probes (/healthz, /readyz, /metrics, /openapi.json) and the web
// console's files are served without one, and the etcd JSON gateway (/v3/...) leaves it to the
// gRPC server that serves its calls.
import { TLSSocket, type PeerCertificate } from 'node:tls';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { certificateCommonNameOf } from '../../access/certificate-identity.js';
import type { Credentials, NodeAccess } from '../../access/node-access.js';
import type { KvNode } from '../../node/kv-node.js';
import { ApiError } from '../errors.js';
import { ETCD_GATEWAY_TAG, type HttpRoute, routeName } from './route-catalogue.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's view of the node, resolved before the handler runs; absent on probe routes. */
    readonly callerNode: KvNode;
  }
}

/**
 * The routes this hook resolves no caller for: those that answer whoever asks (probes, from the
 * node's own state or the metrics registry, and the web console's static files, which hold no
 * data), and the etcd gateway's, whose calls the gRPC server resolves from the token the gateway
 * passes on (etcd-gateway/gateway-routes.ts).
 */
const UNRESOLVED_TAGS: ReadonlySet<string> = new Set(['probes', 'console', ETCD_GATEWAY_TAG]);

const AUTHORIZATION = /^([A-Za-z]+)(?: +(\S+))? *$/;

export function resolveCallerNodes(app: FastifyInstance, access: NodeAccess, catalogue: readonly HttpRoute[]): void {
  const shared = access.sameForEveryCaller;
  if (shared !== undefined) {
    // Every caller gets the same node: no hook, no per-request work.
    app.decorateRequest('callerNode', { getter: () => shared });
    return;
  }
  app.decorateRequest('callerNode', null as unknown as KvNode);
  const unresolved = new Set(catalogue.filter((route) => UNRESOLVED_TAGS.has(route.tag)).map(routeName));
  const resolve: onRequestAsyncHookHandler = async (request) => {
    const origin = { api: 'rest' as const, method: routeName({ method: request.method as HttpRoute['method'], url: request.routeOptions.url ?? request.url }), source: sourceOf(request) };
    (request as { callerNode: KvNode }).callerNode = await access.nodeFor(origin, httpCredentials(request));
  };
  app.addHook('onRoute', (options) => {
    const method = [options.method].flat()[0] === 'HEAD' ? 'GET' : ([options.method].flat()[0] as HttpRoute['method']);
    if (unresolved.has(routeName({ method, url: options.url }))) return;
    options.onRequest = [...[options.onRequest ?? []].flat(), resolve];
  });
}

export function httpCredentials(request: FastifyRequest): Credentials {
  const socket = request.raw.socket;
  const tls = socket instanceof TLSSocket ? { peerCertificate: socket.authorized ? socket.getPeerCertificate() : undefined } : undefined;
  return credentialsOf(request.headers.authorization, tls);
}

/**
 * The credentials of an Authorization header and a connection; `tls` is undefined over plain
 * HTTP and names the peer certificate TLS verified, if any, over HTTPS.
 */
export function credentialsOf(authorization: string | undefined, tls: { readonly peerCertificate?: PeerCertificate } | undefined): Credentials {
  const certificateCommonName = certificateCommonNameOf(tls?.peerCertificate);
  const fromHeader = authorization === undefined ? {} : authorizationCredentials(authorization, tls !== undefined);
  return certificateCommonName === undefined ? fromHeader : { ...fromHeader, certificateCommonName };
}

function authorizationCredentials(header: string, overTls: boolean): Credentials {
  const match = AUTHORIZATION.exec(header);
  if (match === null) throw invalid('expected "Bearer <token>" or, over HTTPS, "Basic <base64 of user:password>"');
  const [, scheme = '', parameter] = match;
  const known = scheme.toLowerCase();
  if (known !== 'bearer' && known !== 'basic') throw invalid(`the scheme ${scheme} is not supported; use Bearer <token> or, over HTTPS, Basic`);
  if (parameter === undefined) throw invalid(`${scheme} needs exactly one parameter after the scheme`);
  if (known === 'bearer') return { token: parameter };
  if (!overTls) {
    throw invalid('Basic authentication is accepted only over HTTPS, where the password does not cross the network in clear text; over HTTP send Authorization: Bearer <token> from POST /api/v1/auth/authenticate');
  }
  return { password: basicPasswordOf(parameter) };
}

function basicPasswordOf(encoded: string): { readonly user: string; readonly password: string } {
  const decoded = Buffer.from(encoded, 'base64');
  if (decoded.toString('base64').replace(/=+$/, '') !== encoded.replace(/=+$/, '')) throw invalid('the Basic credentials are not base64');
  const text = decoded.toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) throw invalid('the Basic credentials must be base64 of user:password with a non-empty user');
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

function invalid(reason: string): ApiError {
  return new ApiError('API_INVALID_CREDENTIALS', { name: 'the Authorization header', reason });
}

/** host:port of the client, with an IPv6 host in brackets. */
function sourceOf(request: FastifyRequest): string {
  const { remoteAddress = 'unknown', remotePort = 0 } = request.socket;
  return remoteAddress.includes(':') ? `[${remoteAddress}]:${remotePort}` : `${remoteAddress}:${remotePort}`;
}
