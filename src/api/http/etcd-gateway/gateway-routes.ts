// etcd 3.4's HTTP/JSON gateway on the HTTP port: `POST /v3/kv/put` and every other path of
// gateway-methods.ts, also under /v3beta/, with etcd's JSON (etcd-json.ts) and errors
// (gateway-errors.ts). It translates and nothing else: each call is made on this member's own
// gRPC server (src/api/grpc/local-endpoint.ts), so authentication, permissions, limits, metrics
// and the audit log are those of the gRPC API, and a follower forwards writes as it does there.
//
// The caller proves who it is with the token from /v3/auth/authenticate, sent raw in the
// Authorization header as etcd's gateway takes it, and passed on as the gRPC `token` metadata.
// A client certificate's common name cannot be passed on, so, as etcd does, a request that
// presents one while authentication is enabled is refused rather than served as someone else.
import { Readable } from 'node:stream';
import { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { certificateCommonNameOf } from '../../../access/certificate-identity.js';
import type { AuthManager } from '../../../auth/auth-manager.js';
import { binaryFromJson, jsonFromBinary, parseJsonText } from './etcd-json.js';
import { errorBody, failureOf, GatewayError } from './gateway-errors.js';
import { GATEWAY_PREFIXES, type GatewayMethod, gatewayMethodAt } from './gateway-methods.js';
import { pipeBidiStream, pipeServerStream } from './gateway-streams.js';
import { LocalGrpcClient } from './local-grpc-client.js';

export interface EtcdGatewayOptions {
  /** The member's local gRPC target (GrpcApi.localTarget); without one every call answers UNAVAILABLE. */
  readonly grpcTarget?: string;
  /** Says whether authentication is enabled, for the client-certificate check. */
  readonly auth?: AuthManager;
  /** The largest request message, in bytes (a streamed body's limit is per message). */
  readonly requestBytesMax: number;
}

/** etcd's own text for a certificate whose common name the gateway cannot pass on. */
const COMMON_NAME_REFUSED = 'CommonName of client sending a request against gateway will be ignored and not used as expected';

const HTTP_PAYLOAD_TOO_LARGE = 413;

export function registerEtcdGateway(app: FastifyInstance, options: EtcdGatewayOptions): void {
  const client = options.grpcTarget === undefined ? undefined : new LocalGrpcClient(options.grpcTarget);
  app.addHook('onClose', async () => client?.close());
  // The body is read here, as it arrives: a watch's never ends.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    for (const prefix of GATEWAY_PREFIXES) {
      scope.post(`${prefix}*`, (request, reply) => serve(client, options, request, reply));
    }
  });
}

async function serve(client: LocalGrpcClient | undefined, options: EtcdGatewayOptions, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const body = (request.body as Readable | undefined) ?? Readable.from([]);
  try {
    const method = gatewayMethodAt((request.params as { '*': string })['*']);
    if (method === undefined) throw new GatewayError(GrpcStatus.NOT_FOUND, `etcd's gateway has no method at POST ${request.url}`);
    if (client === undefined) throw new GatewayError(GrpcStatus.UNAVAILABLE, 'the etcd gateway is not connected to the gRPC API on this member');
    await refuseCertificateIdentity(request, options.auth);
    const token = request.headers.authorization;
    switch (method.descriptor.methodKind) {
      case 'unary':
        return await unary(client, method, await readRequest(method, body, options.requestBytesMax), token, reply);
      case 'server_streaming': {
        const call = client.serverStream(method.grpcPath, await readRequest(method, body, options.requestBytesMax), token);
        reply.hijack();
        return pipeServerStream(method, call, reply.raw);
      }
      default:
        reply.hijack();
        return pipeBidiStream(method, body, client.bidiStream(method.grpcPath, token), reply.raw, options.requestBytesMax);
    }
  } catch (error) {
    // Whatever of the body was not read is not wanted; reading it lets the answer be sent.
    body.resume();
    const failure = failureOf(error);
    await reply.code(failure.httpStatus).type('application/json').send(JSON.stringify(errorBody(failure)));
  }
}

async function unary(client: LocalGrpcClient, method: GatewayMethod, request: Uint8Array, token: string | undefined, reply: FastifyReply): Promise<void> {
  const abandoned = new AbortController();
  reply.raw.once('close', () => abandoned.abort());
  const response = await client.unary(method.grpcPath, request, token, abandoned.signal);
  await reply.code(200).type('application/json').send(JSON.stringify(jsonFromBinary(method.descriptor.output, response)));
}

/** The whole body as the request's protobuf encoding; nothing is sent when it is too large or not the message. */
async function readRequest(method: GatewayMethod, body: Readable, bytesMax: number): Promise<Uint8Array> {
  const text = (await readBody(body, bytesMax)).toString('utf8');
  return binaryFromJson(method.descriptor.input, parseJsonText(text));
}

/**
 * Rejects as soon as the body passes the limit, leaving the stream open (not destroyed, which
 * would close the connection before the refusal is sent); the caller drains what is left.
 */
function readBody(body: Readable, bytesMax: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length <= bytesMax) return void chunks.push(chunk);
      body.off('data', onData).off('end', onEnd);
      reject(new GatewayError(GrpcStatus.RESOURCE_EXHAUSTED, `the request body is larger than the limit of ${bytesMax} bytes`, HTTP_PAYLOAD_TOO_LARGE));
    };
    const onEnd = (): void => resolve(Buffer.concat(chunks));
    body.on('data', onData).once('end', onEnd).once('error', reject);
  });
}

async function refuseCertificateIdentity(request: FastifyRequest, auth: AuthManager | undefined): Promise<void> {
  const socket = request.raw.socket;
  if (auth === undefined || !(socket instanceof TLSSocket) || !socket.authorized) return;
  if (certificateCommonNameOf(socket.getPeerCertificate()) === undefined) return;
  if ((await auth.status()).enabled) throw new GatewayError(GrpcStatus.INVALID_ARGUMENT, COMMON_NAME_REFUSED);
}
