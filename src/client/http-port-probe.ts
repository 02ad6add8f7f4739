// A gRPC endpoint that is really a member's REST port: grpc-js would retry the connection until
// the call's deadline and then say only that no connection was established. An HTTP/1.1 server
// answers the HTTP/2 preface a gRPC dial opens with at once, in HTTP/1.1, so one short probe
// tells the two apart; the REST API names its node's gRPC port in a response header.

import { connect } from 'node:net';

/** The HTTP/2 client connection preface, which every gRPC dial sends first. */
const HTTP2_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
/**
 * The header in which a Beaver-Vault REST API names its node's gRPC port. Part of the wire
 * contract, spelled here again because the client library imports nothing from the server.
 */
export const GRPC_PORT_HEADER = 'x-bvault-grpc-port';
const PROBE_TIMEOUT_MS = 2_000;

/** Says what to dial instead when `endpoint` (host:port) is an HTTP/1.1 port; undefined otherwise. */
export async function httpPortExplanation(endpoint: string): Promise<string | undefined> {
  const separator = endpoint.lastIndexOf(':');
  const host = endpoint.slice(0, separator).replace(/^\[|\]$/g, '');
  const port = Number(endpoint.slice(separator + 1));
  if (separator < 0 || !Number.isInteger(port)) return undefined;
  if (!(await answersInHttp1(host, port))) return undefined;
  const grpcPort = await advertisedGrpcPort(endpoint);
  const instead = grpcPort === undefined ? 'give a member\'s gRPC port (--grpc-port, default 9090)' : `the gRPC port is ${endpoint.slice(0, separator)}:${grpcPort}`;
  return `${endpoint} is an HTTP port (it answered a gRPC dial in HTTP/1.1), not a gRPC one; ${instead}`;
}

async function answersInHttp1(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (answer: boolean): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish(false));
    socket.once('connect', () => socket.write(HTTP2_PREFACE));
    socket.once('data', (chunk: Buffer) => finish(chunk.toString('latin1').startsWith('HTTP/1.')));
    socket.once('error', () => finish(false));
    socket.once('end', () => finish(false));
  });
}

async function advertisedGrpcPort(endpoint: string): Promise<string | undefined> {
  try {
    const response = await fetch(`http://${endpoint}/healthz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await response.body?.cancel();
    return response.headers.get(GRPC_PORT_HEADER) ?? undefined;
  } catch {
    return undefined;
  }
}
