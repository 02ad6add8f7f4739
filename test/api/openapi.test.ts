// GET /openapi.json: an OpenAPI 3.1 document generated from the request schemas, listing every
// route the server registers, with references that resolve.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenApiDocument } from '../../src/api/http/openapi-document.js';
import { openApiPath } from '../../src/api/http/openapi-document.js';
import { assertCatalogueMatches, HTTP_ROUTES, routeName } from '../../src/api/http/route-catalogue.js';
import { type ApiFixture, openApiFixture } from './api-fixture.js';

let api: ApiFixture;
let document: OpenApiDocument;
beforeAll(async () => {
  api = await openApiFixture();
  const response = await api.request({ method: 'GET', url: '/openapi.json' });
  expect(response.statusCode).toBe(200);
  document = response.json() as OpenApiDocument;
});
afterAll(async () => {
  await api.close();
});

describe('/openapi.json', () => {
  it('is an OpenAPI 3.1 document with every route the server registered', () => {
    expect(document.openapi).toBe('3.1.0');
    const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(HTTP_ROUTES.map((route) => `${route.method} ${openApiPath(route)}`).sort());
    for (const route of HTTP_ROUTES) expect(api.app.hasRoute({ method: route.method, url: route.url }), routeName(route)).toBe(true);
    expect(documented).toContain('POST /api/v1/transaction');
    expect(documented).toContain('PUT /api/v1/keys/{key}');
    expect(documented).toContain('POST /api/v1/raft/join');
  });

  it('describes bodies and query strings as strict schemas', () => {
    const transaction = document.paths['/api/v1/transaction']?.post;
    const body = transaction?.requestBody?.content['application/json']?.schema;
    expect(body).toMatchObject({ type: 'object', additionalProperties: false });
    expect(Object.keys((body as { properties: object }).properties)).toEqual(['compare', 'success', 'failure', 'operations']);
    const put = document.paths['/api/v1/keys/{key}']?.put;
    expect(put?.parameters.map((parameter) => parameter.name)).toEqual(['key', 'ttl', 'lease', 'prev_kv', 'if_version_match']);
  });

  it('has no reference that does not resolve', () => {
    const references = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((match) => match[1] as string);
    expect(references.length).toBeGreaterThan(0);
    for (const name of references) expect(document.components.schemas, name).toHaveProperty(name);
  });

  it('the server refuses to start with a route the catalogue does not list, or lists but does not serve', () => {
    const registered = new Set(HTTP_ROUTES.map(routeName));
    expect(() => assertCatalogueMatches(registered, HTTP_ROUTES)).not.toThrow();
    expect(() => assertCatalogueMatches(new Set([...registered, 'GET /api/v1/admin/unlisted']), HTTP_ROUTES)).toThrow(/not listed GET \/api\/v1\/admin\/unlisted/);
    expect(() => assertCatalogueMatches(registered, HTTP_ROUTES.slice(1))).toThrow(/not listed PUT \/api\/v1\/keys\/\*/);
  });
});
