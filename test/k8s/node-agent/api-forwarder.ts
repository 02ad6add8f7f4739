// kube-proxy's one job the bed needs: the API server listens on loopback only, and pods reach
// it on the bridge's gateway address, which this forwards to it byte for byte (TLS included).

import { connect, createServer, type Socket } from 'node:net';

export interface Forwarder {
  /** Stops listening and cuts every forwarded connection (a pod's watch would keep it open). */
  close(): Promise<void>;
}

export async function forwardApiServer(listenHost: string, target: { readonly host: string; readonly port: number }): Promise<Forwarder> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(target.port, listenHost, resolve);
  });
  return {
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
