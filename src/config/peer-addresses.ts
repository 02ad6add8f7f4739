// Peer addresses (`host:port`) and the initial-cluster list (`n1=host:7000,n2=host:7001`).
// Problems are returned as sentences so the caller lists them with every other problem.

import { PORT_BOUNDS } from './config-fields.js';

/** A member name: letters, digits, '.', '_' and '-', as a DNS label or pod name would be. */
const MEMBER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const HOST_PORT_PATTERN = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d+)$/;

export function memberNameProblem(name: string, where: string): string | undefined {
  return MEMBER_NAME_PATTERN.test(name)
    ? undefined
    : `${where}: member name ${JSON.stringify(name)} must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit`;
}

/** The port of a valid `host:port`, or undefined. */
export function portOf(address: string): number | undefined {
  const match = HOST_PORT_PATTERN.exec(address);
  if (match === null) return undefined;
  const port = Number(match[2]);
  return port >= PORT_BOUNDS.minimum && port <= PORT_BOUNDS.maximum ? port : undefined;
}

export function peerAddressProblem(address: string, where: string): string | undefined {
  return portOf(address) === undefined
    ? `${where}: ${JSON.stringify(address)} is not host:port with a port between ${PORT_BOUNDS.minimum} and ${PORT_BOUNDS.maximum}`
    : undefined;
}

export interface InitialCluster {
  /** Member name → peer address, in the order given. */
  readonly members: ReadonlyMap<string, string>;
  readonly problems: readonly string[];
}

export function parseInitialCluster(items: readonly string[]): InitialCluster {
  const members = new Map<string, string>();
  const problems: string[] = [];
  const owners = new Map<string, string>();
  for (const item of items) {
    const separator = item.indexOf('=');
    if (separator <= 0) {
      problems.push(`initial-cluster: ${JSON.stringify(item)} is not name=host:port`);
      continue;
    }
    const name = item.slice(0, separator).trim();
    const address = item.slice(separator + 1).trim();
    const problem = memberNameProblem(name, 'initial-cluster') ?? peerAddressProblem(address, `initial-cluster member ${name}`);
    if (problem !== undefined) problems.push(problem);
    else if (members.has(name)) problems.push(`initial-cluster names member ${name} twice`);
    else if (owners.has(address)) problems.push(`initial-cluster gives ${owners.get(address)} and ${name} the same address ${address}`);
    else {
      members.set(name, address);
      owners.set(address, name);
    }
  }
  return { members, problems };
}
