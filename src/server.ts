// One Beaver-Vault node as a process: configuration → logger → peer transport → node → REST
// and gRPC APIs, and the way back on SIGTERM, SIGINT or SIGHUP, or when `bvault dev` that
// started it goes away (the node hands leadership over before it stops).
// A failure to start is one line on stderr and an exit code that says what kind it was.

import { join } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { NodeAccess } from './access/node-access.js';
import { startGrpcApi } from './api/grpc/index.js';
import { AuthManager } from './auth/auth-manager.js';
import { startHttpApi } from './api/http/index.js';
import { EXIT_CODES, type ExitCode } from './cli/exit-codes.js';
import { attemptJoin } from './cli/join-attempt.js';
import type { JoinedCluster } from './cli/join-request.js';
import { saveJoinedMembers, storedJoinedMembersOf } from './cli/joined-members.js';
import { describeFailure } from './cli/failure-description.js';
import { whenStopRequested } from './cli/stop-requests.js';
import { storedClusterIdOf } from './cli/stored-cluster-id.js';
import { AuditedAccess } from './audit/audited-access.js';
import { AuditLog } from './audit/audit-log.js';
import { HELP_REQUESTED, loadServerConfig, serverHelpText, type AutoCompaction, type ServerConfig } from './config/index.js';
import { RevisionRetention, TimeRetention, type CompactionPolicy } from './mvcc/index.js';
import { startFailpointsFromEnvironment, type FailpointControl } from './failpoints/index.js';
import { clusterIdOf, memberIdOf } from './node/identity.js';
import type { ClusterMembership, MemberAddress } from './node/node-options.js';
import { RaftKvNode } from './node/raft-kv-node.js';
import { registerCertificateExpiry } from './observability/certificate-metrics.js';
import { registerEventLoopDelay } from './observability/event-loop-delay.js';
import { createLogger, type Logger } from './observability/logger.js';
import { startTracing } from './observability/tracing.js';
import { openServerTls, type ServerTls } from './tls/index.js';
import { awaitJoinInvitation, GrpcTransport } from './transport/index.js';

/** Leadership transfer, in-flight requests and closing the stores must fit in this. */
const SHUTDOWN_TIMEOUT_MS = 20_000;

interface RunningServer {
  readonly node: RaftKvNode;
  readonly api: { readonly url: string; close(): Promise<void> };
  readonly grpcApi: { readonly address: string; close(): Promise<void> };
  readonly auditLog?: AuditLog;
  readonly tls: ServerTls;
}

/** Runs a node until asked to stop (see stop-requests.ts); resolves with the exit code. */
export async function runServer(args: readonly string[], environment: NodeJS.ProcessEnv): Promise<ExitCode> {
  let config: ServerConfig | typeof HELP_REQUESTED;
  try {
    config = await loadServerConfig({ args, environment, workingDirectory: process.cwd() });
  } catch (error) {
    process.stderr.write(`bvault server: ${describeFailure(error).message}\n`);
    return describeFailure(error).exitCode;
  }
  if (config === HELP_REQUESTED) {
    process.stdout.write(`${serverHelpText()}\n`);
    return EXIT_CODES.ok;
  }
  const pretty = config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY);
  const logger = createLogger({ level: config.logLevel, base: { node: config.name }, pretty });
  for (const warning of config.warnings) logger.warn(warning);
  let failpointControl: FailpointControl | undefined;
  try {
    failpointControl = await startFailpointsFromEnvironment(environment);
  } catch (error) {
    process.stderr.write(`bvault server: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_CODES.usage;
  }
  if (failpointControl !== undefined) logger.warn({ address: failpointControl.address }, 'failpoint control is open: anyone who reaches it can slow this node down');
  // Before the node opens, so that it and the APIs see whether tracing is on.
  const tracing = await startTracing(environment, config.name, logger);
  try {
    return await serveUntilStopped(config, logger);
  } finally {
    await tracing?.shutdown();
    await failpointControl?.close();
  }
}

async function serveUntilStopped(config: ServerConfig, logger: Logger): Promise<ExitCode> {
  // A stop asked for while the node starts is honoured once it has started, or at once while
  // it waits to be added to a cluster.
  let requestStop: (reason: StopReason) => void = () => undefined;
  const stopRequested = new Promise<StopReason>((resolve) => (requestStop = resolve));
  const stopping = new AbortController();
  void whenStopRequested({ stopWhenOrphaned: false }).then((requestedBy) => {
    stopping.abort();
    requestStop({ requestedBy });
  });
  let server: RunningServer | undefined;
  try {
    server = await startServer(config, logger, stopping.signal, (error) => requestStop({ fatalError: error }));
  } catch (error) {
    const failure = describeFailure(error);
    // One line says why; the stack is for debugging and goes to the log only at debug level.
    logger.debug({ err: error }, 'cannot start');
    process.stderr.write(`bvault server: ${config.name} cannot start: ${failure.message}\n`);
    return failure.exitCode;
  }
  if (server === undefined) return EXIT_CODES.ok;
  const reason = await stopRequested;
  if ('fatalError' in reason) {
    // The node has already stopped itself; a supervisor should see the process go.
    process.stderr.write(`bvault server: ${config.name} stopped after a failure: ${describeFailure(reason.fatalError).message}\n`);
    await stopServer(server, logger);
    return EXIT_CODES.failure;
  }
  logger.info({ requestedBy: reason.requestedBy }, 'stopping; a leader hands leadership to another voter first');
  return stopServer(server, logger);
}

type StopReason = { readonly requestedBy: string } | { readonly fatalError: unknown };

/** Undefined when a stop was requested before the node had a cluster to start in. */
async function startServer(config: ServerConfig, logger: Logger, stopping: AbortSignal, onFatalError: (error: unknown) => void): Promise<RunningServer | undefined> {
  // First, so a bad certificate stops the start before the node joins or opens anything.
  const tls = await openServerTls(config, logger);
  try {
    const running = await startServerWithTls(config, tls, logger, stopping, onFatalError);
    if (running === undefined) tls.close();
    return running;
  } catch (error) {
    tls.close();
    throw error;
  }
}

async function startServerWithTls(config: ServerConfig, tls: ServerTls, logger: Logger, stopping: AbortSignal, onFatalError: (error: unknown) => void): Promise<RunningServer | undefined> {
  const entry = await clusterEntryOf(config, tls, logger, stopping);
  if (entry === undefined) return undefined;
  try {
    return await startMember(config, entry.cluster, tls, logger, onFatalError);
  } catch (error) {
    // A data directory in use by another process is not this attempt's to clean up.
    if (entry.undo !== undefined && describeFailure(error).exitCode !== EXIT_CODES.dataDirRefused) {
      await entry.undo().then(
        () => logger.warn('the start failed after joining: removed this member from the cluster again'),
        (undoError: unknown) => logger.error({ err: undoError }, 'the start failed after joining and removing this member again failed too; remove it by hand'),
      );
    }
    throw error;
  }
}

async function startMember(config: ServerConfig, cluster: ClusterMembership, tls: ServerTls, logger: Logger, onFatalError: (error: unknown) => void): Promise<RunningServer> {
  const clusterId = cluster.mode === 'new' ? clusterIdOf(new Map(cluster.initialMembers.map((member) => [member.name, member.peerAddress]))) : cluster.clusterId;
  const transport = new GrpcTransport({
    memberId: memberIdOf(config.name),
    clusterId,
    listenAddress: `${config.raftHost}:${config.raftPort}`,
    logger: logger.child({ component: 'transport' }),
    ...(tls.peerPort === undefined ? {} : { serverCredentials: tls.peerPort.server, channelCredentials: tls.peerPort.channel }),
  });
  const metricsRegistry = new Registry();
  // Measured for the life of the process, which ends when the server stops: the event loop's
  // delay, and prom-client's process and Node.js metrics (CPU, memory, heap, GC, handles).
  registerEventLoopDelay(metricsRegistry);
  collectDefaultMetrics({ register: metricsRegistry });
  registerCertificateExpiry(metricsRegistry, tls);
  let node: RaftKvNode;
  const nodeOpeningAtMs = performance.now();
  try {
    node = await RaftKvNode.open({
      name: config.name,
      dataDir: config.dataDir,
      cluster,
      clientUrls: config.advertiseClientUrls,
      grpcUrls: config.advertiseGrpcUrls,
      transport,
      tickMs: config.tickMs,
      electionTicks: config.electionTicks,
      heartbeatTicks: config.heartbeatTicks,
      snapshotEntries: config.snapshotEntries,
      compactionMarginEntries: config.compactionMarginEntries,
      logBytesMax: config.logBytesMax,
      leaseCheckpointIntervalMs: config.leaseCheckpointIntervalMs,
      quotaBytes: config.quotaBytes,
      encryptionKeyFile: config.encryptionKeyFile,
      limits: config.limits,
      queueLimits: config.queueLimits,
      autoCompaction: compactionPolicyOf(config.autoCompaction),
      // The node names its own component on each line.
      logger,
      metricsRegistry,
      onFatalError,
    });
  } catch (error) {
    await transport.close();
    throw error;
  }
  const nodeOpenedAtMs = performance.now();
  let auditLog: AuditLog | undefined;
  try {
    const client = await clientAccessOf(node, config, logger);
    auditLog = client.auditLog;
    const { access, auth } = client;
    // The gRPC API first: the HTTP API's etcd gateway makes its calls on it.
    const grpcApi = await startGrpcApi({
      node,
      access,
      auth,
      host: config.httpHost,
      port: config.grpcPort,
      metrics: metricsRegistry,
      logger: logger.child({ component: 'grpc' }),
      limits: { ...config.limits, concurrentStreamsMax: config.grpcConcurrentStreamsMax },
      ...(tls.clientPort === undefined ? {} : { credentials: tls.clientPort.grpc }),
      localSocketDirectory: join(config.dataDir, 'gateway'),
    });
    const api = await startHttpApi({
      node,
      access,
      auth,
      host: config.httpHost,
      port: config.httpPort,
      metrics: metricsRegistry,
      logger: logger.child({ component: 'http' }),
      limits: config.limits,
      grpcPort: config.grpcPort,
      grpcLocalTarget: grpcApi.localTarget,
      ...(tls.clientPort === undefined ? {} : { https: tls.clientPort.https }),
    }).catch(async (error: unknown) => {
      await grpcApi.close();
      throw error;
    });
    // As on etcd's client port, HTTP/1 on the gRPC port (the JSON gateway above all) is served
    // by the HTTP API; over TLS the gRPC port is gRPC only.
    if (tls.clientPort === undefined) grpcApi.serveHttp1(api.app.server);
    const startup = startupPhases(nodeOpeningAtMs, nodeOpenedAtMs);
    logger.info({ http: api.url, grpc: grpcApi.address, peer: config.advertisePeerAddress, clusterId: node.clusterId, ...startup }, 'serving');
    return { node, api, grpcApi, tls, ...(auditLog === undefined ? {} : { auditLog }) };
  } catch (error) {
    await node.close();
    await auditLog?.close();
    throw error;
  }
}

/**
 * Every client API serves each call from the view this gives its caller: its permissions
 * checked (AuthManager), and recorded when an audit log is set (AuditedAccess around it).
 */
async function clientAccessOf(node: RaftKvNode, config: ServerConfig, logger: Logger): Promise<{ readonly access: NodeAccess; readonly auth: AuthManager; readonly auditLog?: AuditLog }> {
  const auth = await AuthManager.open({ node, tokens: config.authTokens });
  if (config.audit === undefined) return { access: auth, auth };
  const auditLog = await AuditLog.open(config.audit, logger.child({ component: 'audit' }));
  return { access: new AuditedAccess(auth, auditLog, { reads: config.audit.reads }), auth, auditLog };
}

/**
 * Where a start's time went, for the log: performance.now() counts from the process's start, so
 * `loadingMs` is Node's own start, loading the modules and reading the configuration; `nodeOpenMs`
 * the data directory's lock, the WAL replay, LevelDB and the peer port; `apiStartMs` the HTTP and
 * gRPC APIs.
 */
function startupPhases(nodeOpeningAtMs: number, nodeOpenedAtMs: number): Record<string, number> {
  const nowMs = performance.now();
  return {
    sinceProcessStartMs: Math.round(nowMs),
    loadingMs: Math.round(nodeOpeningAtMs),
    nodeOpenMs: Math.round(nodeOpenedAtMs - nodeOpeningAtMs),
    apiStartMs: Math.round(nowMs - nodeOpenedAtMs),
  };
}

interface ClusterEntry {
  readonly cluster: ClusterMembership;
  /** Set when this start joined the cluster: takes the join back if the node cannot start. */
  readonly undo?: () => Promise<void>;
}

/**
 * A new cluster's members bootstrap from initial-cluster. A joining node asks the running
 * cluster to add it, and a waiting node waits until a member invites it, unless its data
 * directory shows it joined before: then it restarts with the cluster id and the member list it
 * stored, and learns later changes from its own log; so does a node given no start flag at all
 * whose data directory belongs to a cluster. Undefined when stopped while waiting.
 */
async function clusterEntryOf(config: ServerConfig, tls: ServerTls, logger: Logger, stopping: AbortSignal): Promise<ClusterEntry | undefined> {
  const self = { name: config.name, peerAddress: config.advertisePeerAddress, clientUrls: config.advertiseClientUrls };
  const storedClusterId = config.start.kind === 'new' && config.start.implicit !== true ? undefined : await storedClusterIdOf(config.dataDir);
  if (storedClusterId !== undefined) {
    const others = (await storedJoinedMembersOf(config.dataDir)).filter((member) => member.name !== config.name);
    return { cluster: { mode: 'join', clusterId: storedClusterId, members: [...others, self] } };
  }
  if (config.start.kind === 'new') {
    return { cluster: { mode: 'new', initialMembers: [...config.start.initialMembers].map(([name, peerAddress]) => (name === config.name ? self : { name, peerAddress })) } };
  }
  if (config.start.kind === 'wait') {
    const invitation = await awaitJoinInvitation(`${config.raftHost}:${config.raftPort}`, logger, stopping, tls.peerPort?.server);
    if (invitation === undefined) return undefined;
    return { cluster: await joinedMembershipOf(config, invitation, self) };
  }
  // Over https:// the member shows its own client-port certificate, as etcdctl would show one.
  const joinTls = tls.clientPort === undefined ? {} : { tls: tls.clientPort.material() };
  const attempt = await attemptJoin({ joinUrl: config.start.joinUrl, ...self, ...joinTls }, config.dataDir);
  return { cluster: await joinedMembershipOf(config, attempt.joined, self), undo: attempt.undo };
}

/** Stores the member list the cluster gave, so a restart knows its peers before its log does. */
async function joinedMembershipOf(config: ServerConfig, joined: JoinedCluster, self: MemberAddress): Promise<ClusterMembership> {
  const members = joined.members.some((member) => member.name === config.name) ? joined.members : [...joined.members, self];
  await saveJoinedMembers(config.dataDir, members);
  return { mode: 'join', clusterId: joined.clusterId, members };
}

function compactionPolicyOf(autoCompaction: AutoCompaction): CompactionPolicy | undefined {
  switch (autoCompaction.mode) {
    case 'off':
      return undefined;
    case 'revision':
      return new RevisionRetention(autoCompaction.retainRevisions);
    case 'periodic':
      return new TimeRetention(autoCompaction.retentionMs);
  }
}

async function stopServer(server: RunningServer, logger: Logger): Promise<ExitCode> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<ExitCode>((resolve) => {
    timer = setTimeout(() => resolve(EXIT_CODES.shutdownTimeout), SHUTDOWN_TIMEOUT_MS);
  });
  const stopped = (async (): Promise<ExitCode> => {
    await server.node.close();
    await Promise.all([server.api.close(), server.grpcApi.close()]);
    await server.auditLog?.close();
    server.tls.close();
    return EXIT_CODES.ok;
  })();
  try {
    const code = await Promise.race([stopped, timedOut]);
    if (code === EXIT_CODES.ok) logger.info('stopped');
    else logger.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'shutdown did not finish in time; exiting anyway');
    return code;
  } catch (error) {
    logger.error({ err: error }, 'shutdown failed');
    return EXIT_CODES.failure;
  } finally {
    clearTimeout(timer);
  }
}
