// The web console (console/, docs/console.md): GET /ui/* serves the files `npm run build`
// (scripts/build-console.mjs) put in dist/console, and GET / and GET /ui send the browser to
// /ui/. The console is a client of this same REST API, so its files are static and public:
// they hold no data, and every call the console then makes carries the user's own token.
//
// Each file is served gzipped when the browser accepts it (the build compressed it once) and
// with its content type; index.html is revalidated on every load, the other files carry a
// content hash in their name and are cached for a year.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';

export const CONSOLE_PATH = '/ui/';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * The console loads nothing from elsewhere and may be framed by nobody; it calls its own
 * member, and reads the other members' status (see memberOrigins).
 */
function contentSecurityPolicy(connectOrigins: readonly string[]): string {
  return `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ${["'self'", ...connectOrigins].join(' ')}; base-uri 'none'; frame-ancestors 'none'`;
}

/** The route whose answer the consoles of the other members of the cluster may read. */
const SHARED_STATUS_ROUTE = '/api/v1/admin/status';

interface ConsoleFile {
  readonly contentType: string;
  readonly plain: Buffer;
  readonly gzipped: Buffer | undefined;
  readonly cacheControl: string;
}

/** The cluster's members as the console needs them: where each serves its REST API. */
export interface ConsoleMembers {
  members(): readonly { readonly clientUrls: readonly string[] }[];
}

export function registerConsoleRoutes(app: FastifyInstance, cluster: ConsoleMembers, directory: string | undefined = findConsoleDirectory()): void {
  const files = directory === undefined ? new Map<string, ConsoleFile>() : loadConsoleFiles(directory);
  app.get('/', (_request, reply) => reply.redirect(CONSOLE_PATH));
  app.get('/ui', (_request, reply) => reply.redirect(CONSOLE_PATH));
  app.get('/ui/*', (request, reply) => serveFile(files, memberOrigins(cluster), request, reply));
  shareStatusWithMembers(app, cluster);
}

/**
 * The console shows each member's own term, indexes, size and version, read from that
 * member's status by the browser. The status answers anyone who asks directly, so letting a
 * page served by another member of the same cluster read it reveals nothing new; the answer
 * names no other origin, and no call that carries credentials or writes is shared.
 */
function shareStatusWithMembers(app: FastifyInstance, cluster: ConsoleMembers): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const origin = request.headers.origin;
    if (origin === undefined || request.method !== 'GET' || request.routeOptions.url !== SHARED_STATUS_ROUTE) return payload;
    if (memberOrigins(cluster).includes(origin)) reply.header('access-control-allow-origin', origin).header('vary', 'origin');
    return payload;
  });
}

/** `scheme://host:port` of every member's REST API. */
function memberOrigins(cluster: ConsoleMembers): string[] {
  const origins = new Set<string>();
  for (const member of cluster.members()) {
    for (const url of member.clientUrls) {
      try {
        origins.add(new URL(url).origin);
      } catch {
        // An announced URL that does not parse names no origin.
      }
    }
  }
  return [...origins];
}

async function serveFile(files: ReadonlyMap<string, ConsoleFile>, connectOrigins: readonly string[], request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const name = (request.params as { '*': string })['*'] || 'index.html';
  const file = files.get(name);
  if (file === undefined) {
    if (files.size === 0) throw new ApiError('API_NOT_READY', { reason: 'the web console is not built on this member; run npm run build (npm start and npm test build it)' });
    throw new ApiError('API_ROUTE_NOT_FOUND', { name: `GET ${request.url}` });
  }
  const gzip = file.gzipped !== undefined && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
  reply.header('content-type', file.contentType).header('cache-control', file.cacheControl).header('vary', 'accept-encoding');
  reply.header('x-content-type-options', 'nosniff').header('content-security-policy', contentSecurityPolicy(connectOrigins)).header('referrer-policy', 'no-referrer');
  if (gzip) reply.header('content-encoding', 'gzip');
  await reply.send(gzip ? file.gzipped : file.plain);
}

/** Every file of the build, read once at start: a few tens of kilobytes. None when it was not built. */
function loadConsoleFiles(directory: string): Map<string, ConsoleFile> {
  const files = new Map<string, ConsoleFile>();
  if (!existsSync(join(directory, 'index.html'))) return files;
  for (const name of readdirSync(directory)) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType === undefined) continue;
    const gzippedPath = join(directory, `${name}.gz`);
    files.set(name, {
      contentType,
      plain: readFileSync(join(directory, name)),
      gzipped: existsSync(gzippedPath) ? readFileSync(gzippedPath) : undefined,
      cacheControl: name === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable',
    });
  }
  return files;
}

/**
 * dist/console of the package this server runs from: the nearest directory above this file
 * with a package.json. Found by walking up because the same code runs from src/ through tsx,
 * from tsc's dist/src and from the bundle's chunks, each at another depth.
 */
export function findConsoleDirectory(start: string = import.meta.dirname): string | undefined {
  for (let directory = start; ; directory = dirname(directory)) {
    if (existsSync(join(directory, 'package.json'))) {
      const built = join(directory, 'dist/console');
      return existsSync(join(built, 'index.html')) ? built : undefined;
    }
    if (dirname(directory) === directory) return undefined;
  }
}
