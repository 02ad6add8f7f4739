// The node agent: the kubelet's part of the test bed, for one or more Node objects. It
// registers the nodes and keeps them Ready, runs the pods the scheduler binds to them as
// processes (pod-worker.ts), provisions their volumes (provisioner.ts), keeps each pod's hosts
// file in step with the headless Services (dns-records.ts), forwards the API server to pods,
// and serves `kubectl logs`. It watches the API server through informers, which relist and
// resume after an error.

import { CoreV1Api, DiscoveryV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:https';
import { join } from 'node:path';
import type { BedNetwork } from '../bed/network-slot.js';
import type { PidRegistry } from '../bed/processes.js';
import { resilientInformer as watch } from '../../../operator/src/resilient-informer.js';
import { forwardApiServer } from './api-forwarder.js';
import { DnsRecords, resolvConfOf } from './dns-records.js';
import { ImageMap } from './image-map.js';
import { startLogServer } from './log-server.js';
import { MountPoints, removeMountPoints } from './mount-points.js';
import { NodeHeartbeat } from './node-registration.js';
import { PodNetwork, removeNetworkLeftovers } from './pod-network.js';
import { PodWorker } from './pod-worker.js';
import { LocalPathProvisioner } from './provisioner.js';

/** The nodes' address: the API server reaches the log endpoint there. */
const HOST_ADDRESS = '127.0.0.1';
/** How long a pod's containers get to stop when the agent itself stops. */
const STOP_GRACE_SECONDS = 3;

export interface NodeAgentOptions {
  readonly kubeconfig: string;
  readonly nodes: readonly string[];
  readonly network: BedNetwork;
  readonly directory: string;
  readonly registry: PidRegistry;
  readonly imageMapFile: string;
  readonly apiServer: { readonly host: string; readonly port: number };
  readonly clusterDomain: string;
  readonly kubeletServing: { readonly certFile: string; readonly keyFile: string; readonly clientCaFile: string };
}

export interface NodeAgent {
  stop(): Promise<void>;
}

export async function startNodeAgent(options: NodeAgentOptions): Promise<NodeAgent> {
  const log = (message: string) => console.log(`${new Date().toISOString()} node-agent: ${message}`);
  await mkdir(options.directory, { recursive: true });
  const config = new KubeConfig();
  config.loadFromFile(options.kubeconfig);
  const core = config.makeApiClient(CoreV1Api);
  const network = new PodNetwork(options.network);
  await network.createBridge();
  const closers: (() => Promise<void> | void)[] = [() => removeNetworkLeftovers(options.network), () => removeMountPoints(options.directory)];
  const stop = async () => {
    for (const close of closers.reverse()) await close();
  };
  try {
    const forwarder = await forwardApiServer(options.network.gatewayAddress, options.apiServer);
    closers.push(() => forwarder.close());
    const dns = new DnsRecords(options.clusterDomain);
    const workers = new Map<string, PodWorker>();
    const logServer = await startLogServer(options.kubeletServing, {
      logFileOf: (namespace, pod, container, previous) => [...workers.values()].find((worker) => worker.namespace === namespace && worker.name === pod)?.logFileOf(container, previous),
    });
    closers.push(() => closeServer(logServer.server));

    const heartbeat = new NodeHeartbeat(core, config, options.nodes.map((name, index) => ({ name, podCidr: options.network.podSubnet(index), hostAddress: HOST_ADDRESS, logPort: logServer.port })), log);
    await heartbeat.start();
    closers.push(() => heartbeat.stop());
    const provisioner = new LocalPathProvisioner(core, join(options.directory, 'volumes'), options.nodes, log);
    await provisioner.createStorageClass(config);

    const context = {
      core,
      network,
      images: new ImageMap(options.imageMapFile),
      registry: options.registry,
      mountPoints: new MountPoints(options.directory),
      apiServerForPods: { host: options.network.gatewayAddress, port: options.apiServer.port },
      directory: options.directory,
      hostAddress: HOST_ADDRESS,
      nodeIndexOf: (node: string) => options.nodes.indexOf(node),
      hostsFileOf: (pod: V1Pod, address: string) => dns.hostsFileOf(pod, address),
      resolvConfOf: (pod: V1Pod) => resolvConfOf(pod, options.clusterDomain),
      log,
    };
    closers.push(() => Promise.all([...workers.values()].map((worker) => worker.terminate(STOP_GRACE_SECONDS, false))).then(() => undefined));

    const podChanged = (pod: V1Pod) => {
      const uid = pod.metadata?.uid;
      if (uid === undefined || !options.nodes.includes(pod.spec?.nodeName ?? '')) return;
      let worker = workers.get(uid);
      if (worker === undefined) {
        if (pod.metadata?.deletionTimestamp !== undefined || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
        worker = new PodWorker(pod, context);
        workers.set(uid, worker);
        worker.start();
      }
      worker.update(pod);
    };
    const podDeleted = (pod: V1Pod) => {
      const uid = pod.metadata?.uid ?? '';
      const worker = workers.get(uid);
      if (worker === undefined) return;
      workers.delete(uid);
      // Deleted without a grace period (kubectl delete --force): stop its containers at once.
      void worker.terminate(STOP_GRACE_SECONDS, false);
    };
    const discovery = config.makeApiClient(DiscoveryV1Api);
    const informers = [
      watch(config, '/api/v1/pods', () => core.listPodForAllNamespaces(), { change: podChanged, deleted: podDeleted }, log),
      watch(config, '/apis/discovery.k8s.io/v1/endpointslices', () => discovery.listEndpointSliceForAllNamespaces(), {
        change: (slice) => dns.update(slice, false) && refreshAllHosts(workers),
        deleted: (slice) => dns.update(slice, true) && refreshAllHosts(workers),
      }, log),
      watch(config, '/api/v1/persistentvolumeclaims', () => core.listPersistentVolumeClaimForAllNamespaces(), { change: (claim) => void provisioner.claimChanged(claim).catch((error: unknown) => log(`provisioning failed: ${String(error)}`)) }, log),
      watch(config, '/api/v1/persistentvolumes', () => core.listPersistentVolume(), { change: (volume) => void provisioner.volumeChanged(volume).catch((error: unknown) => log(`volume deletion failed: ${String(error)}`)) }, log),
    ];
    closers.push(() => Promise.all(informers.map((informer) => informer.stop())).then(() => undefined));
    await Promise.all(informers.map((informer) => informer.start()));
    log(`serving nodes ${options.nodes.join(', ')}; pods reach the API server at ${options.network.gatewayAddress}:${options.apiServer.port}; logs on ${HOST_ADDRESS}:${logServer.port}`);
    return { stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Removes what a killed agent left behind, from the network's names and its directory alone; idempotent. */
export async function removeNodeAgentLeftovers(network: BedNetwork, directory: string): Promise<void> {
  await removeNetworkLeftovers(network);
  removeMountPoints(directory);
}

function refreshAllHosts(workers: ReadonlyMap<string, PodWorker>): void {
  for (const worker of workers.values()) void worker.refreshHosts();
}

function closeServer(server: Server): Promise<void> {
  // A `kubectl logs -f` still streaming would hold the close open.
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
