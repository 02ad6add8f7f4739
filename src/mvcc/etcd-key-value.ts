// A key-value as etcd's mvccpb.KeyValue, field for field with int64 as bigint: what the etcd API
// answers, and what etcd's HashKV hashes (etcd-hash.ts).
import type * as mvccpb from '../generated/etcd/mvccpb/kv.js';
import type { KeyValue } from './types.js';

export function keyValueMessage(kv: KeyValue): mvccpb.KeyValue {
  return {
    key: kv.key,
    createRevision: BigInt(kv.createRevision),
    modRevision: BigInt(kv.modRevision),
    version: BigInt(kv.version),
    value: kv.value,
    lease: BigInt(kv.lease),
  };
}
