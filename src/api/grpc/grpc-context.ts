// What every gRPC service is given: the node facade, the limits, the latency histogram and a
// logger. Services never reach past the node into Raft, storage or the state machine.
import type { KvNode } from '../../node/kv-node.js';
import type { Logger } from '../../observability/logger.js';
import type { GrpcLimits } from './grpc-limits.js';
import type { GrpcRequestDuration } from './grpc-metrics.js';

export interface GrpcContext {
  readonly node: KvNode;
  readonly limits: GrpcLimits;
  readonly requestDuration: GrpcRequestDuration;
  readonly logger: Logger;
}
