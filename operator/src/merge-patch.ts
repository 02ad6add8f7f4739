// Writes to a KVCluster's status subresource as JSON merge patches: a pass writes what it
// observed, a backup its result and a restore its record, each only its own fields, so none
// overwrites another's (lastBackup and restoredFrom are never in a pass's patch).

import { PatchStrategy, setHeaderOptions, type CustomObjectsApi } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type KVCluster } from './kvcluster.js';

/** The options of a JSON merge patch, which client-node's typed patch calls do not send by default. */
export function mergePatch(): ReturnType<typeof setHeaderOptions> {
  return setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
}

/** Merges `status` into the cluster's status; a field set to null is removed. */
export async function patchStatus(customObjects: CustomObjectsApi, cluster: KVCluster, status: Record<string, unknown>): Promise<void> {
  await customObjects.patchNamespacedCustomObjectStatus(
    { group: GROUP, version: VERSION, namespace: cluster.metadata.namespace, plural: PLURAL, name: cluster.metadata.name, body: { status } },
    mergePatch(),
  );
}
