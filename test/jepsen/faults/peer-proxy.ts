// The fault-injecting peer proxy. Each member's peer traffic leaves through a listener of its
// own (its egress: the server runs with grpc_proxy pointing there), as HTTP CONNECT tunnels,
// so the proxy knows both ends of every connection: the source is whose listener it came in
// on, the destination is the CONNECT target, a member's peer address. Between every ordered
// pair of members sits a link that can be cut or slowed.
//
// A cut link behaves like a network that drops packets: its open tunnels are destroyed and a
// new CONNECT on it is held unanswered (a black hole; the client waits for its own timeout).
// On healing, the held connections are closed, so the client reconnects at once.
//
// A tunnel from A to B carries A's messages to B and B's acknowledgements of them, so cutting
// the link A→B drops A's messages to B while B's messages to A (on B's own tunnel) still flow.

import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A CONNECT request head is one short line and a Host header; anything longer is refused. */
const CONNECT_HEAD_BYTES_MAX = 8_192;
const HEAD_END = '\r\n\r\n';

export interface LinkCounters {
  /** Tunnels opened on this link. */
  connections: number;
  /** CONNECTs held unanswered because the link was cut. */
  heldConnections: number;
  /** Bytes from the link's source to its destination, and back. */
  bytesForward: number;
  bytesBackward: number;
}

interface Tunnel {
  readonly client: Socket;
  readonly upstream: Socket;
}

/** The link from one member to another, by name; a destination no member owns is named by its address. */
interface Link {
  readonly counters: LinkCounters;
  readonly tunnels: Set<Tunnel>;
  readonly held: Set<Socket>;
  cut: boolean;
  latencyMs: number;
}

/** A member's egress listener and every connection it accepted that is still open. */
interface Egress {
  readonly server: Server;
  readonly peerAddress: string;
  readonly sockets: Set<Socket>;
}

export class PeerProxy {
  private readonly listeners = new Map<string, Egress>();
  private readonly memberAtAddress = new Map<string, string>();
  private readonly links = new Map<string, Link>();

  /**
   * Opens `name`'s egress listener on a free loopback port (or `port`) and records that
   * `peerAddress` (host:port) is where the others reach it. Returns the listener's port.
   */
  async addMember(name: string, peerAddress: string, port = 0): Promise<number> {
    if (this.listeners.has(name)) throw new Error(`the proxy already has a member ${name}`);
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      this.accept(name, socket);
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    this.listeners.set(name, { server, peerAddress, sockets });
    this.memberAtAddress.set(peerAddress, name);
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy listener has no TCP port');
    return address.port;
  }

  /** Closes `name`'s listener and every tunnel from or to it. */
  async removeMember(name: string): Promise<void> {
    const egress = this.listeners.get(name);
    if (egress === undefined) return;
    this.listeners.delete(name);
    this.memberAtAddress.delete(egress.peerAddress);
    for (const [key, link] of this.links) {
      const [from, to] = key.split('\u0000');
      if (from === name || to === name) closeLink(link);
    }
    for (const socket of egress.sockets) socket.destroy();
    await new Promise((resolve) => egress.server.close(resolve));
  }

  members(): string[] {
    return [...this.listeners.keys()];
  }

  /** One-way: `from`'s messages to `to` are dropped; `to`'s messages to `from` still flow. */
  cut(from: string, to: string): void {
    const link = this.link(from, to);
    link.cut = true;
    for (const tunnel of link.tunnels) destroyTunnel(tunnel);
    link.tunnels.clear();
  }

  /** Cuts both directions between every member of `left` and every member of `right`. */
  separate(left: readonly string[], right: readonly string[]): void {
    for (const a of left) {
      for (const b of right) {
        this.cut(a, b);
        this.cut(b, a);
      }
    }
  }

  /** Cuts `name` off from every other member, both ways. */
  isolate(name: string): void {
    this.separate([name], this.members().filter((member) => member !== name));
  }

  /** Two halves that only `middle` connects: `left` and `right` cannot reach each other. */
  bridge(left: readonly string[], middle: string, right: readonly string[]): void {
    if (left.includes(middle) || right.includes(middle)) throw new Error(`the bridge ${middle} must be in neither half`);
    this.separate(left, right);
  }

  /** Adds `latencyMs` to every chunk either way on tunnels from `from` to `to` (0 removes it). */
  setLatency(from: string, to: string, latencyMs: number): void {
    this.link(from, to).latencyMs = latencyMs;
  }

  isCut(from: string, to: string): boolean {
    return this.links.get(linkKey(from, to))?.cut ?? false;
  }

  /** Undoes every cut and every latency; held CONNECTs are closed so their clients retry now. */
  heal(): void {
    for (const link of this.links.values()) {
      link.cut = false;
      link.latencyMs = 0;
      for (const socket of link.held) socket.destroy();
      link.held.clear();
    }
  }

  counters(from: string, to: string): Readonly<LinkCounters> {
    return { ...this.link(from, to).counters };
  }

  async close(): Promise<void> {
    await Promise.all(this.members().map((name) => this.removeMember(name)));
  }

  private link(from: string, to: string): Link {
    const key = linkKey(from, to);
    let link = this.links.get(key);
    if (link === undefined) {
      link = { counters: { connections: 0, heldConnections: 0, bytesForward: 0, bytesBackward: 0 }, tunnels: new Set(), held: new Set(), cut: false, latencyMs: 0 };
      this.links.set(key, link);
    }
    return link;
  }

  private accept(from: string, client: Socket): void {
    client.on('error', () => client.destroy());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf(HEAD_END);
      if (end < 0) {
        if (head.length > CONNECT_HEAD_BYTES_MAX) refuse(client, '431 Request Header Fields Too Large');
        return;
      }
      client.off('data', onData);
      client.pause();
      const target = /^CONNECT (\S+:\d+) HTTP\/1\.[01]\r\n/.exec(head.subarray(0, end).toString('latin1'))?.[1];
      if (target === undefined) return refuse(client, '405 Method Not Allowed');
      this.open(from, target, client, head.subarray(end + HEAD_END.length));
    };
    client.on('data', onData);
  }

  private open(from: string, target: string, client: Socket, early: Buffer): void {
    const link = this.link(from, this.memberAtAddress.get(target) ?? target);
    if (link.cut) return hold(link, client);
    const separator = target.lastIndexOf(':');
    const upstream = connect(Number(target.slice(separator + 1)), target.slice(0, separator));
    upstream.once('error', () => {
      upstream.destroy();
      refuse(client, '502 Bad Gateway');
    });
    upstream.once('connect', () => {
      // The link may have been cut while the connection was being made.
      if (link.cut) {
        upstream.destroy();
        return hold(link, client);
      }
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      const tunnel = { client, upstream };
      link.tunnels.add(tunnel);
      link.counters.connections++;
      if (early.length > 0) forward(link, upstream, early, 'bytesForward');
      pipeThrough(link, tunnel);
    });
  }
}

function linkKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}

function pipeThrough(link: Link, tunnel: Tunnel): void {
  const { client, upstream } = tunnel;
  const close = (): void => {
    link.tunnels.delete(tunnel);
    destroyTunnel(tunnel);
  };
  client.removeAllListeners('error');
  for (const socket of [client, upstream]) {
    socket.on('error', close);
    socket.on('close', close);
  }
  client.on('data', (chunk: Buffer) => forward(link, upstream, chunk, 'bytesForward'));
  upstream.on('data', (chunk: Buffer) => forward(link, client, chunk, 'bytesBackward'));
  client.resume();
}

/** Timers of equal delay fire in the order they were set, so a fixed latency keeps the byte order. */
function forward(link: Link, destination: Socket, chunk: Buffer, counter: 'bytesForward' | 'bytesBackward'): void {
  link.counters[counter] += chunk.length;
  if (link.latencyMs === 0) destination.write(chunk);
  else setTimeout(() => destination.destroyed || destination.write(chunk), link.latencyMs);
}

function hold(link: Link, client: Socket): void {
  link.held.add(client);
  link.counters.heldConnections++;
  // Whatever the client sends into the black hole is read and dropped.
  client.on('data', () => undefined);
  client.once('close', () => link.held.delete(client));
  client.resume();
}

function refuse(client: Socket, status: string): void {
  client.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
}

function destroyTunnel(tunnel: Tunnel): void {
  tunnel.client.destroy();
  tunnel.upstream.destroy();
}

function closeLink(link: Link): void {
  for (const tunnel of link.tunnels) destroyTunnel(tunnel);
  link.tunnels.clear();
  for (const socket of link.held) socket.destroy();
  link.held.clear();
}
