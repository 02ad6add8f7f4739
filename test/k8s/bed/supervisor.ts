// One detached process per bed. It claims a network slot, starts etcd, the control plane and
// the node agent, writes state.json once pods can be scheduled and run, and tears everything
// down on SIGTERM or SIGINT, or as soon as the process that owns the bed (a test runner given by
// --owner-pid) is gone — so a test run that is killed leaves nothing behind.
//
//   node --import tsx test/k8s/bed/supervisor.ts --directory D --nodes 1 [--owner-pid P] [--temporary]
//     [--storage JSON] [--apiserver-flag F ...]
//
// --temporary: the bed directory is removed once everything has stopped (beds of tests).
// --storage: an ExternalStorage (control-plane.ts) as JSON; the API server stores its objects
// there and the bed starts no etcd of its own.

import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { waitFor } from '../../cluster/cluster-harness.js';
import { startNodeAgent, type NodeAgent } from '../node-agent/agent.js';
import { writeBedState, type BedState } from './bed-state.js';
import { startControlPlane, type ControlPlane, type ExternalStorage } from './control-plane.js';
import { agentDirectoryOf, clearLeftovers, etcdDataDirectoryOf, registryOf } from './leftovers.js';
import { claimSlot, networkOfSlot, type ClaimedSlot } from './network-slot.js';
import { K8S_DIRECTORY } from './paths.js';
import { createBedPki } from './pki.js';
import { isAlive } from './processes.js';

const READY_TIMEOUT_MS = 120_000;
const OWNER_POLL_MS = 1_000;

const { values } = parseArgs({
  options: {
    directory: { type: 'string' },
    nodes: { type: 'string', default: '1' },
    'owner-pid': { type: 'string' },
    temporary: { type: 'boolean', default: false },
    storage: { type: 'string' },
    'apiserver-flag': { type: 'string', multiple: true, default: [] },
  },
});
if (values.directory === undefined) throw new Error('supervisor: --directory is required');
const directory = values.directory;
const nodes = Array.from({ length: Number(values.nodes) }, (_, index) => `node-${index + 1}`);
const ownerPid = values['owner-pid'] === undefined ? undefined : Number(values['owner-pid']);
const storage = values.storage === undefined ? undefined : JSON.parse(values.storage) as ExternalStorage;

let slot: ClaimedSlot | undefined;
let controlPlane: ControlPlane | undefined;
let agent: NodeAgent | undefined;
let stopping: Promise<void> | undefined;
let state: BedState = { phase: 'starting', supervisorPid: process.pid, directory };

function log(message: string): void {
  console.log(`${new Date().toISOString()} supervisor: ${message}`);
}

function stop(reason: string): Promise<void> {
  stopping ??= (async () => {
    log(`stopping: ${reason}`);
    await agent?.stop().catch((error: unknown) => log(`node agent stop failed: ${String(error)}`));
    await controlPlane?.stop();
    if (slot !== undefined) {
      // Whatever did not stop above (a pod process the agent lost track of) goes by pid.
      await clearLeftovers(directory, slot.slot);
      slot.release();
    }
    if (state.phase !== 'failed') state = { ...state, phase: 'stopped' };
    writeBedState(state);
    log('stopped');
    if (values.temporary) await rm(directory, { recursive: true, force: true });
  })();
  return stopping;
}

async function start(): Promise<void> {
  await mkdir(directory, { recursive: true });
  writeBedState(state);
  slot = claimSlot(process.pid, directory);
  if (slot.staleDirectory !== undefined) {
    log(`clearing what a dead bed left in slot ${slot.slot} (${slot.staleDirectory})`);
    await clearLeftovers(slot.staleDirectory, slot.slot);
  }
  const network = networkOfSlot(slot.slot);
  state = { ...state, slot: slot.slot, nodes, gatewayAddress: network.gatewayAddress };
  writeBedState(state);

  const pki = await createBedPki(join(directory, 'pki'), network.gatewayAddress);
  const registry = registryOf(directory);
  await rm(etcdDataDirectoryOf(slot.slot), { recursive: true, force: true });
  controlPlane = await startControlPlane({
    directory,
    etcdDataDirectory: etcdDataDirectoryOf(slot.slot),
    pki,
    registry,
    advertiseAddress: network.gatewayAddress,
    storage,
    apiServerFlags: values['apiserver-flag'],
  });
  // A bed without nodes is the API alone: for tests of schemas, admission and rendering.
  if (nodes.length > 0) agent = await startNodeAgent({
    kubeconfig: controlPlane.kubeconfig,
    nodes,
    network,
    directory: agentDirectoryOf(directory),
    registry,
    imageMapFile: join(K8S_DIRECTORY, 'images.json'),
    apiServer: { host: '127.0.0.1', port: controlPlane.apiServerPort },
    clusterDomain: 'cluster.local',
    kubeletServing: { ...pki.kubeletServing, clientCaFile: pki.caFile },
  });
  await waitUntilPodsCanRun(controlPlane.kubeconfig);
  state = { ...state, phase: 'ready', apiServerUrl: controlPlane.apiServerUrl, kubeconfig: controlPlane.kubeconfig };
  writeBedState(state);
  log(`ready: ${controlPlane.apiServerUrl}, nodes ${nodes.join(', ')}`);
}

/** Pods are admitted once the default ServiceAccount exists, and scheduled once the nodes are Ready. */
async function waitUntilPodsCanRun(kubeconfigFile: string): Promise<void> {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigFile);
  const core = config.makeApiClient(CoreV1Api);
  await waitFor('the default ServiceAccount', READY_TIMEOUT_MS, async () => (await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' })) ?? undefined);
  if (nodes.length === 0) return;
  await waitFor(`nodes ${nodes.join(', ')} to be Ready`, READY_TIMEOUT_MS, async () => {
    const list = await core.listNode();
    const ready = list.items.filter((node) => node.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True'));
    return ready.length === nodes.length ? true : undefined;
  });
}

// A bug in the supervisor or the agent must still take the bed down, not leave it running.
process.on('uncaughtException', (error) => {
  log(`uncaught: ${error.stack ?? error.message}`);
  state = { ...state, phase: 'failed', error: error.message };
  void stop('an uncaught error').then(() => process.exit(1));
});
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.on(signal, () => void stop(signal).then(() => process.exit(0)));
}
if (ownerPid !== undefined) {
  const watchdog = setInterval(() => {
    if (isAlive(ownerPid)) return;
    clearInterval(watchdog);
    void stop(`its owner, pid ${ownerPid}, is gone`).then(() => process.exit(0));
  }, OWNER_POLL_MS);
}

start().catch(async (error: unknown) => {
  log(`failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  state = { ...state, phase: 'failed', error: error instanceof Error ? error.message : String(error) };
  await stop('start-up failed');
  process.exit(1);
});
