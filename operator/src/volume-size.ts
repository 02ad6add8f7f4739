// Growing the members' volumes when spec.storage.size grows: each member's claim is asked for
// the new size, and the storage driver grows the volume (online, as CSI drivers that support
// expansion do). The CRD refuses a smaller size; the API server refuses growth when the storage
// class does not allow expansion, which is reported, not retried in a loop of Events (an Event
// repeats only when its message changes). New members' claims are made at the new size.

import { ApiException, type CoreV1Api, type V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { KVCluster } from './kvcluster.js';
import { mergePatch } from './merge-patch.js';
import { bytesOf } from './quantity.js';

export interface VolumeGrowth {
  readonly member: string;
  /** What was done, or why the API server refused it. */
  readonly message: string;
  readonly refused: boolean;
}

/** Asks every member claim smaller than spec.storage.size for that size; one entry per claim asked. */
export async function growVolumes(core: CoreV1Api, cluster: KVCluster, claims: readonly V1PersistentVolumeClaim[]): Promise<VolumeGrowth[]> {
  const wanted = cluster.spec.storage.size;
  const growths: VolumeGrowth[] = [];
  for (const claim of claims) {
    const member = claim.metadata?.name ?? '';
    const requested = claim.spec?.resources?.requests?.storage;
    if (requested === undefined || bytesOf(requested) >= bytesOf(wanted)) continue;
    try {
      await core.patchNamespacedPersistentVolumeClaim({ namespace: cluster.metadata.namespace, name: member, body: { spec: { resources: { requests: { storage: String(wanted) } } } } }, mergePatch());
      growths.push({ member, refused: false, message: `asked for the volume of member ${member} to grow from ${requested} to ${wanted}` });
    } catch (error) {
      if (!(error instanceof ApiException) || (error.code !== 403 && error.code !== 422)) throw error;
      growths.push({ member, refused: true, message: `the volume of member ${member} cannot grow from ${requested} to ${wanted}: ${refusalOf(error)}` });
    }
  }
  return growths;
}

function refusalOf(error: ApiException<unknown>): string {
  try {
    return (JSON.parse(String(error.body)) as { message?: string }).message ?? String(error.body);
  } catch {
    return String(error.body);
  }
}
