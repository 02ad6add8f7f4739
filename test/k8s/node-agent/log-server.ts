// The kubelet's log endpoint, which the API server calls for `kubectl logs`: HTTPS on loopback,
// the API server's client certificate checked against the bed's CA. GET
// /containerLogs/{namespace}/{pod}/{container} with follow, tailLines, previous and limitBytes.

import { createReadStream, readFileSync, statSync, watch } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { ServerResponse } from 'node:http';

const SUPPORTED = new Set(['follow', 'tailLines', 'previous', 'limitBytes', 'container']);

export interface LogSource {
  /** The log file of a container's current (or previous) run, or undefined when there is none. */
  logFileOf(namespace: string, pod: string, container: string, previous: boolean): string | undefined;
}

export async function startLogServer(tls: { readonly certFile: string; readonly keyFile: string; readonly clientCaFile: string }, source: LogSource): Promise<{ server: Server; port: number }> {
  const server = createServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), ca: readFileSync(tls.clientCaFile), requestCert: true, rejectUnauthorized: true }, (request, response) => {
    const url = new URL(request.url ?? '/', 'https://node');
    const match = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (request.method !== 'GET' || match === null) return answer(response, 404, `the test bed's node agent serves only GET /containerLogs/{namespace}/{pod}/{container}, not ${request.method} ${url.pathname}`);
    const unsupported = [...url.searchParams.keys()].find((name) => !SUPPORTED.has(name));
    if (unsupported !== undefined) return answer(response, 400, `the test bed's node agent does not support the log parameter ${unsupported}`);
    const [, namespace = '', pod = '', container = ''] = match;
    const file = source.logFileOf(decodeURIComponent(namespace), decodeURIComponent(pod), decodeURIComponent(container), url.searchParams.get('previous') === 'true');
    if (file === undefined) return answer(response, 404, `no log of container ${container} in pod ${namespace}/${pod}`);
    streamLog(response, file, {
      follow: url.searchParams.get('follow') === 'true',
      tailLines: numberParameter(url, 'tailLines'),
      limitBytes: numberParameter(url, 'limitBytes'),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the log server has no port');
  return { server, port: address.port };
}

function streamLog(response: ServerResponse, file: string, options: { follow: boolean; tailLines?: number; limitBytes?: number }): void {
  let start = 0;
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    // not written yet: an empty log
  }
  if (options.tailLines !== undefined && size > 0) {
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    start = Buffer.byteLength(lines.slice(0, Math.max(0, lines.length - options.tailLines)).map((line) => `${line}\n`).join(''));
  }
  response.writeHead(200, { 'content-type': 'text/plain' });
  let sent = 0;
  const limit = options.limitBytes ?? Infinity;
  const send = (from: number, to: number, done: () => void) => {
    if (to <= from || sent >= limit) return done();
    const end = Math.min(to, from + (limit - sent)) - 1;
    const stream = createReadStream(file, { start: from, end });
    stream.on('data', (chunk) => {
      sent += chunk.length;
      response.write(chunk);
    });
    stream.on('end', done);
    stream.on('error', done);
  };
  if (!options.follow) return send(start, size, () => response.end());
  let position = size;
  let busy = false;
  const watcher = watch(file, () => {
    if (busy) return;
    busy = true;
    const now = statSync(file).size;
    send(position, now, () => {
      position = now;
      busy = false;
    });
  });
  response.on('close', () => watcher.close());
  send(start, size, () => undefined);
}

function numberParameter(url: URL, name: string): number | undefined {
  const value = url.searchParams.get(name);
  return value === null ? undefined : Number(value);
}

function answer(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'content-type': 'text/plain' });
  response.end(`${message}\n`);
}
