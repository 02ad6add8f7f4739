// A local-path style provisioner: the bed's default StorageClass binds on first consumer, so
// the scheduler picks the node first; a claim handed to this provisioner then gets a `local`
// PersistentVolume on that node, a directory under the agent's volumes/ that outlives every pod
// using it. A released volume of ours with reclaim policy Delete is deleted with its directory.
// A bound claim asked for more is grown as a CSI driver with online expansion would grow it: the
// volume's capacity, then the claim's. A directory has no size, so only the numbers change.

import { PatchStrategy, setHeaderOptions, StorageV1Api, type CoreV1Api, type KubeConfig, type V1PersistentVolume, type V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesOf } from '../../../operator/src/quantity.js';

export const STORAGE_CLASS = 'local-path';
export const PROVISIONER = 'beaver-vault.io/local-path';
const PROVISIONER_ANNOTATIONS = ['volume.kubernetes.io/storage-provisioner', 'volume.beta.kubernetes.io/storage-provisioner'];
const SELECTED_NODE = 'volume.kubernetes.io/selected-node';

export class LocalPathProvisioner {
  constructor(private readonly core: CoreV1Api, private readonly volumesDirectory: string, private readonly nodes: readonly string[], private readonly log: (message: string) => void) {}

  async createStorageClass(config: KubeConfig): Promise<void> {
    const storage = config.makeApiClient(StorageV1Api);
    await storage.createStorageClass({
      body: {
        metadata: { name: STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
        provisioner: PROVISIONER,
        volumeBindingMode: 'WaitForFirstConsumer',
        reclaimPolicy: 'Delete',
        allowVolumeExpansion: true,
      },
    }).catch((error: unknown) => {
      if ((error as { code?: number }).code !== 409) throw error;
    });
  }

  /** A claim changed: provision a volume for it if it is ours, waiting for a node, and has none; grow its volume if it asks for more. */
  async claimChanged(claim: V1PersistentVolumeClaim): Promise<void> {
    const annotations = claim.metadata?.annotations ?? {};
    if (!PROVISIONER_ANNOTATIONS.some((key) => annotations[key] === PROVISIONER)) return;
    if (claim.spec?.volumeName !== undefined && claim.spec.volumeName !== '') {
      await this.growIfAsked(claim, claim.spec.volumeName);
      return;
    }
    if (claim.metadata?.deletionTimestamp !== undefined) return;
    const node = annotations[SELECTED_NODE];
    if (node === undefined || !this.nodes.includes(node)) return;
    const name = `pvc-${claim.metadata?.uid}`;
    const path = join(this.volumesDirectory, name);
    await mkdir(path, { recursive: true });
    const volume: V1PersistentVolume = {
      metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': PROVISIONER } },
      spec: {
        capacity: { storage: claim.spec?.resources?.requests?.storage ?? '1Gi' },
        accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Delete',
        storageClassName: claim.spec?.storageClassName ?? STORAGE_CLASS,
        volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
        local: { path },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
        claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata?.namespace, name: claim.metadata?.name, uid: claim.metadata?.uid },
      },
    };
    await this.core.createPersistentVolume({ body: volume }).catch((error: unknown) => {
      if ((error as { code?: number }).code !== 409) throw error;
    });
    this.log(`provisioned ${name} at ${path} for ${claim.metadata?.namespace}/${claim.metadata?.name} on ${node}`);
  }

  private async growIfAsked(claim: V1PersistentVolumeClaim, volumeName: string): Promise<void> {
    const requested = claim.spec?.resources?.requests?.storage;
    const capacity = claim.status?.capacity?.storage;
    if (requested === undefined || capacity === undefined || claim.status?.phase !== 'Bound' || bytesOf(requested) <= bytesOf(capacity)) return;
    await this.core.patchPersistentVolume({ name: volumeName, body: { spec: { capacity: { storage: requested } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const namespace = claim.metadata?.namespace ?? '';
    const name = claim.metadata?.name ?? '';
    await this.core.patchNamespacedPersistentVolumeClaimStatus({ namespace, name, body: { status: { capacity: { storage: requested } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    this.log(`grew ${volumeName} of ${namespace}/${name} from ${capacity} to ${requested}`);
  }

  /** A volume changed: delete it and its directory once released, if it is ours to delete. */
  async volumeChanged(volume: V1PersistentVolume): Promise<void> {
    if (volume.metadata?.annotations?.['pv.kubernetes.io/provisioned-by'] !== PROVISIONER) return;
    if (volume.status?.phase !== 'Released' || volume.spec?.persistentVolumeReclaimPolicy !== 'Delete') return;
    const path = volume.spec.local?.path;
    if (path !== undefined && path.startsWith(this.volumesDirectory)) await rm(path, { recursive: true, force: true });
    await this.core.deletePersistentVolume({ name: volume.metadata.name ?? '' }).catch((error: unknown) => {
      if ((error as { code?: number }).code !== 404) throw error;
    });
    this.log(`deleted released volume ${volume.metadata.name}`);
  }
}
