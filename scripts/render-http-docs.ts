// npm run docs:http: rewrites the reference part of docs/http-api.md from the REST API's
// schemas. test/api/http-docs.test.ts fails while the file is out of date.
import { readFile, writeFile } from 'node:fs/promises';
import { openApiDocument } from '../src/api/http/openapi-document.js';
import { withRenderedReference } from './http-api-reference.js';

const DOC = new URL('../docs/http-api.md', import.meta.url);

const current = await readFile(DOC, 'utf8');
const rendered = withRenderedReference(current, openApiDocument());
if (rendered === current) console.log('docs/http-api.md is up to date');
else {
  await writeFile(DOC, rendered);
  console.log('docs/http-api.md: the reference was rewritten from the schemas');
}
