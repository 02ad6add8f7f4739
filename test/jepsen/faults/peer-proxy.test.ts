// The peer proxy with plain sockets: echo servers stand in for the members' peer listeners, and
// a test client speaks HTTP CONNECT to a member's egress listener as grpc-js does.
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PeerProxy } from './peer-proxy.js';

const NO_ANSWER_WAIT_MS = 300;

interface EchoServer {
  readonly server: Server;
  readonly address: string;
}

let proxy: PeerProxy;
let echoes: Map<string, EchoServer>;
let egressPorts: Map<string, number>;
const openSockets = new Set<Socket>();

async function startEcho(): Promise<EchoServer> {
  const server = createServer((socket) => {
    openSockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.pipe(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, address: `127.0.0.1:${address.port}` };
}

beforeEach(async () => {
  proxy = new PeerProxy();
  echoes = new Map();
  egressPorts = new Map();
  for (const name of ['a', 'b', 'c', 'd', 'e']) {
    const echo = await startEcho();
    echoes.set(name, echo);
    egressPorts.set(name, await proxy.addMember(name, echo.address));
  }
});

afterEach(async () => {
  for (const socket of openSockets) socket.destroy();
  openSockets.clear();
  await proxy.close();
  await Promise.all([...echoes.values()].map((echo) => new Promise((resolve) => echo.server.close(resolve))));
});

/** What the proxy answered a CONNECT: its status line, or nothing within the wait. */
interface ConnectAnswer {
  readonly socket: Socket;
  readonly statusLine: string | undefined;
  /** Whatever came after the answer's head (the echo of bytes sent with the CONNECT). */
  readonly rest: Buffer;
}

async function connectThrough(from: string, target: string, early = ''): Promise<ConnectAnswer> {
  const socket = connect(egressPorts.get(from)!, '127.0.0.1');
  openSockets.add(socket);
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n${early}`);
  let received = Buffer.alloc(0);
  const head = await new Promise<string | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), NO_ANSWER_WAIT_MS);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end >= 0) {
        clearTimeout(timer);
        resolve(received.subarray(0, end).toString('latin1'));
      }
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(received.length > 0 ? received.toString('latin1') : undefined);
    });
  });
  socket.removeAllListeners('data');
  const end = received.indexOf('\r\n\r\n');
  return { socket, statusLine: head?.split('\r\n')[0], rest: end < 0 ? Buffer.alloc(0) : received.subarray(end + 4) };
}

async function tunnel(from: string, to: string): Promise<Socket> {
  const answer = await connectThrough(from, echoes.get(to)!.address);
  expect(answer.statusLine).toBe('HTTP/1.1 200 Connection Established');
  return answer.socket;
}

async function echoOf(socket: Socket, text: string): Promise<string> {
  const reply = once(socket, 'data');
  socket.write(text);
  const [chunk] = (await reply) as [Buffer];
  return chunk.toString('utf8');
}

async function closed(socket: Socket): Promise<boolean> {
  if (socket.destroyed || socket.readableEnded) return true;
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1_000));
  return Promise.race([once(socket, 'close').then(() => true), timeout]);
}

describe('peer proxy', () => {
  it('tunnels bytes both ways to the CONNECT target and counts them on the link', async () => {
    const socket = await tunnel('a', 'b');
    expect(await echoOf(socket, 'hello')).toBe('hello');
    expect(proxy.counters('a', 'b')).toEqual({ connections: 1, heldConnections: 0, bytesForward: 5, bytesBackward: 5 });
    expect(proxy.counters('b', 'a').connections).toBe(0);
  });

  it('forwards bytes the client sent right behind the CONNECT head', async () => {
    const answer = await connectThrough('a', echoes.get('b')!.address, 'early');
    expect(answer.statusLine).toBe('HTTP/1.1 200 Connection Established');
    const rest = answer.rest.length >= 5 ? answer.rest : Buffer.concat([answer.rest, ...((await once(answer.socket, 'data')) as Buffer[])]);
    expect(rest.toString('utf8')).toBe('early');
  });

  it('a cut destroys the open tunnels and holds new CONNECTs unanswered until healed', async () => {
    const open = await tunnel('a', 'b');
    proxy.cut('a', 'b');
    expect(await closed(open)).toBe(true);
    const held = await connectThrough('a', echoes.get('b')!.address);
    expect(held.statusLine).toBeUndefined();
    expect(held.socket.destroyed).toBe(false);
    expect(proxy.counters('a', 'b').heldConnections).toBe(1);
    proxy.heal();
    expect(await closed(held.socket)).toBe(true);
    expect(await echoOf(await tunnel('a', 'b'), 'again')).toBe('again');
  });

  it('a one-way cut drops a to b and lets b to a flow', async () => {
    proxy.cut('a', 'b');
    expect((await connectThrough('a', echoes.get('b')!.address)).statusLine).toBeUndefined();
    expect(await echoOf(await tunnel('b', 'a'), 'back')).toBe('back');
    expect(proxy.isCut('a', 'b')).toBe(true);
    expect(proxy.isCut('b', 'a')).toBe(false);
  });

  it('isolates one member from all others, both ways', () => {
    proxy.isolate('c');
    for (const other of ['a', 'b', 'd', 'e']) {
      expect(proxy.isCut('c', other)).toBe(true);
      expect(proxy.isCut(other, 'c')).toBe(true);
    }
    expect(proxy.isCut('a', 'b')).toBe(false);
  });

  it('a bridge leaves only the middle member connected to both halves', () => {
    proxy.bridge(['a', 'b'], 'c', ['d', 'e']);
    for (const left of ['a', 'b']) {
      for (const right of ['d', 'e']) {
        expect(proxy.isCut(left, right)).toBe(true);
        expect(proxy.isCut(right, left)).toBe(true);
      }
      expect(proxy.isCut(left, 'c') || proxy.isCut('c', left)).toBe(false);
    }
    expect(proxy.isCut('d', 'c') || proxy.isCut('c', 'e') || proxy.isCut('a', 'b') || proxy.isCut('d', 'e')).toBe(false);
    expect(() => proxy.bridge(['a', 'c'], 'c', ['d'])).toThrow(/neither half/);
  });

  it('delays every chunk on a link by its latency', async () => {
    const latencyMs = 150;
    proxy.setLatency('a', 'b', latencyMs);
    const socket = await tunnel('a', 'b');
    const started = performance.now();
    expect(await echoOf(socket, 'slow')).toBe('slow');
    // Once out (to the echo) and once back.
    expect(performance.now() - started).toBeGreaterThanOrEqual(2 * latencyMs - 5);
    proxy.heal();
    const fast = performance.now();
    await echoOf(socket, 'fast');
    expect(performance.now() - fast).toBeLessThan(latencyMs);
  });

  it('answers 502 when the destination refuses and 405 to anything but CONNECT', async () => {
    const gone = echoes.get('e')!;
    await new Promise((resolve) => gone.server.close(resolve));
    expect((await connectThrough('a', gone.address)).statusLine).toBe('HTTP/1.1 502 Bad Gateway');
    const socket = connect(egressPorts.get('a')!, '127.0.0.1');
    openSockets.add(socket);
    await once(socket, 'connect');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    expect(chunk.toString('latin1')).toMatch(/^HTTP\/1\.1 405 /);
  });

  it('removing a member closes its tunnels both ways and its listener', async () => {
    const outgoing = await tunnel('a', 'b');
    const incoming = await tunnel('c', 'a');
    await proxy.removeMember('a');
    expect(await closed(outgoing)).toBe(true);
    expect(await closed(incoming)).toBe(true);
    const refused = connect(egressPorts.get('a')!, '127.0.0.1');
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
  });
});
