// The operator as a test runs it: the real `bvault operator` in its own node process on
// the test bed's kubeconfig, its JSON log lines read as they come (to act at a given step), and
// helpers to read a KVCluster and its member pods and to reach the members' REST APIs.

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { waitFor } from '../cluster/cluster-harness.js';
import type { Bed } from '../k8s/bed/bed.js';
import { REPOSITORY_ROOT } from '../k8s/bed/paths.js';
import type { KVCluster } from '../../operator/src/kvcluster.js';
import { requestText, type RequestAnswer } from '../../src/tls/https-request.js';

export interface OperatorLine {
  readonly msg: string;
  readonly step?: string;
  readonly detail?: string;
  readonly [field: string]: unknown;
}

/** A short Lease, so that an operator killed by a test is replaced within seconds. */
const TEST_LEASE_SECONDS = 3;

export class OperatorProcess {
  readonly lines: OperatorLine[] = [];
  private readonly child: ChildProcess;
  /** Resolves once the process has ended. */
  readonly exited: Promise<void>;
  private readonly listeners = new Set<(line: OperatorLine) => void>();

  constructor(bed: Bed, logFile: string, extraArgs: readonly string[] = []) {
    mkdirSync(dirname(logFile), { recursive: true });
    const log: WriteStream = createWriteStream(logFile, { flags: 'a' });
    // node itself, not npx: the pid the test kills is the operator's.
    this.child = spawn(process.execPath, [
      '--import', 'tsx', join(REPOSITORY_ROOT, 'src', 'cli', 'main.ts'), 'operator',
      '--kubeconfig', bed.kubeconfig,
      '--metrics-address', '127.0.0.1:0',
      '--lease-namespace', 'default',
      '--lease-duration', String(TEST_LEASE_SECONDS),
      ...extraArgs,
    ], { cwd: REPOSITORY_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.stderr?.pipe(log, { end: false });
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      log.write(`${text}\n`);
      let line: OperatorLine;
      try {
        line = JSON.parse(text) as OperatorLine;
      } catch {
        return;
      }
      this.lines.push(line);
      for (const listener of this.listeners) listener(line);
    });
    void this.exited.then(() => log.end());
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  hasExited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Calls `listener` with every line from now on, until it returns true. */
  onLine(listener: (line: OperatorLine) => boolean): void {
    const wrapped = (line: OperatorLine) => {
      if (listener(line)) this.listeners.delete(wrapped);
    };
    this.listeners.add(wrapped);
  }

  /** kill -9: the operator dies wherever it is, mid-call included. */
  async kill(): Promise<void> {
    if (!this.hasExited()) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, as Kubernetes stops a pod; SIGKILL if it has not ended within 10 s. */
  async stop(): Promise<void> {
    if (this.hasExited()) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

export function kvclusterManifest(namespace: string, name: string, spec: string): string {
  return `apiVersion: kv.beavervault.io/v1alpha1\nkind: KVCluster\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nspec:\n${spec}\n`;
}

export async function readCluster(bed: Bed, namespace: string, name: string): Promise<KVCluster> {
  return JSON.parse(await bed.kubectl(['get', 'kvc', name, '--namespace', namespace, '-o', 'json'])) as KVCluster;
}

/** Waits until the KVCluster's status satisfies `settled` for the current generation. */
export async function waitForCluster(bed: Bed, namespace: string, name: string, what: string, timeoutMs: number, settled: (cluster: KVCluster) => boolean): Promise<KVCluster> {
  return waitFor(what, timeoutMs, async () => {
    const cluster = await readCluster(bed, namespace, name);
    return cluster.status?.observedGeneration === cluster.metadata.generation && settled(cluster) ? cluster : undefined;
  });
}

/** Running with `replicas` ready voters, no learner, every member on `version`. */
export function isRunningWith(replicas: number, version = '0.1.0'): (cluster: KVCluster) => boolean {
  return (cluster) => {
    const { status } = cluster;
    const members = status?.members ?? [];
    return status?.phase === 'Running' && status.replicas === replicas && status.readyMembers === replicas && members.length === replicas
      && members.every((member) => member.role !== 'learner' && member.ready && member.version === version);
  };
}

export async function memberPods(bed: Bed, namespace: string, cluster: string): Promise<V1Pod[]> {
  const list = await bed.core().listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/instance=${cluster},kv.beavervault.io/member` });
  return list.items;
}

/** The REST base URL of each member pod that has an address, by member name. */
export async function memberUrls(bed: Bed, namespace: string, cluster: string): Promise<Map<string, string>> {
  const pods = await memberPods(bed, namespace, cluster);
  return new Map(pods.filter((pod) => pod.status?.podIP !== undefined && pod.metadata?.deletionTimestamp === undefined).map((pod) => [pod.metadata?.name ?? '', `http://${pod.status?.podIP}:8000`]));
}

/** The names of a namespace's objects of `kind` (pods, pvc, ...) that belong to the cluster's members. */
export async function memberObjectNames(bed: Bed, namespace: string, cluster: string, kind: string): Promise<string[]> {
  const output = await bed.kubectl(['get', kind, '--namespace', namespace, '-l', `app.kubernetes.io/instance=${cluster},kv.beavervault.io/member`, '-o', 'jsonpath={.items[*].metadata.name}']);
  return output.trim().split(/\s+/).filter((name) => name !== '').sort();
}

/** A member pod that has an address. */
export interface MemberAddress {
  readonly name: string;
  readonly address: string;
}

export async function memberAddresses(bed: Bed, namespace: string, cluster: string): Promise<MemberAddress[]> {
  return (await memberPods(bed, namespace, cluster))
    .map((pod) => ({ name: pod.metadata?.name ?? '', address: pod.status?.podIP ?? '' }))
    .filter((pod) => pod.address !== '');
}

/** One key of a Secret, decoded. */
export async function secretText(bed: Bed, namespace: string, name: string, key: string): Promise<string> {
  const encoded = await bed.kubectl(['get', 'secret', name, '--namespace', namespace, '-o', `jsonpath={.data.${key.replace('.', '\\.')}}`]);
  return Buffer.from(encoded.trim(), 'base64').toString('utf8');
}

/**
 * A call to a member's REST API over HTTPS at its pod's address, checked against `caPem` and the
 * member's DNS name, as the user of `token` when one is given.
 */
export async function callOverTls(member: MemberAddress, where: { namespace: string; cluster: string }, caPem: string, method: string, path: string, options: { body?: string | object; token?: string } = {}): Promise<RequestAnswer> {
  const json = typeof options.body === 'object';
  return requestText(`https://${member.address}:8000${path}`, {
    method,
    timeoutMs: 5_000,
    tls: { ca: Buffer.from(caPem) },
    servername: `${member.name}.${where.cluster}-peers.${where.namespace}.svc`,
    headers: {
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...(json ? { 'content-type': 'application/json' } : {}),
    },
    ...(options.body === undefined ? {} : { body: json ? JSON.stringify(options.body) : options.body as string }),
  });
}
