// etcd and the Kubernetes control plane of a bed, started as controller-runtime's envtest starts
// them: everything on loopback, a throwaway CA, service-account signing keys, RBAC. The API
// server advertises the bridge's gateway address, where the node agent forwards to it, so that
// the `kubernetes` Service's endpoint is an address pods can reach.

import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { freePort, waitFor } from '../../cluster/cluster-harness.js';
import { writeKubeconfig } from './kubeconfig.js';
import { BINARIES } from './paths.js';
import type { BedPki, CertificateFiles } from './pki.js';
import { spawnTracked, type PidRegistry, type TrackedProcess } from './processes.js';

const START_TIMEOUT_MS = 90_000;
export const SERVICE_CLUSTER_IP_RANGE = '10.96.0.0/16';

/** etcd-compatible servers the API server stores its objects in, instead of the bed's own etcd. */
export interface ExternalStorage {
  readonly servers: readonly string[];
  /** Client certificates for the API server, and the CA of the servers' certificates. */
  readonly tls?: { readonly caFile: string; readonly certFile: string; readonly keyFile: string };
}

export interface ControlPlaneOptions {
  readonly directory: string;
  /** etcd's data directory: on tmpfs, since Debian's etcd 3.4 has no --unsafe-no-fsync. */
  readonly etcdDataDirectory: string;
  /** When given, no etcd is started and the API server uses these servers. */
  readonly storage?: ExternalStorage;
  /** Flags added to the API server's own, e.g. a shorter --etcd-compaction-interval. */
  readonly apiServerFlags?: readonly string[];
  readonly pki: BedPki;
  readonly registry: PidRegistry;
  readonly advertiseAddress: string;
}

export interface ControlPlane {
  readonly apiServerPort: number;
  readonly apiServerUrl: string;
  /** The admin (system:masters) kubeconfig, for tests, kubectl and the node agent. */
  readonly kubeconfig: string;
  readonly processes: readonly TrackedProcess[];
  stop(): Promise<void>;
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const { directory, pki, registry } = options;
  const logs = join(directory, 'logs');
  await mkdir(logs, { recursive: true });
  const started: TrackedProcess[] = [];
  const stopAll = async () => {
    // In reverse: the controllers before the API server, the API server before its etcd.
    for (const process of [...started].reverse()) await process.stop(10_000);
  };
  try {
    const storageFlags = options.storage === undefined
      ? [`--etcd-servers=${await startEtcd(options.etcdDataDirectory, registry, logs, started)}`]
      : externalStorageFlags(options.storage);

    const apiServerPort = await freePort();
    const apiServerUrl = `https://127.0.0.1:${apiServerPort}`;
    started.push(spawnTracked('kube-apiserver', BINARIES.kubeApiserver, [
      ...storageFlags,
      '--bind-address=127.0.0.1', `--secure-port=${apiServerPort}`, `--advertise-address=${options.advertiseAddress}`,
      `--tls-cert-file=${pki.apiServer.certFile}`, `--tls-private-key-file=${pki.apiServer.keyFile}`,
      `--client-ca-file=${pki.caFile}`,
      `--service-account-issuer=${apiServerUrl}`,
      `--service-account-key-file=${pki.serviceAccountPublicKeyFile}`,
      `--service-account-signing-key-file=${pki.serviceAccountPrivateKeyFile}`,
      '--authorization-mode=RBAC',
      `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
      '--allow-privileged=true',
      `--kubelet-client-certificate=${pki.apiServerKubeletClient.certFile}`,
      `--kubelet-client-key=${pki.apiServerKubeletClient.keyFile}`,
      '--kubelet-preferred-address-types=InternalIP',
      `--cert-dir=${join(directory, 'apiserver-certs')}`,
      '--profiling=false',
      '--v=1',
      ...(options.apiServerFlags ?? []),
    ], { registry, logFile: join(logs, 'kube-apiserver.log') }));
    await waitFor('kube-apiserver to answer /readyz', START_TIMEOUT_MS, async () => (await isReady(apiServerUrl, pki.caFile, pki.admin)) || undefined);

    const kubeconfig = join(directory, 'kubeconfig');
    writeKubeconfig(kubeconfig, apiServerUrl, pki.caFile, 'admin', pki.admin);
    const controllerManagerKubeconfig = join(directory, 'kube-controller-manager.kubeconfig');
    writeKubeconfig(controllerManagerKubeconfig, apiServerUrl, pki.caFile, 'system:kube-controller-manager', pki.controllerManager);
    const schedulerKubeconfig = join(directory, 'kube-scheduler.kubeconfig');
    writeKubeconfig(schedulerKubeconfig, apiServerUrl, pki.caFile, 'system:kube-scheduler', pki.scheduler);

    started.push(spawnTracked('kube-controller-manager', BINARIES.kubeControllerManager, [
      `--kubeconfig=${controllerManagerKubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1', `--secure-port=${await freePort()}`,
      `--authentication-kubeconfig=${controllerManagerKubeconfig}`, `--authorization-kubeconfig=${controllerManagerKubeconfig}`,
      `--service-account-private-key-file=${pki.serviceAccountPrivateKeyFile}`,
      '--use-service-account-credentials=true',
      `--root-ca-file=${pki.caFile}`,
      `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
      '--v=1',
    ], { registry, logFile: join(logs, 'kube-controller-manager.log') }));
    started.push(spawnTracked('kube-scheduler', BINARIES.kubeScheduler, [
      `--kubeconfig=${schedulerKubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1', `--secure-port=${await freePort()}`,
      `--authentication-kubeconfig=${schedulerKubeconfig}`, `--authorization-kubeconfig=${schedulerKubeconfig}`,
      '--v=1',
    ], { registry, logFile: join(logs, 'kube-scheduler.log') }));
    return { apiServerPort, apiServerUrl, kubeconfig, processes: started, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Debian's etcd on loopback, its data on tmpfs; resolves with its client URL once it answers. */
async function startEtcd(dataDirectory: string, registry: PidRegistry, logs: string, started: TrackedProcess[]): Promise<string> {
  const etcdPort = await freePort();
  const etcdPeerPort = await freePort();
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  started.push(spawnTracked('etcd', BINARIES.etcd, [
    '--name', 'bed', '--data-dir', dataDirectory,
    '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl,
    '--listen-peer-urls', `http://127.0.0.1:${etcdPeerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${etcdPeerPort}`,
    '--initial-cluster', `bed=http://127.0.0.1:${etcdPeerPort}`,
    '--listen-metrics-urls', '', '--log-level', 'warn', '--logger', 'zap',
  ], { registry, logFile: join(logs, 'etcd.log') }));
  await waitFor('etcd to answer /health', START_TIMEOUT_MS, async () => {
    const answer = await fetch(`${etcdUrl}/health`).catch(() => undefined);
    return answer?.ok ? true : undefined;
  });
  return etcdUrl;
}

function externalStorageFlags(storage: ExternalStorage): string[] {
  const flags = [`--etcd-servers=${storage.servers.join(',')}`];
  if (storage.tls !== undefined) {
    flags.push(`--etcd-cafile=${storage.tls.caFile}`, `--etcd-certfile=${storage.tls.certFile}`, `--etcd-keyfile=${storage.tls.keyFile}`);
  }
  return flags;
}

/** GET /readyz with the admin certificate: true once the API server has finished starting. */
function isReady(apiServerUrl: string, caFile: string, admin: CertificateFiles): Promise<boolean> {
  return new Promise((resolve) => {
    const request = httpsRequest(`${apiServerUrl}/readyz`, {
      ca: readFileSync(caFile),
      cert: readFileSync(admin.certFile),
      key: readFileSync(admin.keyFile),
      timeout: 2_000,
    }, (answer) => {
      answer.resume();
      resolve(answer.statusCode === 200);
    });
    request.on('error', () => resolve(false));
    request.on('timeout', () => request.destroy());
    request.end();
  });
}
