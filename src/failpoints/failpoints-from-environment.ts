// The two environment variables that turn failpoints on, read once at start:
//   BVAULT_FAILPOINTS       `name=action;...`, e.g. `wal-write=sleep(20)`
//   BVAULT_FAILPOINTS_HTTP  host:port of the control listener
// They are not settings of the config file or flags on purpose: a fault is something a test
// does to a node, never part of how a node is meant to run.

import { peerAddressProblem } from '../config/peer-addresses.js';
import { applyFailpointSettings } from './failpoints.js';
import { startFailpointControl, type FailpointControl } from './failpoint-control.js';

export const FAILPOINT_ENVIRONMENT = ['BVAULT_FAILPOINTS', 'BVAULT_FAILPOINTS_HTTP'] as const;

/** Applies BVAULT_FAILPOINTS and opens the control listener; throws naming every problem. */
export async function startFailpointsFromEnvironment(environment: NodeJS.ProcessEnv): Promise<FailpointControl | undefined> {
  const problems = applyFailpointSettings(environment.BVAULT_FAILPOINTS ?? '').map((problem) => `BVAULT_FAILPOINTS: ${problem}`);
  const address = environment.BVAULT_FAILPOINTS_HTTP;
  const addressProblem = address === undefined || address === '' ? undefined : peerAddressProblem(address, 'BVAULT_FAILPOINTS_HTTP');
  if (addressProblem !== undefined) problems.push(addressProblem);
  if (problems.length > 0) throw new Error(problems.join('; '));
  if (address === undefined || address === '') return undefined;
  const separator = address.lastIndexOf(':');
  return startFailpointControl(address.slice(0, separator).replace(/^\[|\]$/g, ''), Number(address.slice(separator + 1)));
}
