// docs/http-api.md's reference is what the schemas say: after a change to a request schema or
// the route catalogue, `npm run docs:http` must be run and its result committed.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/api/http/openapi-document.js';
import { HTTP_ROUTES } from '../../src/api/http/route-catalogue.js';
import { withRenderedReference } from '../../scripts/http-api-reference.js';

const DOC = new URL('../../docs/http-api.md', import.meta.url);

describe('docs/http-api.md', () => {
  it('has the reference the schemas give (run npm run docs:http)', async () => {
    const current = await readFile(DOC, 'utf8');
    expect(current, 'docs/http-api.md is out of date with the request schemas: run npm run docs:http').toBe(withRenderedReference(current, openApiDocument()));
  });

  it('would notice a route left out', async () => {
    const current = await readFile(DOC, 'utf8');
    expect(withRenderedReference(current, openApiDocument(HTTP_ROUTES.slice(1)))).not.toBe(current);
  });
});
