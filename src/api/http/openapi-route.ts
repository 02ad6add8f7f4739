// GET /openapi.json — the REST API's OpenAPI document, built once: it depends only on the code.
import type { FastifyInstance } from 'fastify';
import { openApiDocument } from './openapi-document.js';

export function registerOpenApiRoute(app: FastifyInstance): void {
  const document = openApiDocument();
  app.get('/openapi.json', async () => document);
}
