// What every native gRPC service is given: the access to the node, the response headers, the
// limits and a logger. Services never reach past the node into Raft, storage or the state
// machine, and reach the node only as a caller's view of it.
import type { NodeAccess } from '../../access/node-access.js';
import type { AuthManager } from '../../auth/auth-manager.js';
import type { Logger } from '../../observability/logger.js';
import type { GrpcLimits } from './grpc-limits.js';
import type { ResponseHeaders } from './response-headers.js';

export interface GrpcContext {
  /** Each call is served from the view `access.nodeFor` gives its caller (see call-handlers.ts). */
  readonly access: NodeAccess;
  /** Serves etcd's Auth service when set; without it the service answers UNIMPLEMENTED. */
  readonly auth?: AuthManager;
  /**
   * The member's identity and position, which every response carries whoever asks: read from
   * the node itself, not through a caller's view, and never anything a caller may be denied.
   */
  readonly headers: ResponseHeaders;
  readonly limits: GrpcLimits;
  readonly logger: Logger;
}
