export { FAILPOINT_NAMES, applyFailpointSettings, reachFailpoint, type FailpointName } from './failpoints.js';
export type { FailpointControl } from './failpoint-control.js';
export { FAILPOINT_ENVIRONMENT, startFailpointsFromEnvironment } from './failpoints-from-environment.js';
