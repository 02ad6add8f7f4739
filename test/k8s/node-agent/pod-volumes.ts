// A pod's volumes as host directories: emptyDir under the pod's directory; ConfigMap, Secret,
// projected (ServiceAccount token, ConfigMap, Secret, downward API) and downward API volumes
// written in the kubelet's atomic layout and kept current while the pod runs; hostPath as is;
// and a PersistentVolumeClaim as its bound volume's directory, which outlives the pod.

import type { CoreV1Api, V1KeyToPath, V1Pod, V1Volume } from '@kubernetes/client-node';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAtomically, type VolumeFile } from './atomic-writer.js';
import { isNotFound, MissingSourceError } from './container-env.js';
import { fieldValueOf } from './pod-fields.js';

const DEFAULT_MODE = 0o644;
const DEFAULT_TOKEN_SECONDS = 3_600;

/** Not ready yet (an unbound claim): the pod waits and tries again. */
export class VolumeNotReadyError extends Error {}

interface Token {
  readonly value: string;
  readonly refreshAtMs: number;
}

export class PodVolumes {
  /** Host directory of each volume, by name. */
  readonly paths = new Map<string, string>();
  private readonly fingerprints = new Map<string, string>();
  private readonly tokens = new Map<string, Token>();

  constructor(private readonly core: CoreV1Api, private readonly podDirectory: string) {}

  /** Makes every volume of `pod`; throws VolumeNotReadyError or MissingSourceError when one cannot be made yet. */
  async prepare(pod: V1Pod): Promise<void> {
    for (const volume of pod.spec?.volumes ?? []) {
      this.paths.set(volume.name, await this.prepareOne(pod, volume));
    }
  }

  /** Rewrites the volumes whose sources changed (ConfigMaps, Secrets, tokens near expiry). */
  async refresh(pod: V1Pod): Promise<void> {
    for (const volume of pod.spec?.volumes ?? []) {
      if (volume.configMap ?? volume.secret ?? volume.projected ?? volume.downwardAPI) await this.prepareOne(pod, volume).catch(() => undefined);
    }
  }

  private async prepareOne(pod: V1Pod, volume: V1Volume): Promise<string> {
    const directory = join(this.podDirectory, 'volumes', volume.name);
    if (volume.persistentVolumeClaim !== undefined) return this.claimPath(pod, volume.persistentVolumeClaim.claimName);
    if (volume.hostPath !== undefined) {
      if (volume.hostPath.type === 'DirectoryOrCreate') await mkdir(volume.hostPath.path, { recursive: true });
      return volume.hostPath.path;
    }
    if (volume.emptyDir !== undefined) {
      await mkdir(directory, { recursive: true });
      return directory;
    }
    const files = await this.filesOf(pod, volume);
    if (files === undefined) throw new Error(`volume ${volume.name} is of a kind the test bed does not support`);
    this.fingerprints.set(volume.name, await writeAtomically(directory, files, this.fingerprints.get(volume.name)));
    return directory;
  }

  private async filesOf(pod: V1Pod, volume: V1Volume): Promise<VolumeFile[] | undefined> {
    const namespace = pod.metadata?.namespace ?? 'default';
    if (volume.configMap !== undefined) {
      const { name, items, optional, defaultMode } = volume.configMap;
      return keyFiles(await this.configMapData(namespace, name, optional), items, defaultMode, optional, `ConfigMap ${name}`);
    }
    if (volume.secret !== undefined) {
      const { secretName, items, optional, defaultMode } = volume.secret;
      return keyFiles(await this.secretData(namespace, secretName, optional), items, defaultMode, optional, `Secret ${secretName}`);
    }
    if (volume.downwardAPI !== undefined) return downwardFiles(pod, volume.downwardAPI.items ?? [], volume.downwardAPI.defaultMode);
    if (volume.projected === undefined) return undefined;
    const files: VolumeFile[] = [];
    const mode = volume.projected.defaultMode;
    for (const source of volume.projected.sources ?? []) {
      if (source.serviceAccountToken !== undefined) {
        const token = await this.token(pod, source.serviceAccountToken.audience, source.serviceAccountToken.expirationSeconds);
        files.push({ path: source.serviceAccountToken.path, content: Buffer.from(token), mode: mode ?? DEFAULT_MODE });
      } else if (source.configMap !== undefined) {
        const { name, items, optional } = source.configMap;
        files.push(...keyFiles(await this.configMapData(namespace, name, optional), items, mode, optional, `ConfigMap ${name}`));
      } else if (source.secret !== undefined) {
        const { name, items, optional } = source.secret;
        files.push(...keyFiles(await this.secretData(namespace, name, optional), items, mode, optional, `Secret ${name}`));
      } else if (source.downwardAPI !== undefined) {
        files.push(...downwardFiles(pod, source.downwardAPI.items ?? [], mode));
      }
    }
    return files;
  }

  /** A token bound to the pod, from the TokenRequest API, renewed once 80 % of its life has passed. */
  private async token(pod: V1Pod, audience: string | undefined, expirationSeconds: number | undefined): Promise<string> {
    const key = `${audience ?? ''}/${expirationSeconds ?? ''}`;
    const cached = this.tokens.get(key);
    if (cached !== undefined && Date.now() < cached.refreshAtMs) return cached.value;
    const seconds = expirationSeconds ?? DEFAULT_TOKEN_SECONDS;
    const request = await this.core.createNamespacedServiceAccountToken({
      name: pod.spec?.serviceAccountName ?? 'default',
      namespace: pod.metadata?.namespace ?? 'default',
      body: {
        spec: {
          audiences: audience === undefined ? [] : [audience],
          expirationSeconds: seconds,
          boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: pod.metadata?.name, uid: pod.metadata?.uid },
        },
      },
    });
    const value = request.status?.token ?? '';
    this.tokens.set(key, { value, refreshAtMs: Date.now() + seconds * 800 });
    return value;
  }

  private async claimPath(pod: V1Pod, claimName: string): Promise<string> {
    const namespace = pod.metadata?.namespace ?? 'default';
    const claim = await this.core.readNamespacedPersistentVolumeClaim({ name: claimName, namespace }).catch((error: unknown) => {
      if (isNotFound(error)) throw new VolumeNotReadyError(`persistentvolumeclaim "${claimName}" not found`);
      throw error;
    });
    const volumeName = claim.spec?.volumeName;
    if (claim.status?.phase !== 'Bound' || volumeName === undefined) throw new VolumeNotReadyError(`persistentvolumeclaim "${claimName}" is not bound yet`);
    const volume = await this.core.readPersistentVolume({ name: volumeName });
    const path = volume.spec?.local?.path ?? volume.spec?.hostPath?.path;
    if (path === undefined) throw new Error(`persistent volume ${volumeName} is neither local nor hostPath`);
    await mkdir(path, { recursive: true });
    return path;
  }

  private async configMapData(namespace: string, name: string | undefined, optional: boolean | undefined): Promise<Record<string, Buffer> | undefined> {
    try {
      const map = await this.core.readNamespacedConfigMap({ name: name ?? '', namespace });
      return {
        ...Object.fromEntries(Object.entries(map.data ?? {}).map(([key, value]) => [key, Buffer.from(value)])),
        ...Object.fromEntries(Object.entries(map.binaryData ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
      };
    } catch (error) {
      if (isNotFound(error) && optional === true) return undefined;
      if (isNotFound(error)) throw new MissingSourceError(`configmap "${name}" not found`);
      throw error;
    }
  }

  private async secretData(namespace: string, name: string | undefined, optional: boolean | undefined): Promise<Record<string, Buffer> | undefined> {
    try {
      const secret = await this.core.readNamespacedSecret({ name: name ?? '', namespace });
      return Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]));
    } catch (error) {
      if (isNotFound(error) && optional === true) return undefined;
      if (isNotFound(error)) throw new MissingSourceError(`secret "${name}" not found`);
      throw error;
    }
  }
}

function keyFiles(data: Record<string, Buffer> | undefined, items: readonly V1KeyToPath[] | undefined, defaultMode: number | undefined, optional: boolean | undefined, source: string): VolumeFile[] {
  if (data === undefined) return [];
  if (items === undefined || items.length === 0) {
    return Object.entries(data).map(([key, content]) => ({ path: key, content, mode: defaultMode ?? DEFAULT_MODE }));
  }
  return items.flatMap((item) => {
    const content = data[item.key];
    if (content === undefined) {
      if (optional === true) return [];
      throw new MissingSourceError(`${source} has no key ${item.key}`);
    }
    return [{ path: item.path, content, mode: item.mode ?? defaultMode ?? DEFAULT_MODE }];
  });
}

function downwardFiles(pod: V1Pod, items: readonly { path: string; fieldRef?: { fieldPath: string }; mode?: number }[], defaultMode: number | undefined): VolumeFile[] {
  return items.map((item) => {
    if (item.fieldRef === undefined) throw new Error(`downward API file ${item.path}: the test bed supports fieldRef items only`);
    return { path: item.path, content: Buffer.from(fieldValueOf(pod, item.fieldRef.fieldPath)), mode: item.mode ?? defaultMode ?? DEFAULT_MODE };
  });
}
