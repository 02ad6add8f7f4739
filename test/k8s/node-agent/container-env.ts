// A container's environment, as the kubelet builds it: the image's, then the API server's
// address (KUBERNETES_SERVICE_*), then envFrom, then env in order, each value expanded with
// $(NAME) from the variables before it ($$ escapes a $). The sources a container names must
// exist unless marked optional; a missing one is an error the pod reports.

import type { CoreV1Api, V1Container, V1EnvVar, V1Pod } from '@kubernetes/client-node';
import type { LocalImage } from './image-map.js';
import { fieldValueOf, resourceValueOf } from './pod-fields.js';

export class MissingSourceError extends Error {}

export interface EnvironmentContext {
  readonly core: CoreV1Api;
  readonly pod: V1Pod;
  readonly image: LocalImage;
  readonly apiServer: { readonly host: string; readonly port: number };
}

export async function environmentOf(container: V1Container, context: EnvironmentContext): Promise<Record<string, string>> {
  const { pod, image, apiServer } = context;
  const namespace = pod.metadata?.namespace ?? 'default';
  const environment: Record<string, string> = {
    PATH: [...image.path, process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'].join(':'),
    HOME: '/root',
    HOSTNAME: pod.spec?.hostname ?? pod.metadata?.name ?? '',
    ...image.env,
    KUBERNETES_SERVICE_HOST: apiServer.host,
    KUBERNETES_SERVICE_PORT: String(apiServer.port),
    KUBERNETES_SERVICE_PORT_HTTPS: String(apiServer.port),
    KUBERNETES_PORT: `tcp://${apiServer.host}:${apiServer.port}`,
  };
  const sources = new DataSources(context.core, namespace);
  for (const source of container.envFrom ?? []) {
    const reference = source.configMapRef ?? source.secretRef;
    if (reference === undefined) continue;
    const data = source.configMapRef !== undefined ? await sources.configMap(reference.name, reference.optional) : await sources.secret(reference.name, reference.optional);
    for (const [key, value] of Object.entries(data ?? {})) environment[`${source.prefix ?? ''}${key}`] = value;
  }
  for (const variable of container.env ?? []) {
    const value = await valueOf(variable, container, context, sources);
    if (value !== undefined) environment[variable.name] = expand(value, environment);
  }
  return environment;
}

async function valueOf(variable: V1EnvVar, container: V1Container, context: EnvironmentContext, sources: DataSources): Promise<string | undefined> {
  if (variable.valueFrom === undefined) return variable.value ?? '';
  const { fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef } = variable.valueFrom;
  if (fieldRef !== undefined) return fieldValueOf(context.pod, fieldRef.fieldPath);
  if (resourceFieldRef !== undefined) return resourceValueOf(container, resourceFieldRef.resource, resourceFieldRef.divisor);
  const keyRef = configMapKeyRef ?? secretKeyRef;
  if (keyRef === undefined) return undefined;
  const data = configMapKeyRef !== undefined ? await sources.configMap(keyRef.name, keyRef.optional) : await sources.secret(keyRef.name, keyRef.optional);
  const value = data?.[keyRef.key];
  if (value === undefined && keyRef.optional !== true) throw new MissingSourceError(`couldn't find key ${keyRef.key} in ${configMapKeyRef !== undefined ? 'ConfigMap' : 'Secret'} ${context.pod.metadata?.namespace}/${keyRef.name}`);
  return value;
}

/** Kubernetes's $(NAME) expansion: defined names are replaced, $$ is a literal $, the rest is kept as written. */
export function expand(text: string, environment: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) => {
    if (name === undefined) return '$';
    return environment[name] ?? whole;
  });
}

/** ConfigMaps and Secrets read once per container start, as text. */
class DataSources {
  private readonly cache = new Map<string, Record<string, string> | undefined>();

  constructor(private readonly core: CoreV1Api, private readonly namespace: string) {}

  async configMap(name: string | undefined, optional: boolean | undefined): Promise<Record<string, string> | undefined> {
    return this.read(`configmap/${name}`, optional, async () => {
      const map = await this.core.readNamespacedConfigMap({ name: name ?? '', namespace: this.namespace });
      return { ...(map.data ?? {}), ...Object.fromEntries(Object.entries(map.binaryData ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')])) };
    });
  }

  async secret(name: string | undefined, optional: boolean | undefined): Promise<Record<string, string> | undefined> {
    return this.read(`secret/${name}`, optional, async () => {
      const secret = await this.core.readNamespacedSecret({ name: name ?? '', namespace: this.namespace });
      return Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
    });
  }

  private async read(key: string, optional: boolean | undefined, load: () => Promise<Record<string, string>>): Promise<Record<string, string> | undefined> {
    if (this.cache.has(key)) return this.cache.get(key);
    let data: Record<string, string> | undefined;
    try {
      data = await load();
    } catch (error) {
      if (!isNotFound(error)) throw error;
      if (optional !== true) throw new MissingSourceError(`${key.replace('/', ' ')} not found in namespace ${this.namespace}`);
    }
    this.cache.set(key, data);
    return data;
  }
}

export function isNotFound(error: unknown): boolean {
  return (error as { code?: number }).code === 404;
}
