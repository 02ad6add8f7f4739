// The Node objects the agent serves: registered Ready with room for many pods, their Lease in
// kube-node-lease renewed and their status refreshed every 10 s — what the node lifecycle
// controller watches before it marks a node NotReady and evicts its pods.

import { CoordinationV1Api, V1MicroTime, type CoreV1Api, type V1Node } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { KUBERNETES_VERSION } from '../bed/paths.js';

const HEARTBEAT_MS = 10_000;
const LEASE_SECONDS = 40;

export interface NodeIdentity {
  readonly name: string;
  readonly podCidr: string;
  readonly hostAddress: string;
  readonly logPort: number;
}

export class NodeHeartbeat {
  private timer?: NodeJS.Timeout;
  private readonly leases: CoordinationV1Api;

  constructor(private readonly core: CoreV1Api, config: KubeConfig, private readonly nodes: readonly NodeIdentity[], private readonly log: (message: string) => void) {
    this.leases = config.makeApiClient(CoordinationV1Api);
  }

  async start(): Promise<void> {
    for (const node of this.nodes) {
      await this.core.deleteNode({ name: node.name }).catch(() => undefined);
      await this.core.createNode({ body: { metadata: { name: node.name, labels: labelsOf(node.name) }, spec: { podCIDR: node.podCidr, podCIDRs: [node.podCidr] } } });
    }
    await this.beat();
    this.timer = setInterval(() => void this.beat().catch((error: unknown) => this.log(`node heartbeat failed: ${String(error)}`)), HEARTBEAT_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async beat(): Promise<void> {
    for (const node of this.nodes) {
      const current = await this.core.readNodeStatus({ name: node.name });
      current.status = statusOf(node, current);
      await this.core.replaceNodeStatus({ name: node.name, body: current });
      await this.renewLease(node.name, current.metadata?.uid ?? '');
    }
  }

  private async renewLease(name: string, nodeUid: string): Promise<void> {
    // A Lease's renewTime is a MicroTime: the API server refuses it with milliseconds only.
    const spec = { holderIdentity: name, leaseDurationSeconds: LEASE_SECONDS, renewTime: new V1MicroTime() };
    try {
      const lease = await this.leases.readNamespacedLease({ name, namespace: 'kube-node-lease' });
      lease.spec = { ...lease.spec, ...spec };
      await this.leases.replaceNamespacedLease({ name, namespace: 'kube-node-lease', body: lease });
    } catch (error) {
      if ((error as { code?: number }).code !== 404) throw error;
      await this.leases.createNamespacedLease({
        namespace: 'kube-node-lease',
        body: { metadata: { name, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: nodeUid }] }, spec },
      });
    }
  }
}

function labelsOf(name: string): Record<string, string> {
  return { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'beaver-vault.io/test-bed-node': 'true' };
}

function statusOf(node: NodeIdentity, current: V1Node): V1Node['status'] {
  const now = new Date();
  const previous = current.status?.conditions ?? [];
  const condition = (type: string, status: 'True' | 'False', reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: previous.find((entry) => entry.type === type && entry.status === status)?.lastTransitionTime ?? now,
  });
  const resources = { cpu: '8', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  return {
    capacity: resources,
    allocatable: resources,
    conditions: [
      condition('Ready', 'True', 'KubeletReady', 'the test bed node agent is running pods'),
      condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'no memory pressure'),
      condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'no disk pressure'),
      condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'no PID pressure'),
    ],
    addresses: [{ type: 'InternalIP', address: node.hostAddress }, { type: 'Hostname', address: node.name }],
    daemonEndpoints: { kubeletEndpoint: { Port: node.logPort } },
    nodeInfo: {
      machineID: node.name,
      systemUUID: node.name,
      bootID: node.name,
      kernelVersion: process.version,
      osImage: 'Beaver-Vault test bed',
      containerRuntimeVersion: 'bvault-processes://1',
      kubeletVersion: KUBERNETES_VERSION,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
  };
}
