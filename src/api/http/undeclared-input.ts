// Routes that take no query parameters or no body refuse them, as the other routes refuse an
// unknown field: `POST /api/v1/admin/defragment?member=n2` must not defragment this node while
// the client believes it asked for another. What each route takes is read from the catalogue.
import type { FastifyInstance, FastifyRequest, preValidationHookHandler } from 'fastify';
import { strictObject } from '../../validation/strict-schema.js';
import { ApiError } from '../errors.js';
import { bodyBytes, parseQuery } from './request-parsing.js';
import { type HttpRoute, routeName } from './route-catalogue.js';

const NO_PARAMETERS = strictObject({});

export function refuseUndeclaredInput(app: FastifyInstance, catalogue: readonly HttpRoute[]): void {
  const routes = new Map(catalogue.map((route) => [routeName(route), route]));
  app.addHook('onRoute', (options) => {
    // HEAD is answered by the GET route, so it takes what GET takes.
    const method = [options.method].flat()[0] === 'HEAD' ? 'GET' : ([options.method].flat()[0] as HttpRoute['method']);
    const route = routes.get(routeName({ method, url: options.url }));
    if (route === undefined) return;
    const checks: preValidationHookHandler[] = [];
    if (route.query === undefined) checks.push(refuseQuery);
    if (route.body === undefined && route.rawBody === undefined) checks.push(refuseBody);
    options.preValidation = [...[options.preValidation ?? []].flat(), ...checks];
  });
}

async function refuseQuery(request: FastifyRequest): Promise<void> {
  parseQuery(request, NO_PARAMETERS);
}

async function refuseBody(request: FastifyRequest): Promise<void> {
  if (bodyBytes(request).length > 0) throw new ApiError('API_INVALID_BODY', { reason: `${request.method} ${request.routeOptions.url ?? request.url} takes no body` });
}
