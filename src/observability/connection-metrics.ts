// Open client connections on each API port, counted from accept to close (a TLS handshake
// under way counts): a leak of connections, or clients that never reuse theirs, shows here
// first. One gauge serves both ports, labelled by API; a registry shared by two members in
// one process shares the series.

import type { Server } from 'node:net';
import { Gauge, type Registry } from 'prom-client';

export type ClientApi = 'grpc' | 'http';

const NAME = 'bvault_server_client_connections';

function connectionsGauge(registry: Registry): Gauge<'api'> {
  return (
    (registry.getSingleMetric(NAME) as Gauge<'api'> | undefined) ??
    new Gauge({ name: NAME, help: 'Client connections open on each API port (grpc, http).', labelNames: ['api'], registers: [registry] })
  );
}

/** Counts the connections `server` accepts until each closes. */
export function countClientConnections(registry: Registry, api: ClientApi, server: Server): void {
  const gauge = connectionsGauge(registry);
  // The series exists from the start, at 0, rather than from the first connection.
  gauge.inc({ api }, 0);
  server.on('connection', (socket: { once(event: 'close', listener: () => void): void }) => {
    gauge.inc({ api });
    socket.once('close', () => gauge.dec({ api }));
  });
}
