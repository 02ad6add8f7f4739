// The root password of a cluster whose spec asks for authentication (spec.auth), from the user's
// Secret. The operator turns etcd's authentication on with it once the cluster has a leader, and
// makes the calls that need the root role (membership changes, leadership transfers, backups,
// restores) as root from then on; see member-api.ts.

import { ApiException, type CoreV1Api } from '@kubernetes/client-node';
import type { KVCluster } from './kvcluster.js';

/** The root password cannot be had, or the cluster refuses it: nothing that needs root can go on until a person acts. */
export class RootPasswordError extends Error {
  override readonly name = 'RootPasswordError';
}

/** The key of the Secret that holds the password when spec.auth names none (the CRD's default). */
const DEFAULT_PASSWORD_KEY = 'password';

/**
 * Reads the root password from spec.auth's Secret when first asked, then keeps it for the pass;
 * undefined for a cluster without spec.auth. A missing Secret or key fails only the calls that
 * need the password, naming what to create.
 */
export function rootPasswordOf(core: CoreV1Api, cluster: KVCluster): (() => Promise<string>) | undefined {
  const secret = cluster.spec.auth?.rootPasswordSecret;
  if (secret === undefined) return undefined;
  let read: Promise<string> | undefined;
  return () => (read ??= readPassword(core, cluster.metadata.namespace, secret.name, secret.key ?? DEFAULT_PASSWORD_KEY));
}

async function readPassword(core: CoreV1Api, namespace: string, name: string, key: string): Promise<string> {
  let data: Record<string, string> | undefined;
  try {
    data = (await core.readNamespacedSecret({ namespace, name })).data;
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) throw new RootPasswordError(`spec.auth.rootPasswordSecret: the Secret ${namespace}/${name} does not exist; create it with the root password under the key ${key}`);
    throw error;
  }
  const password = Buffer.from(data?.[key] ?? '', 'base64').toString('utf8');
  if (password === '') throw new RootPasswordError(`spec.auth.rootPasswordSecret: the Secret ${namespace}/${name} has no ${key}, or it is empty; it needs the root password under that key`);
  return password;
}
