// What every route module is given: the node facade, the limits, and a logger.
import type { KvNode } from '../../node/kv-node.js';
import type { Logger } from '../../observability/logger.js';
import type { HttpLimits } from './http-limits.js';

export interface RouteContext {
  readonly node: KvNode;
  readonly limits: HttpLimits;
  readonly logger: Logger;
}
