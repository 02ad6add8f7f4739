// What every route module is given: the limits and a logger. A route reaches the node only as
// the caller's view of it, `request.callerNode` (http-caller.ts).
import type { Logger } from '../../observability/logger.js';
import type { HttpLimits } from './http-limits.js';

export interface RouteContext {
  readonly limits: HttpLimits;
  readonly logger: Logger;
}
