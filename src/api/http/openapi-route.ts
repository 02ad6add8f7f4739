// GET /openapi.json — the REST API's OpenAPI document. It depends only on the code, so it is
// built once, on the first request: a member that restarts has better things to do before it
// serves than describe its API.
import type { FastifyInstance } from 'fastify';
import { openApiDocument } from './openapi-document.js';

export function registerOpenApiRoute(app: FastifyInstance): void {
  let document: ReturnType<typeof openApiDocument> | undefined;
  app.get('/openapi.json', async () => (document ??= openApiDocument()));
}
