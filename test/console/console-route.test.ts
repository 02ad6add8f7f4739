// How members serve the web console's files: redirects to /ui/, content types, gzip made at
// build time, caching (the page revalidated, hashed files kept a year), the same-origin
// policy, no credentials asked for, and a plain answer when the console was not built.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHttpApi } from '../../src/api/http/index.js';
import { findConsoleDirectory } from '../../src/api/http/console-route.js';
import { silentLogger } from '../../src/observability/logger.js';
import { SingleStoreKvNode } from '../api/single-store-kv-node.js';

const PAGE = '<!doctype html><title>console</title><script type="module" src="app-0123456789ab.js"></script>';
const SCRIPT = 'console.log("hello")';

describe('the web console route', () => {
  let directory: string;
  let node: SingleStoreKvNode;
  let app: FastifyInstance;
  let unbuilt: FastifyInstance;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'bvault-console-'));
    await writeFile(join(directory, 'index.html'), PAGE);
    await writeFile(join(directory, 'index.html.gz'), gzipSync(PAGE));
    await writeFile(join(directory, 'app-0123456789ab.js'), SCRIPT);
    await writeFile(join(directory, 'app-0123456789ab.js.gz'), gzipSync(SCRIPT));
    node = await SingleStoreKvNode.open();
    app = await buildHttpApi({ node, metrics: new Registry(), logger: silentLogger(), consoleDirectory: directory });
    unbuilt = await buildHttpApi({ node, metrics: new Registry(), logger: silentLogger(), consoleDirectory: join(directory, 'missing') });
  });

  afterAll(async () => {
    await app.close();
    await unbuilt.close();
    await node.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('sends / and /ui to /ui/', async () => {
    for (const url of ['/', '/ui']) {
      const response = await app.inject({ method: 'GET', url });
      expect([response.statusCode, response.headers.location]).toEqual([302, '/ui/']);
    }
  });

  it('serves the page gzipped when accepted, revalidated on every load, same-origin only', async () => {
    const response = await app.inject({ method: 'GET', url: '/ui/', headers: { 'accept-encoding': 'gzip, br' } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['content-encoding']).toBe('gzip');
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.headers.vary).toBe('accept-encoding');
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(gunzipSync(response.rawPayload).toString()).toBe(PAGE);
  });

  it('serves plain bytes to a client without gzip, and hashed files for a year', async () => {
    const response = await app.inject({ method: 'GET', url: '/ui/app-0123456789ab.js' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-encoding']).toBeUndefined();
    expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(response.body).toBe(SCRIPT);
  });

  it('answers an unknown file with the API’s JSON 404', async () => {
    const response = await app.inject({ method: 'GET', url: '/ui/app-0123456789ab.js.gz' });
    expect([response.statusCode, response.json().error.code]).toEqual([404, 'API_ROUTE_NOT_FOUND']);
  });

  it('says how to build the console when it was not built', async () => {
    const response = await unbuilt.inject({ method: 'GET', url: '/ui/' });
    expect(response.statusCode).toBe(503);
    expect(response.json().error.message).toContain('npm run build');
  });

  it('lets only the consoles of the cluster’s members read this member’s status, and names them in connect-src', async () => {
    await node.addMember({ name: 'n2', peerAddress: '127.0.0.1:7001', clientUrls: ['http://127.0.0.1:8001/'] });
    const fromMember = await app.inject({ method: 'GET', url: '/api/v1/admin/status', headers: { origin: 'http://127.0.0.1:8001' } });
    expect([fromMember.statusCode, fromMember.headers['access-control-allow-origin']]).toEqual([200, 'http://127.0.0.1:8001']);
    const fromElsewhere = await app.inject({ method: 'GET', url: '/api/v1/admin/status', headers: { origin: 'http://attacker.example' } });
    expect(fromElsewhere.headers['access-control-allow-origin']).toBeUndefined();
    const otherRoute = await app.inject({ method: 'GET', url: '/api/v1/leases', headers: { origin: 'http://127.0.0.1:8001' } });
    expect(otherRoute.headers['access-control-allow-origin']).toBeUndefined();
    const page = await app.inject({ method: 'GET', url: '/ui/' });
    expect(page.headers['content-security-policy']).toContain("connect-src 'self' http://127.0.0.1:8001;");
  });

  it('finds dist/console of the package it runs from', () => {
    expect(findConsoleDirectory(join(import.meta.dirname, '../../src/api/http'))).toBe(join(import.meta.dirname, '../../dist/console'));
  });
});
