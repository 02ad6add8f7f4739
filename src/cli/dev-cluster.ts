// `bvault dev`: a local cluster of `bvault server` child processes on loopback, for trying
// Beaver-Vault out. It waits for a leader (with --tls it then turns authentication on, see
// dev-auth.ts), prints where each node listens and a curl example, relays every node's log
// lines prefixed by its name. Asked to stop (Ctrl-C, SIGTERM, SIGHUP,
// its parent gone) it stops every node gracefully (a leader hands over leadership first) and
// exits 0; when a node exits by itself, at start or later, it says why in that node's own
// words, stops the others and exits 1. No node outlives it (see child-node.ts).

import { readFile, rm } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import type { ClientTlsMaterial } from '../tls/index.js';
import { startChildNode, stopChildNode, type ChildNode } from './child-node.js';
import { waitForCommonLeader } from './cluster-status.js';
import { enableDevAuth, type DevAuth } from './dev-auth.js';
import { DEV_CLIENT_COMMON_NAME, serverTlsArgs, writeDevCertificates, type DevCertificateFiles } from './dev-certificates.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { whenStopRequested } from './stop-requests.js';

const DEV_USAGE = `Usage: bvault dev [options]

Starts a local cluster on 127.0.0.1 and stops it on Ctrl-C. Node i (from 0) listens for
HTTP on base-port+i, for peers on base-port-1000+i and reserves gRPC base-port+1090+i.
Data survives restarts: run it again to restart the same cluster, or pass --clean.

  --nodes <n>          members, 1 to 9 [default 3]
  --base-port <port>   first HTTP port [default 8000]
  --data-dir <dir>     parent of the nodes' data directories [default ./data/dev]
  --log-level <level>  the nodes' log level; their lines are relayed here, readable on a
                       terminal and JSON otherwise [default warn]
  --clean              delete the data directory first
  --tls                serve every port over TLS, clients and peers alike proving who they are
                       with certificates from a throwaway CA made in <data-dir>/tls at each start,
                       and turn authentication on: user root, its password generated at the
                       first start and kept in <data-dir>/root-password`;

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
  readonly tls: boolean;
}

interface DevMember {
  readonly name: string;
  readonly httpUrl: string;
  /** host:port of the gRPC APIs, which etcdctl and the `bvault` client commands dial. */
  readonly grpcAddress: string;
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
  const certificates = options.tls ? await writeDevCertificates(join(options.dataDir, 'tls')) : undefined;
  const members = planMembers(options, certificates);
  const clientTls = certificates === undefined ? undefined : { ca: await readFile(certificates.ca), cert: await readFile(certificates.clientCert), key: await readFile(certificates.clientKey) };
  process.stdout.write(`Starting ${countOf(members.length, 'node')} in ${options.dataDir} and waiting for a leader (up to ${LEADER_WAIT_MS / 1000} s)...\n`);
  const stopRequested = whenStopRequested({ stopWhenOrphaned: true }).then((requestedBy): DevEvent => ({ kind: 'stop', requestedBy }));
  const nodes = members.map((member) => startChildNode(member.name, member.args, process.stdout));
  let stopping = false;
  const firstExit = Promise.race(nodes.map((node) => node.exited.then((how): DevEvent => ({ kind: 'exit', node, how }))));
  const leaderElected = waitForCommonLeader(members.map((member) => member.httpUrl), LEADER_WAIT_MS, () => stopping, clientTls).then(
    (leader): DevEvent => ({ kind: 'up', leader }),
    (error: unknown): DevEvent => ({ kind: 'not-up', reason: (error as Error).message }),
  );
  let event = await Promise.race([stopRequested, firstExit, leaderElected]);
  if (event.kind === 'up' && clientTls !== undefined) event = await Promise.race([stopRequested, firstExit, turnOnAuth(members, event.leader, clientTls, options.dataDir)]);
  if (event.kind === 'up') {
    printEndpoints(members, event.leader, options.dataDir, certificates, event.auth);
    event = await Promise.race([stopRequested, firstExit]);
  }
  stopping = true;
  const code = reportEnd(event);
  await stopAll(nodes);
  return code;
}

/** What ends the wait for a leader (and with --tls for authentication), or a running cluster. */
type DevEvent =
  | { readonly kind: 'up'; readonly leader: string; readonly auth?: DevAuth }
  | { readonly kind: 'not-up'; readonly reason: string }
  | { readonly kind: 'stop'; readonly requestedBy: string }
  | { readonly kind: 'exit'; readonly node: ChildNode; readonly how: string };

/** Says why the cluster stops; exit 0 only for a stop that was asked for. */
function reportEnd(event: DevEvent): ExitCode {
  switch (event.kind) {
    case 'stop':
      process.stdout.write(`\nStopping the cluster (${event.requestedBy})...\n`);
      return EXIT_CODES.ok;
    case 'exit': {
      // The node's own one-line reason, e.g. its data directory is locked or a port is taken.
      const reason = event.node.lastErrorLine();
      process.stderr.write(`bvault dev: ${event.node.name} exited (${event.how})${reason === undefined ? '' : `: ${reason}`}; stopping the cluster\n`);
      return EXIT_CODES.failure;
    }
    case 'not-up':
      process.stderr.write(`bvault dev: ${event.reason}; stopping the cluster\n`);
      return EXIT_CODES.failure;
    case 'up':
      throw new Error('a cluster that is up is not an end');
  }
}

/** Authentication on through the leader's etcd Auth service, or why it could not be. */
async function turnOnAuth(members: readonly DevMember[], leader: string, clientTls: Required<ClientTlsMaterial>, dataDir: string): Promise<DevEvent> {
  const grpcAddress = (members.find((member) => member.name === leader) ?? (members[0] as DevMember)).grpcAddress;
  try {
    return { kind: 'up', leader, auth: await enableDevAuth(grpcAddress, clientTls, dataDir) };
  } catch (error) {
    const reason = (error as Partial<{ details: string }>).details ?? (error as Error).message;
    return { kind: 'not-up', reason: `could not turn authentication on: ${reason}` };
  }
}

async function stopAll(nodes: readonly ChildNode[]): Promise<void> {
  const outcomes = await Promise.all(nodes.map((node) => stopChildNode(node, STOP_GRACE_MS)));
  nodes.forEach((node, index) => process.stdout.write(`${node.name} stopped (${outcomes[index]})\n`));
}

function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
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
        tls: { type: 'boolean', default: false },
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
  return { nodes, basePort, dataDir: resolvePath(values['data-dir']), logLevel: values['log-level'], clean: values.clean, tls: values.tls };
}

function planMembers(options: DevOptions, certificates: DevCertificateFiles | undefined): DevMember[] {
  const scheme = certificates === undefined ? 'http' : 'https';
  const names = Array.from({ length: options.nodes }, (_unused, index) => `n${index + 1}`);
  const peerAddresses = names.map((_name, index) => `127.0.0.1:${options.basePort + PEER_PORT_OFFSET + index}`);
  const initialCluster = names.map((name, index) => `${name}=${peerAddresses[index]}`).join(',');
  return names.map((name, index) => {
    const httpPort = options.basePort + index;
    const grpcPort = options.basePort + GRPC_PORT_OFFSET + index;
    const dataDir = join(options.dataDir, name);
    const args = [
      '--node-id', name,
      '--http-port', String(httpPort),
      '--grpc-port', String(grpcPort),
      '--raft-port', String(options.basePort + PEER_PORT_OFFSET + index),
      '--data-dir', dataDir,
      '--initial-cluster', initialCluster,
      '--log-level', options.logLevel,
      // A node's stdout is a pipe to dev; the person is at dev's terminal.
      '--log-format', process.stdout.isTTY ? 'pretty' : 'json',
      ...(certificates === undefined ? [] : serverTlsArgs(certificates)),
    ];
    return { name, httpUrl: `${scheme}://127.0.0.1:${httpPort}`, grpcAddress: `127.0.0.1:${grpcPort}`, peerAddress: peerAddresses[index] as string, dataDir, args };
  });
}

function printEndpoints(members: readonly DevMember[], leader: string, dataDir: string, certificates: DevCertificateFiles | undefined, auth: DevAuth | undefined): void {
  const first = members[0] as DevMember;
  const last = members[members.length - 1] as DevMember;
  const tryLines = certificates === undefined || auth === undefined ? plainTryLines(members, first, last) : tlsTryLines(members, first, last, certificates, auth);
  const lines = [
    '',
    `Beaver-Vault dev cluster is up: ${countOf(members.length, 'node')}, leader ${leader}, data in ${dataDir}`,
    ...members.map(
      (member) => `  ${member.name}  http ${member.httpUrl.padEnd(24)} grpc ${member.grpcAddress.padEnd(16)} peers ${member.peerAddress.padEnd(16)} data ${member.dataDir}`,
    ),
    '',
    `Web console: ${first.httpUrl}/ui/ (every member serves one at /ui/ on its HTTP port)`,
    ...tryLines,
    '',
    'Node logs follow, prefixed by node name. Press Ctrl-C to stop the cluster.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

function plainTryLines(members: readonly DevMember[], first: DevMember, last: DevMember): string[] {
  return [
    '',
    'Try (the REST API on the HTTP port; bvault and etcdctl on the gRPC port):',
    `  curl -X PUT ${first.httpUrl}/api/v1/keys/hello -d 'world'`,
    `  curl ${last.httpUrl}/api/v1/keys/hello`,
    `  curl ${first.httpUrl}/api/v1/cluster/members`,
    `  npm run bvault -- get hello --endpoints ${members.map((member) => member.grpcAddress).join(',')}`,
    `  etcdctl --endpoints ${first.grpcAddress} get hello`,
  ];
}

/** The same commands with the CA, the client certificate and root's credentials: every port asks for both. */
function tlsTryLines(members: readonly DevMember[], first: DevMember, last: DevMember, certificates: DevCertificateFiles, auth: DevAuth): string[] {
  // curl, etcdctl and bvault spell the three flags alike.
  const clientTls = `--cacert ${certificates.ca} --cert ${certificates.clientCert} --key ${certificates.clientKey}`;
  const user = `--user ${auth.user}:${auth.password}`;
  const bearer = `-H "Authorization: Bearer $TOKEN"`;
  return [
    '',
    `TLS on every port; certificates from a throwaway CA in ${certificates.directory}.`,
    `Authentication is ${auth.enabledNow ? 'on' : 'still on'}: user ${auth.user}, password ${auth.password} (kept in ${auth.passwordFile}).`,
    `The client certificate's CN, ${DEV_CLIENT_COMMON_NAME}, is no user: a command with the certificate alone is refused, so each line below says who it is.`,
    'Try (the REST API on the HTTP port; bvault and etcdctl on the gRPC port):',
    `  etcdctl --endpoints https://${first.grpcAddress} ${clientTls} ${user} put hello world`,
    `  etcdctl --endpoints https://${first.grpcAddress} ${clientTls} ${user} get hello`,
    `  npm run bvault -- get hello --endpoints ${members.map((member) => `https://${member.grpcAddress}`).join(',')} ${clientTls} ${user}`,
    `  TOKEN=$(curl -s ${clientTls} -X POST ${first.httpUrl}/api/v1/auth/authenticate -d '{"name":"${auth.user}","password":"${auth.password}"}' | sed -E 's/.*"token":"([^"]+)".*/\\1/')`,
    `  curl ${clientTls} ${bearer} -X PUT ${first.httpUrl}/api/v1/keys/hello -d 'world'`,
    `  curl ${clientTls} ${bearer} ${last.httpUrl}/api/v1/keys/hello`,
  ];
}
