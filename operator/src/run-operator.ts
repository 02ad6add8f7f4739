// `bvault operator`: runs KVClusters until SIGTERM or SIGINT, on which the pass under way
// finishes and the Lease is handed back. `bvault operator --help` prints the flags (USAGE).

import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { NODE_VERSION } from '../../src/node/version.js';
import { createLogger, type Logger } from '../../src/observability/logger.js';
import { Controller } from './controller.js';
import { EventRecorder } from './events.js';
import { LeaderElection } from './leader-election.js';
import { OperatorMetrics } from './operator-metrics.js';
import { Reconciler } from './reconciler.js';

const USAGE = `Usage: bvault operator [flags]

Runs the Beaver-Vault operator, which reconciles KVCluster objects (kv.beavervault.io/v1alpha1).
Replicas elect one leader through a Lease; the others stand by.

Flags:
  --kubeconfig <file>                the API server to use (default: in the cluster, else ~/.kube/config)
  --namespace <ns>                   watch one namespace (default: every namespace)
  --lease-namespace <ns>             where the leader-election Lease lives (default: POD_NAMESPACE, else default)
  --metrics-address <host:port>      /metrics, /healthz and /readyz (default 0.0.0.0:8080)
  --image-repository <repo>          the members' image when a KVCluster names none (default beaver-vault)
  --ready-deadline <seconds>         how long a member may take to become ready before the operator stops (default 300)
  --lease-duration <seconds>         how long a replica that stopped renewing holds the Lease (default 15)
  --ca-lifetime <duration>           lifetime of a CA the operator makes for a cluster (default 365d; 90s, 30m, 12h, 365d)
  --certificate-lifetime <duration>  lifetime of the members' certificates (default 90d); both renewed at two thirds
  --trust-overlap <duration>         how long a new CA is trusted before it signs, and the old one after (default 5m)
  --help                             print this text

Exit codes: 0 stopped, 1 failed or lost the leadership, 2 bad flags.
`;

const LEASE_NAME = 'bvault-operator';
const LEASE_RENEW_MS = 2_000;
const REINVITE_AFTER_MS = 20_000;

/** Runs until stopped by a signal or the loss of the leadership; resolves with the exit code. */
export async function runOperator(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const logger = createLogger({ base: { component: 'bvault-operator' } });
  try {
    return await operate(args, logger);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      logger.fatal(error instanceof Error ? error.message : String(error));
      return 2;
    }
    logger.fatal({ err: error }, 'the operator failed');
    return 1;
  }
}

async function operate(args: readonly string[], logger: Logger): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      'lease-namespace': { type: 'string' },
      'metrics-address': { type: 'string', default: '0.0.0.0:8080' },
      'image-repository': { type: 'string', default: 'beaver-vault' },
      'ready-deadline': { type: 'string', default: '300' },
      'lease-duration': { type: 'string', default: '15' },
      'ca-lifetime': { type: 'string', default: '365d' },
      'certificate-lifetime': { type: 'string', default: '90d' },
      'trust-overlap': { type: 'string', default: '5m' },
    },
    strict: true,
  });
  const readyDeadlineSeconds = wholeSeconds('ready-deadline', values['ready-deadline'], 1);
  const leaseSeconds = wholeSeconds('lease-duration', values['lease-duration'], 3);
  const certificates = {
    caMs: durationMs('ca-lifetime', values['ca-lifetime']),
    certificateMs: durationMs('certificate-lifetime', values['certificate-lifetime']),
    overlapMs: durationMs('trust-overlap', values['trust-overlap']),
  };
  if (certificates.certificateMs > certificates.caMs) throw new UsageError(`--certificate-lifetime ${values['certificate-lifetime']} is longer than --ca-lifetime ${values['ca-lifetime']}`);
  const [metricsHost, metricsPort] = splitAddress(values['metrics-address']);

  const config = new KubeConfig();
  if (values.kubeconfig === undefined) config.loadFromDefault();
  else config.loadFromFile(values.kubeconfig);
  const identity = process.env.POD_NAME ?? `${hostname()}-${process.pid}`;
  const metrics = new OperatorMetrics();
  const core = config.makeApiClient(CoreV1Api);
  const reconciler = new Reconciler({
    core,
    objects: KubernetesObjectApi.makeApiClient(config),
    customObjects: config.makeApiClient(CustomObjectsApi),
    events: new EventRecorder(core),
    metrics,
    logger,
    image: { repository: values['image-repository'] },
    defaultVersion: NODE_VERSION,
    limits: { readyDeadlineMs: readyDeadlineSeconds * 1000, reinviteAfterMs: REINVITE_AFTER_MS },
    certificates,
  });
  const controller = new Controller(config, reconciler, logger, values.namespace === undefined ? {} : { namespace: values.namespace });
  const election = new LeaderElection(config.makeApiClient(CoordinationV1Api), {
    namespace: values['lease-namespace'] ?? process.env.POD_NAMESPACE ?? 'default',
    name: LEASE_NAME,
    identity,
    durationSeconds: leaseSeconds,
    renewEveryMs: LEASE_RENEW_MS,
  });
  const server = await serveMetrics(metrics, metricsHost, metricsPort);

  let finish: (exitCode: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  let stopping = false;
  const stop = (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'stopping');
    void (async () => {
      await controller.stop();
      await election.release();
      metrics.isLeader.set(0);
      server.close();
      finish(exitCode);
    })();
  };
  process.on('SIGTERM', () => stop('SIGTERM', 0));
  process.on('SIGINT', () => stop('SIGINT', 0));

  logger.info({ identity, version: NODE_VERSION, metrics: `${metricsHost}:${metricsPort}` }, 'waiting to lead');
  await election.acquire((reason) => {
    logger.error({ reason }, 'lost the leadership; exiting so that a new replica takes over');
    stop(reason, 1);
  });
  if (!stopping) {
    metrics.isLeader.set(1);
    logger.info({ identity }, 'leading: reconciling KVClusters');
    await controller.start();
  }
  return finished;
}

class UsageError extends Error {}

function wholeSeconds(flag: string, text: string, least: number): number {
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < least) throw new UsageError(`--${flag} ${text} is not a whole number of seconds, at least ${least}`);
  return seconds;
}

const DURATION_UNITS_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function durationMs(flag: string, text: string): number {
  const match = /^(\d+)([smhd])$/.exec(text);
  if (match === null || Number(match[1]) === 0) throw new UsageError(`--${flag} ${text} is not a duration such as 90s, 30m, 12h or 365d`);
  return Number(match[1]) * (DURATION_UNITS_MS[match[2] ?? 's'] ?? 1_000);
}

function splitAddress(address: string): [string, number] {
  const separator = address.lastIndexOf(':');
  const port = Number(address.slice(separator + 1));
  if (separator < 0 || !Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--metrics-address ${address} is not host:port`);
  return [address.slice(0, separator), port];
}

function serveMetrics(metrics: OperatorMetrics, host: string, port: number): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url === '/metrics') {
      void metrics.registry.metrics().then((text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text));
    } else if (request.url === '/healthz' || request.url === '/readyz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else {
      response.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
