// `bvault dev`: a local cluster of `bvault server` child processes on loopback, for trying
// Beaver-Vault out. It waits for a leader, prints where each node listens and a curl example,
// relays every node's log lines prefixed by its name, and on Ctrl-C or SIGTERM stops every
// node gracefully (a leader hands over leadership first) before it exits.

import { rm } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import { startChildNode, stopChildNode, type ChildNode } from './child-node.js';
import { waitForCommonLeader } from './cluster-status.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';

const DEV_USAGE = `Usage: bvault dev [options]

Starts a local cluster on 127.0.0.1 and stops it on Ctrl-C. Node i (from 0) listens for
HTTP on base-port+i, for peers on base-port-1000+i and reserves gRPC base-port+1090+i.
Data survives restarts: run it again to restart the same cluster, or pass --clean.

  --nodes <n>          members, 1 to 9 [default 3]
  --base-port <port>   first HTTP port [default 8000]
  --data-dir <dir>     parent of the nodes' data directories [default ./data/dev]
  --log-level <level>  the nodes' log level; their JSON lines are relayed here [default warn]
  --clean              delete the data directory first`;

const NODES_MAX = 9;
const PEER_PORT_OFFSET = -1000;
const GRPC_PORT_OFFSET = 1090;
const LEADER_WAIT_MS = 30_000;
const STOP_GRACE_MS = 20_000;

interface DevOptions {
  readonly nodes: number;
  readonly basePort: number;
  readonly dataDir: string;
  readonly logLevel: string;
  readonly clean: boolean;
}

interface DevMember {
  readonly name: string;
  readonly httpUrl: string;
  readonly peerAddress: string;
  readonly dataDir: string;
  readonly args: readonly string[];
}

export async function runDevCluster(args: readonly string[]): Promise<ExitCode> {
  const options = readDevOptions(args);
  if (options === DEV_USAGE) {
    process.stdout.write(`${DEV_USAGE}\n`);
    return EXIT_CODES.ok;
  }
  if (typeof options === 'string') {
    process.stderr.write(`${options}\n`);
    return EXIT_CODES.usage;
  }
  if (options.clean) await rm(options.dataDir, { recursive: true, force: true });
  const members = planMembers(options);
  process.stdout.write(`Starting ${members.length} nodes in ${options.dataDir} and waiting for a leader (up to ${LEADER_WAIT_MS / 1000} s)...\n`);
  const nodes = members.map((member) => startChildNode(member.name, member.args, process.stdout));
  let stopping = false;
  const stopAll = async (): Promise<void> => {
    stopping = true;
    const outcomes = await Promise.all(nodes.map((node) => stopChildNode(node, STOP_GRACE_MS)));
    nodes.forEach((node, index) => process.stdout.write(`${node.name} stopped (${outcomes[index]})\n`));
  };
  const stopSignal = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  reportUnexpectedExits(nodes, () => stopping);
  try {
    const leader = await Promise.race([waitForCommonLeader(members.map((member) => member.httpUrl), LEADER_WAIT_MS, () => stopping), stopSignal.then(() => undefined)]);
    if (leader !== undefined) printEndpoints(members, leader, options.dataDir);
  } catch (error) {
    process.stderr.write(`bvault dev: ${(error as Error).message}; stopping the cluster\n`);
    await stopAll();
    return EXIT_CODES.failure;
  }
  await stopSignal;
  process.stdout.write('\nStopping the cluster...\n');
  await stopAll();
  return EXIT_CODES.ok;
}

/** The options, or the text to print instead (the usage, or what is wrong). */
function readDevOptions(args: readonly string[]): DevOptions | string {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        nodes: { type: 'string', default: '3' },
        'base-port': { type: 'string', default: '8000' },
        'data-dir': { type: 'string', default: './data/dev' },
        'log-level': { type: 'string', default: 'warn' },
        clean: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    return `bvault dev: ${(error as Error).message}\n\n${DEV_USAGE}`;
  }
  if (values.help) return DEV_USAGE;
  const nodes = Number(values.nodes);
  const basePort = Number(values['base-port']);
  const problems: string[] = [];
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > NODES_MAX) problems.push(`--nodes must be 1 to ${NODES_MAX}, got ${values.nodes}`);
  if (!Number.isInteger(basePort) || basePort + PEER_PORT_OFFSET < 1 || basePort + GRPC_PORT_OFFSET + NODES_MAX > 65_535) {
    problems.push(`--base-port must leave room for the peer and gRPC ports (1001 to ${65_535 - GRPC_PORT_OFFSET - NODES_MAX}), got ${values['base-port']}`);
  }
  if (problems.length > 0) return `bvault dev: ${problems.join('; ')}`;
  return { nodes, basePort, dataDir: resolvePath(values['data-dir']), logLevel: values['log-level'], clean: values.clean };
}

function planMembers(options: DevOptions): DevMember[] {
  const names = Array.from({ length: options.nodes }, (_unused, index) => `n${index + 1}`);
  const peerAddresses = names.map((_name, index) => `127.0.0.1:${options.basePort + PEER_PORT_OFFSET + index}`);
  const initialCluster = names.map((name, index) => `${name}=${peerAddresses[index]}`).join(',');
  return names.map((name, index) => {
    const httpPort = options.basePort + index;
    const dataDir = join(options.dataDir, name);
    const args = [
      '--node-id', name,
      '--http-port', String(httpPort),
      '--grpc-port', String(options.basePort + GRPC_PORT_OFFSET + index),
      '--raft-port', String(options.basePort + PEER_PORT_OFFSET + index),
      '--data-dir', dataDir,
      '--initial-cluster', initialCluster,
      '--log-level', options.logLevel,
    ];
    return { name, httpUrl: `http://127.0.0.1:${httpPort}`, peerAddress: peerAddresses[index] as string, dataDir, args };
  });
}

function reportUnexpectedExits(nodes: readonly ChildNode[], stopping: () => boolean): void {
  for (const node of nodes) {
    void node.exited.then((how) => {
      if (!stopping()) process.stderr.write(`bvault dev: ${node.name} exited (${how}); its log lines above say why. The others keep running.\n`);
    });
  }
}

function printEndpoints(members: readonly DevMember[], leader: string, dataDir: string): void {
  const first = members[0] as DevMember;
  const last = members[members.length - 1] as DevMember;
  const lines = [
    '',
    `Beaver-Vault dev cluster is up: ${members.length} nodes, leader ${leader}, data in ${dataDir}`,
    ...members.map((member) => `  ${member.name}  ${member.httpUrl.padEnd(24)} peers ${member.peerAddress.padEnd(16)} data ${member.dataDir}`),
    '',
    'Try:',
    `  curl -X PUT ${first.httpUrl}/api/v1/keys/hello -d 'world'`,
    `  curl ${last.httpUrl}/api/v1/keys/hello`,
    `  curl ${first.httpUrl}/api/v1/cluster/members`,
    '',
    'Node logs follow, prefixed by node name. Press Ctrl-C to stop the cluster.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
