// The REST API as an OpenAPI 3.1 document, generated from the route catalogue and the same zod
// schemas that check every request, so the document and the checks cannot disagree. Served at
// GET /openapi.json and rendered into docs/http-api.md (npm run docs:http).
import { z } from 'zod';
import { type HttpRoute, HTTP_ROUTES } from './route-catalogue.js';

type JsonSchema = Record<string, unknown>;

export interface OpenApiParameter {
  readonly name: string;
  readonly in: 'path' | 'query';
  readonly required: boolean;
  readonly description?: string;
  readonly schema: JsonSchema;
}

export interface OpenApiOperation {
  readonly tags: readonly string[];
  readonly summary: string;
  readonly parameters: readonly OpenApiParameter[];
  readonly requestBody?: { readonly required: boolean; readonly description?: string; readonly content: Record<string, { readonly schema: JsonSchema }> };
  readonly responses: Record<string, { readonly description: string; readonly content?: Record<string, { readonly schema: JsonSchema }> }>;
}

export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly paths: Record<string, Record<string, OpenApiOperation>>;
  readonly components: { readonly schemas: Record<string, JsonSchema> };
}

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] } },
  required: ['error'],
};

export function openApiDocument(routes: readonly HttpRoute[] = HTTP_ROUTES): OpenApiDocument {
  const schemas: Record<string, JsonSchema> = { Error: ERROR_SCHEMA };
  const paths: Record<string, Record<string, OpenApiOperation>> = {};
  for (const route of routes) {
    const operations = (paths[openApiPath(route)] ??= {});
    operations[route.method.toLowerCase()] = operationOf(route, schemas);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Beaver-Vault HTTP API',
      version: '1',
      description: 'Every JSON body and query string is checked against these schemas; an unknown field is refused with 400 API_UNKNOWN_FIELD.',
    },
    paths,
    components: { schemas },
  };
}

/** `/api/v1/leases/:id` → `/api/v1/leases/{id}`; the trailing `*` becomes the route's wildcard name. */
export function openApiPath(route: Pick<HttpRoute, 'url' | 'wildcard'>): string {
  return route.url.replace(/:(\w+)/g, '{$1}').replace(/\*$/, `{${route.wildcard ?? 'path'}}`);
}

function operationOf(route: HttpRoute, schemas: Record<string, JsonSchema>): OpenApiOperation {
  const parameters = [...pathParameters(route), ...(route.query === undefined ? [] : queryParameters(jsonSchemaOf(route.query, schemas, 'output')))];
  return {
    tags: [route.tag],
    summary: route.summary,
    parameters,
    ...requestBodyOf(route, schemas),
    responses: {
      [successStatus(route)]: { description: route.answer },
      default: { description: 'an error: `{ error: { code, message } }`', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    },
  };
}

function successStatus(route: HttpRoute): string {
  return /^\d{3}/.exec(route.answer)?.[0] ?? '200';
}

function pathParameters(route: HttpRoute): OpenApiParameter[] {
  const names = [...route.url.matchAll(/:(\w+)/g)].map((match) => match[1] as string);
  if (route.url.endsWith('*')) names.push(route.wildcard ?? 'path');
  return names.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
}

function queryParameters(schema: JsonSchema): OpenApiParameter[] {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: 'query', required: required.has(name), ...(typeof description === 'string' ? { description } : {}), schema: rest };
  });
}

function requestBodyOf(route: HttpRoute, schemas: Record<string, JsonSchema>): Pick<OpenApiOperation, 'requestBody'> {
  if (route.rawBody !== undefined) {
    return { requestBody: { required: false, description: route.rawBody, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } } };
  }
  if (route.body === undefined) return {};
  const required = !route.body.safeParse(undefined).success;
  return { requestBody: { required, content: { 'application/json': { schema: jsonSchemaOf(route.body, schemas) } } } };
}

/**
 * The JSON Schema of what a client sends; for a query string, of what its text parses to, since
 * every parameter arrives as text. Its definitions (the recursive ones) move to the
 * document's components, where the references of an embedded schema can reach them; the ones
 * zod names itself (`__schema0`) are renamed so that two routes' definitions cannot collide.
 */
function jsonSchemaOf(schema: z.ZodType, components: Record<string, JsonSchema>, io: 'input' | 'output' = 'input'): JsonSchema {
  const generated = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as JsonSchema;
  const definitions = (generated.$defs ?? {}) as Record<string, JsonSchema>;
  let text = JSON.stringify(generated);
  for (const name of Object.keys(definitions)) {
    const unique = name.startsWith('__') ? `Definition${Object.keys(components).length}` : name;
    components[unique] = {};
    text = text.replaceAll(`"#/$defs/${name}"`, `"#/components/schemas/${unique}"`).replaceAll(`"${name}":`, `"${unique}":`);
  }
  const { $schema: _dialect, $defs, ...rest } = JSON.parse(text) as JsonSchema;
  Object.assign(components, $defs as Record<string, JsonSchema> | undefined);
  return rest;
}
