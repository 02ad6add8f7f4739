// A way into this member's own gRPC server for callers in the same process (the etcd JSON
// gateway on the HTTP port, src/api/http/etcd-gateway): a Unix socket in a directory that only
// this process's user may enter, whose connections are handed to the server without TLS.
//
// Why not dial the gRPC port itself: with --client-cert-auth that port asks for a client
// certificate, and the member's own certificate would be taken as a user named after its common
// name, so a gateway call would run as that user instead of as the HTTP caller. Over this
// socket a call presents no certificate and proves who makes it with the token alone, as the
// HTTP caller sent it; the calls still go through every interceptor, limit and check of the
// server. Nothing outside the process's user can reach the socket, and that user can read the
// member's keys and data directory anyway.
import { type Server, ServerCredentials } from '@grpc/grpc-js';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalGrpcEndpoint {
  /** The grpc-js target to dial: `unix:<path>`. */
  readonly target: string;
  /** Stops accepting connections and removes the socket's directory. */
  close(): Promise<void>;
}

export async function openLocalEndpoint(server: Server): Promise<LocalGrpcEndpoint> {
  // mkdtemp creates the directory with mode 0700.
  const directory = await mkdtemp(join(tmpdir(), 'bvault-grpc-'));
  const path = join(directory, 'grpc.sock');
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  const listener = createServer((socket) => injector.injectConnection(socket));
  try {
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(path, () => {
        listener.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  return {
    target: `unix:${path}`,
    close: async () => {
      listener.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
