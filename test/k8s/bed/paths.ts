// Where the test bed's binaries and files are. The Kubernetes version is pinned in one place,
// test/k8s/kubernetes-version, which build-control-plane.sh reads too.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const K8S_DIRECTORY = resolve(import.meta.dirname, '..');
export const REPOSITORY_ROOT = resolve(K8S_DIRECTORY, '../..');
export const KUBERNETES_VERSION = readFileSync(join(K8S_DIRECTORY, 'kubernetes-version'), 'utf8').trim();

/** The cache shared by every clone on the machine: built once, reused by CI's fresh clone. */
export const CACHE_DIRECTORY = process.env.BVAULT_CACHE ?? join(homedir(), '.cache', 'beaver-vault');
const KUBERNETES_BIN = join(CACHE_DIRECTORY, 'kubernetes', KUBERNETES_VERSION, 'bin');

export const BINARIES = {
  kubeApiserver: join(KUBERNETES_BIN, 'kube-apiserver'),
  kubeControllerManager: join(KUBERNETES_BIN, 'kube-controller-manager'),
  kubeScheduler: join(KUBERNETES_BIN, 'kube-scheduler'),
  kubectl: join(KUBERNETES_BIN, 'kubectl'),
  /** Debian's etcd-server, installed by ensure-bed-tools.sh. */
  etcd: '/usr/bin/etcd',
} as const;

/** Where `npm run k8s:up` keeps its bed, so that `npm run k8s:down` and kubectl find it. */
export const DEFAULT_BED_DIRECTORY = join(REPOSITORY_ROOT, 'data', 'k8s');

/** The supervisor's state file inside a bed directory. */
export function stateFileOf(directory: string): string {
  return join(directory, 'state.json');
}
