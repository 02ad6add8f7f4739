// Events on a KVCluster: one for every step taken, a Warning for a halt or a failed step. A pass
// that decides the same thing again (a halt lasts many passes) does not repeat its Event.

import type { CoreV1Api } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { FIELD_MANAGER, GROUP, KIND, VERSION, type KVCluster } from './kvcluster.js';

export type EventType = 'Normal' | 'Warning';

export class EventRecorder {
  private readonly lastByCluster = new Map<string, string>();

  constructor(private readonly core: CoreV1Api) {}

  /** Records the Event; false when it repeats the cluster's last one and was left out. */
  async record(cluster: KVCluster, type: EventType, reason: string, message: string): Promise<boolean> {
    const key = cluster.metadata.uid;
    const fingerprint = `${type} ${reason} ${message}`;
    if (this.lastByCluster.get(key) === fingerprint) return false;
    this.lastByCluster.set(key, fingerprint);
    const now = new Date();
    await this.core.createNamespacedEvent({
      namespace: cluster.metadata.namespace,
      body: {
        metadata: { name: `${cluster.metadata.name}.${randomBytes(8).toString('hex')}`, namespace: cluster.metadata.namespace },
        involvedObject: { apiVersion: `${GROUP}/${VERSION}`, kind: KIND, name: cluster.metadata.name, namespace: cluster.metadata.namespace, uid: cluster.metadata.uid },
        type,
        reason,
        message,
        source: { component: FIELD_MANAGER },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
    return true;
  }

  forget(cluster: KVCluster): void {
    this.lastByCluster.delete(cluster.metadata.uid);
  }
}
