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
//
// The socket's directory is made inside the data directory, which a member can always write
// (its root filesystem may be read-only, as the chart runs it, so /tmp may not be). A socket's
// path is limited to 107 bytes; a data directory too deep for that gets a directory under the
// system's temporary directory instead.
import { type Server, ServerCredentials } from '@grpc/grpc-js';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SOCKET_NAME = 'grpc.sock';
/** sun_path holds 108 bytes on Linux, the last of them the terminating NUL. */
const SOCKET_PATH_BYTES_MAX = 107;

export interface LocalGrpcEndpoint {
  /** The grpc-js target to dial: `unix:<path>`. */
  readonly target: string;
  /** Stops accepting connections and removes the socket's directory. */
  close(): Promise<void>;
}

/** Serves `server` on a socket in a private directory `privateDirectory` (made afresh, mode 0700). */
export async function openLocalEndpoint(server: Server, privateDirectory: string): Promise<LocalGrpcEndpoint> {
  const directory = await makePrivateDirectory(privateDirectory);
  const path = join(directory, SOCKET_NAME);
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

/**
 * `wanted`, emptied of what a killed member left there and made with mode 0700 (mkdir cannot
 * widen it past that, whatever the umask); or, when a socket there would have too long a path,
 * a new directory under the system's temporary directory (mkdtemp makes it 0700).
 */
async function makePrivateDirectory(wanted: string): Promise<string> {
  if (Buffer.byteLength(join(wanted, SOCKET_NAME)) > SOCKET_PATH_BYTES_MAX) return mkdtemp(join(tmpdir(), 'bvault-grpc-'));
  await rm(wanted, { recursive: true, force: true });
  await mkdir(wanted, { mode: 0o700 });
  return wanted;
}
