// An informer that survives what a long-running watcher meets: a dropped watch or a restarting
// API server starts it again after a pause, and a handler that throws on one object is logged
// and skipped rather than ending the process.

import { makeInformer, type Informer, type KubeConfig, type KubernetesObject, type ListPromise } from '@kubernetes/client-node';

const RESTART_AFTER_MS = 1_000;

export interface InformerHandlers<T> {
  change(object: T): void;
  deleted?(object: T): void;
}

export function resilientInformer<T extends KubernetesObject>(
  config: KubeConfig,
  path: string,
  list: ListPromise<T>,
  handlers: InformerHandlers<T>,
  log: (message: string) => void,
  labelSelector?: string,
): Informer<T> {
  const informer = makeInformer(config, path, list, labelSelector);
  let stopped = false;
  const guarded = (handler: ((object: T) => void) | undefined) => (object: T) => {
    try {
      handler?.(object);
    } catch (error) {
      log(`${path}: ${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    }
  };
  informer.on('add', guarded(handlers.change));
  informer.on('update', guarded(handlers.change));
  informer.on('delete', guarded(handlers.deleted));
  informer.on('error', (error) => {
    if (stopped) return;
    log(`watch of ${path} failed (${String(error)}); starting it again`);
    setTimeout(() => void informer.start().catch(() => undefined), RESTART_AFTER_MS);
  });
  const stop = informer.stop.bind(informer);
  informer.stop = async () => {
    stopped = true;
    await stop();
  };
  return informer;
}
