// A gRPC endpoint that is really a member's REST port: grpc-js would retry the connection until
// the call's deadline and then say only that no connection was established. An HTTP/1.1 server
// answers the HTTP/2 preface a gRPC dial opens with at once, in HTTP/1.1, so one short probe
// tells the two apart; the REST API names its node's gRPC port in a response header. Over TLS
// the probe offers only HTTP/1.1 in ALPN: a TLS gRPC port (HTTP/2 only) refuses the handshake,
// and the HTTPS REST port accepts it and answers the preface the same way.

import { connect, type Socket } from 'node:net';
import { get as httpsGet } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import type { ClientTls } from './client-options.js';

/** The HTTP/2 client connection preface, which every gRPC dial sends first. */
const HTTP2_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
/**
 * The header in which a Beaver-Vault REST API names its node's gRPC port. Part of the wire
 * contract, spelled here again because the client library imports nothing from the server.
 */
export const GRPC_PORT_HEADER = 'x-bvault-grpc-port';
const PROBE_TIMEOUT_MS = 2_000;

/** Says what to dial instead when `endpoint` (host:port) is an HTTP/1.1 port; undefined otherwise. */
export async function httpPortExplanation(endpoint: string, tls?: ClientTls): Promise<string | undefined> {
  const separator = endpoint.lastIndexOf(':');
  const host = endpoint.slice(0, separator).replace(/^\[|\]$/g, '');
  const port = Number(endpoint.slice(separator + 1));
  if (separator < 0 || !Number.isInteger(port)) return undefined;
  if (!(await answersInHttp1(host, port, tls))) return undefined;
  const grpcPort = await advertisedGrpcPort(endpoint, tls);
  const instead = grpcPort === undefined ? 'give a member\'s gRPC port (--grpc-port, default 9090)' : `the gRPC port is ${endpoint.slice(0, separator)}:${grpcPort}`;
  return `${endpoint} is an HTTP port (it answered a gRPC dial in HTTP/1.1), not a gRPC one; ${instead}`;
}

async function answersInHttp1(host: string, port: number, tls: ClientTls | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const socket: Socket = tls === undefined ? connect({ host, port }) : tlsConnect({ host, port, ...tls, ALPNProtocols: ['http/1.1'], servername: servernameOf(host) });
    const finish = (answer: boolean): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish(false));
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => socket.write(HTTP2_PREFACE));
    socket.once('data', (chunk: Buffer) => finish(chunk.toString('latin1').startsWith('HTTP/1.')));
    socket.once('error', () => finish(false));
    socket.once('end', () => finish(false));
  });
}

async function advertisedGrpcPort(endpoint: string, tls: ClientTls | undefined): Promise<string | undefined> {
  if (tls === undefined) {
    try {
      const response = await fetch(`http://${endpoint}/healthz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      await response.body?.cancel();
      return response.headers.get(GRPC_PORT_HEADER) ?? undefined;
    } catch {
      return undefined;
    }
  }
  // fetch takes no CA or client certificate; node:https does.
  return new Promise((resolve) => {
    const request = httpsGet(`https://${endpoint}/healthz`, { ...tls, timeout: PROBE_TIMEOUT_MS }, (response) => {
      response.resume();
      const header = response.headers[GRPC_PORT_HEADER];
      resolve(typeof header === 'string' ? header : undefined);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}

/** SNI takes a name, never an IP address. */
function servernameOf(host: string): string | undefined {
  return /^[\d.]+$|:/.test(host) ? undefined : host;
}
