// The failpoint control listener, like gofail's GOFAIL_HTTP: a plain HTTP listener of its own,
// never the client API, opened only when BVAULT_FAILPOINTS_HTTP names an address, so that a
// production node cannot be slowed down by anyone who can reach its API.
//
//   GET    /            every failpoint and its action, one `name=action` per line
//   GET    /NAME        the action of one failpoint
//   PUT    /NAME        body `sleep(N)` or `off`
//   DELETE /NAME        the same as PUT off

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { FAILPOINT_NAMES, failpointAction, isFailpointName, parseFailpointAction, setFailpoint, type FailpointAction } from './failpoints.js';

/** A failpoint action is a few characters; anything longer is refused unread. */
const REQUEST_BODY_BYTES_MAX = 256;

export interface FailpointControl {
  readonly address: string;
  close(): Promise<void>;
}

export async function startFailpointControl(host: string, port: number): Promise<FailpointControl> {
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => answer(response, 500, `${String(error)}\n`));
  });
  server.listen(port, host);
  await once(server, 'listening');
  const bound = server.address();
  const boundPort = typeof bound === 'object' && bound !== null ? bound.port : port;
  return { address: `${host}:${boundPort}`, close: () => closeServer(server) };
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const name = decodeURIComponent((request.url ?? '/').slice(1));
  if (name === '' && request.method === 'GET') {
    return answer(response, 200, FAILPOINT_NAMES.map((each) => `${each}=${describe(failpointAction(each))}\n`).join(''));
  }
  if (!isFailpointName(name)) return answer(response, 404, `unknown failpoint ${JSON.stringify(name)}; the failpoints are ${FAILPOINT_NAMES.join(', ')}\n`);
  switch (request.method) {
    case 'GET':
      return answer(response, 200, `${describe(failpointAction(name))}\n`);
    case 'DELETE':
      setFailpoint(name, { kind: 'off' });
      return answer(response, 204, '');
    case 'PUT': {
      const body = await bodyOf(request);
      if (body === undefined) return answer(response, 413, `a failpoint action is at most ${REQUEST_BODY_BYTES_MAX} bytes\n`);
      const action = parseFailpointAction(body);
      if (typeof action === 'string') return answer(response, 400, `${action}\n`);
      setFailpoint(name, action);
      return answer(response, 204, '');
    }
    default:
      return answer(response, 405, `${request.method ?? 'this method'} is not allowed; use GET, PUT or DELETE\n`);
  }
}

function describe(action: FailpointAction): string {
  return action.kind === 'off' ? 'off' : `sleep(${action.milliseconds})`;
}

/** The body as text, or undefined when it is longer than the limit. */
async function bodyOf(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    length += chunk.byteLength;
    if (length > REQUEST_BODY_BYTES_MAX) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function answer(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((error) => (error === undefined ? resolve() : reject(error))));
}
