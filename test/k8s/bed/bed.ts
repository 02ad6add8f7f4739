// The test bed as tests use it: startBed() brings up a private bed (its own directory, network
// slot and processes, all owned by a detached supervisor that dies with the test runner) and
// resolves once pods can run; stop() tears it down and waits until everything is gone.

import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readBedState, type BedState } from './bed-state.js';
import { startStoreCluster } from './beaver-vault-store.js';
import type { ExternalStorage } from './control-plane.js';
import { clearLeftovers } from './leftovers.js';
import { networkOfSlot, type BedNetwork } from './network-slot.js';
import { BINARIES, K8S_DIRECTORY } from './paths.js';
import { isAlive } from './processes.js';

const START_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 90_000;
const KUBECTL_TIMEOUT_MS = 60_000;
const TSX_LOADER_URL = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface BedOptions {
  /** How many Node objects the node agent serves (node-1, node-2, ...); 0 runs no agent, for tests of the API alone. */
  readonly nodes?: number;
  /** etcd-compatible servers for the API server's objects (a Beaver-Vault cluster); the bed's own etcd otherwise. */
  readonly storage?: ExternalStorage;
  /** Flags added to the API server's, e.g. ['--etcd-compaction-interval=10s']. */
  readonly apiServerFlags?: readonly string[];
}

export interface Bed {
  readonly directory: string;
  readonly kubeconfig: string;
  readonly apiServerUrl: string;
  readonly network: BedNetwork;
  readonly nodes: readonly string[];
  /** Runs the bed's kubectl against it; rejects with kubectl's stderr when it fails. */
  kubectl(args: readonly string[], input?: string): Promise<string>;
  /** A client configuration for @kubernetes/client-node. */
  kubeConfig(): KubeConfig;
  core(): CoreV1Api;
  /** The end of a control-plane component's log (etcd, kube-apiserver, ...), for failure messages. */
  logTail(component: string, characters?: number): string;
  stop(): Promise<void>;
}

/**
 * With BVAULT_K8S_STORE=beaver-vault, a bed whose test names no storage runs its API server on a
 * three-member Beaver-Vault cluster of its own, stopped with the bed: how any test (the
 * operator's, say) runs on Kubernetes on Beaver-Vault.
 */
export async function startBed(options: BedOptions = {}): Promise<Bed> {
  const store = options.storage === undefined && process.env.BVAULT_K8S_STORE === 'beaver-vault' ? await startStoreCluster({ tls: false }) : undefined;
  const directory = await mkdtemp(join(tmpdir(), 'bvault-k8s-'));
  const flags = ['--owner-pid', String(process.pid), '--temporary'];
  const storage = options.storage ?? store?.storage;
  if (storage !== undefined) flags.push('--storage', JSON.stringify(storage));
  for (const flag of options.apiServerFlags ?? []) flags.push(`--apiserver-flag=${flag}`);
  try {
    const bed = await launchBed(directory, options.nodes ?? 1, flags);
    if (store === undefined) return bed;
    return {
      ...bed,
      stop: async () => {
        await bed.stop();
        await store.cluster.destroy();
      },
    };
  } catch (error) {
    await store?.cluster.destroy();
    throw error;
  }
}

/** Starts a supervisor for a bed in `directory` and waits until pods can run; a bed that fails to start is torn down. */
export async function launchBed(directory: string, nodes: number, supervisorFlags: readonly string[] = []): Promise<Bed> {
  await mkdir(directory, { recursive: true });
  const supervisorLog = openSync(join(directory, 'supervisor.log'), 'a');
  const supervisor = spawn(process.execPath, [
    '--import', TSX_LOADER_URL, join(K8S_DIRECTORY, 'bed', 'supervisor.ts'),
    '--directory', directory, '--nodes', String(nodes), ...supervisorFlags,
  ], { detached: true, stdio: ['ignore', supervisorLog, supervisorLog] });
  closeSync(supervisorLog);
  supervisor.unref();
  const pid = supervisor.pid;
  if (pid === undefined) throw new Error('could not start the test bed supervisor');
  const stop = () => stopSupervisor(pid, directory);
  try {
    const state = await waitUntilReady(pid, directory);
    return attach(state, stop);
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The bed `npm run k8s:up` started in `directory`, for tools that use a running bed. */
export function attachToRunningBed(directory: string): Bed {
  const state = readBedState(directory);
  if (state?.phase !== 'ready' || !isAlive(state.supervisorPid)) throw new Error(`no running test bed in ${directory}; start one with npm run k8s:up`);
  return attach(state, () => stopSupervisor(state.supervisorPid, directory));
}

function attach(state: BedState, stop: () => Promise<void>): Bed {
  const { kubeconfig, apiServerUrl, slot, nodes } = state;
  if (kubeconfig === undefined || apiServerUrl === undefined || slot === undefined || nodes === undefined) throw new Error(`the bed in ${state.directory} has an incomplete state.json`);
  const kubeConfig = () => {
    const config = new KubeConfig();
    config.loadFromFile(kubeconfig);
    return config;
  };
  return {
    directory: state.directory,
    kubeconfig,
    apiServerUrl,
    network: networkOfSlot(slot),
    nodes,
    kubectl: (args, input) => kubectl(kubeconfig, args, input),
    kubeConfig,
    core: () => kubeConfig().makeApiClient(CoreV1Api),
    logTail: (component, characters = 4_000) => {
      try {
        return readFileSync(join(state.directory, 'logs', `${component}.log`), 'utf8').slice(-characters);
      } catch {
        return '';
      }
    },
    stop,
  };
}

export function kubectl(kubeconfig: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // The discovery cache goes beside the kubeconfig, not into the user's ~/.kube.
    const child = execFile(BINARIES.kubectl, ['--kubeconfig', kubeconfig, '--cache-dir', join(dirname(kubeconfig), 'kube-cache'), ...args], { timeout: KUBECTL_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`kubectl ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

async function waitUntilReady(pid: number, directory: string): Promise<BedState> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const state = readBedState(directory);
    if (state?.phase === 'ready') return state;
    if (state?.phase === 'failed' || !isAlive(pid)) {
      throw new Error(`the test bed did not start: ${state?.error ?? 'its supervisor died'}\n${supervisorLogTail(directory)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the test bed was not ready after ${START_TIMEOUT_MS} ms\n${supervisorLogTail(directory)}`);
}

function supervisorLogTail(directory: string): string {
  try {
    return readFileSync(join(directory, 'supervisor.log'), 'utf8').slice(-4_000);
  } catch {
    return '';
  }
}

/** SIGTERM to the supervisor, which stops the rest; if it does not finish in time, clear up by pid. */
export async function stopSupervisor(pid: number, directory: string): Promise<void> {
  const slot = readBedState(directory)?.slot;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (isAlive(pid)) {
    process.kill(pid, 'SIGKILL');
    if (slot !== undefined) await clearLeftovers(directory, slot);
  }
  await rm(directory, { recursive: true, force: true });
}
