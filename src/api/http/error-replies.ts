// Every error leaves as `{ "error": { "code", "message" } }` with the status of the shared
// registry, plus Retry-After for conditions that pass by themselves. Fastify's own errors
// (body too large, bad URL, unreadable body) are translated to API_* codes first.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../observability/logger.js';
import { ApiError, type ClientError, toClientError } from '../errors.js';
import type { HttpLimits } from './http-limits.js';

export function installErrorReplies(app: FastifyInstance, limits: HttpLimits, logger: Logger): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const client = toClientError(fromFastify(error, limits));
    if (client.status.http >= 500 && client.status.retryAfterSeconds === undefined) {
      logger.error({ err: error, method: request.method, url: request.url }, 'request failed');
    }
    return sendClientError(reply, client);
  });
  app.setNotFoundHandler((request, reply) => sendClientError(reply, toClientError(new ApiError('API_ROUTE_NOT_FOUND', { name: `${request.method} ${request.url}` }))));
}

/** Handles errors fastify raises before routing, such as a path that is not valid percent-encoding. */
export function frameworkErrorReply(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  void sendClientError(reply, toClientError(new ApiError('API_INVALID_KEY_ENCODING', { reason: error.message })));
}

export function sendClientError(reply: FastifyReply, client: ClientError): FastifyReply {
  if (client.status.retryAfterSeconds !== undefined) reply.header('retry-after', client.status.retryAfterSeconds);
  return reply.code(client.status.http).type('application/json; charset=utf-8').send({ error: { code: client.code, message: client.message } });
}

function fromFastify(error: FastifyError, limits: HttpLimits): unknown {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('API_REQUEST_TOO_LARGE', { limit: limits.requestBytesMax });
    case 'FST_ERR_BAD_URL':
      return new ApiError('API_INVALID_KEY_ENCODING', { reason: error.message });
    default:
      if (error.code?.startsWith('FST_') === true && (error.statusCode ?? 500) < 500) return new ApiError('API_INVALID_BODY', { reason: error.message });
      return error;
  }
}
