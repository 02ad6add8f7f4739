// What the tests of Kubernetes on Beaver-Vault (and its benchmark) ask of the API server:
// workloads of the host-shell image, their readiness, and ConfigMaps created as a client that
// retries does.

import { ApiException, type CoreV1Api } from '@kubernetes/client-node';
import type { Bed } from '../k8s/bed/bed.js';

const RETRY_PAUSE_MS = 200;

/** The selector and pod template of a workload whose pods sleep in the host-shell image. */
function sleepingPods(name: string): string {
  return `  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: main, image: host-shell, command: [sleep, "3600"]}]
`;
}

export function hostShellDeployment(namespace: string, name: string, replicas: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  replicas: ${replicas}
${sleepingPods(name)}`;
}

/** A StatefulSet and its headless Service. */
export function hostShellStatefulSet(namespace: string, name: string, replicas: number): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  clusterIP: None
  selector: {app: ${name}}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  serviceName: ${name}
  replicas: ${replicas}
${sleepingPods(name)}`;
}

/** status.readyReplicas of a Deployment or StatefulSet (0 while it has none). */
export async function readyReplicas(bed: Bed, kind: 'deployment' | 'statefulset', namespace: string, name: string): Promise<number> {
  return Number(await bed.kubectl(['get', kind, name, '-n', namespace, '-o', 'jsonpath={.status.readyReplicas}'])) || 0;
}

export async function createdRevision(bed: Bed, kind: string, namespace: string, name: string): Promise<string> {
  return bed.kubectl(['get', kind, name, '-n', namespace, '-o', 'jsonpath={.metadata.resourceVersion}']);
}

/**
 * Creates a ConfigMap, retrying what the API server could not finish (a 5xx or a lost
 * connection while its store elects a leader). A retry answered 409 finds the ConfigMap an
 * earlier attempt created, so each name is created once, however often it is tried.
 */
export async function createOrFindConfigMap(core: CoreV1Api, namespace: string, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data: { name } } });
      return;
    } catch (error) {
      if (error instanceof ApiException && error.code === 409) return;
      if (error instanceof ApiException && error.code >= 400 && error.code < 500 && error.code !== 429) throw error;
      if (Date.now() > deadline) throw new Error(`could not create ConfigMap ${namespace}/${name} within ${timeoutMs} ms: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
    }
  }
}

/** Creates every named ConfigMap with `concurrency` requests in flight; `created` hears of each once it is answered. */
export async function createConfigMaps(core: CoreV1Api, namespace: string, names: readonly string[], concurrency: number, created: (name: string) => void = () => undefined): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < names.length) {
      const name = names[next++] as string;
      await createOrFindConfigMap(core, namespace, name, 60_000);
      created(name);
    }
  }));
}
