// Who makes a gRPC call, for `NodeAccess.nodeFor`: the `token` metadata (where etcd clients send
// the token Authenticate gave them), the common name of the client certificate TLS verified
// (grpc-js reports a peer certificate only once it was verified), and the peer's address.
import type { Metadata } from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { certificateCommonNameOf } from '../../access/certificate-identity.js';
import type { ClientApi, Credentials, NodeAccess } from '../../access/node-access.js';
import type { KvNode } from '../../node/kv-node.js';
import { ApiError } from '../errors.js';
import { TOKEN_METADATA_KEY } from '../shared/token-metadata.js';

/** What every kind of grpc-js server call offers (grpc-js does not export its ServerSurfaceCall). */
export interface IncomingCall {
  readonly metadata: Metadata;
  getPeer(): string;
  getAuthContext(): { readonly sslPeerCertificate?: PeerCertificate };
}

/**
 * The caller's view of the node, resolved once at the start of the call (a stream's too). A
 * NodeAccess with `sameForEveryCaller` needs no origin or credentials: the call wrappers take
 * that node directly and never get here.
 */
export function callerNode(access: NodeAccess, api: ClientApi, method: string, call: IncomingCall): Promise<KvNode> {
  try {
    return access.nodeFor({ api, method, source: call.getPeer() }, grpcCredentials(call));
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

export function grpcCredentials(call: IncomingCall): Credentials {
  const token = tokenOf(call.metadata);
  const certificateCommonName = certificateCommonNameOf(call.getAuthContext().sslPeerCertificate);
  return {
    ...(token === undefined ? {} : { token }),
    ...(certificateCommonName === undefined ? {} : { certificateCommonName }),
  };
}

/** An empty token is passed on as given: whether it holds is for the NodeAccess to say. */
function tokenOf(metadata: Metadata): string | undefined {
  const values = metadata.get(TOKEN_METADATA_KEY);
  if (values.length > 1) throw new ApiError('API_INVALID_CREDENTIALS', { name: 'the token metadata', reason: `a call carries one token, this one carries ${values.length}` });
  const token = values[0];
  return typeof token === 'string' ? token : undefined;
}
