// Sends one workload operation through the product's client library and turns the answer into
// the workload's output. A `cas` is a txn (compare the value, or version 0 for a missing key,
// then put); a `txn` puts several keys at one revision; a `read-txn` reads several keys at one.
import { type BeaverVaultClient, compare, type KeyValue, op, type TxnOpResult } from '../../../src/client/index.js';
import type { KeyRead, WorkloadInput, WorkloadOutput } from './recorded-operation.js';

/** The answer of a linearizable read of a key that may not exist. */
function readOf(kv: KeyValue | undefined): KeyRead {
  return kv === undefined ? { value: null, modRevision: 0 } : { value: kv.value.toString('utf8'), modRevision: kv.modRevision };
}

function readOfTxnResult(result: TxnOpResult | undefined): KeyRead {
  if (result?.type !== 'get') throw new Error(`a read-only txn answered ${result?.type ?? 'nothing'} where a get was sent`);
  return readOf(result.kvs[0]);
}

export async function performOperation(client: BeaverVaultClient, input: WorkloadInput): Promise<WorkloadOutput> {
  switch (input.kind) {
    case 'get':
      return { kind: 'get', ...readOf(await client.get(input.key)) };
    case 'put':
      return { kind: 'put', revision: (await client.put(input.key, input.value)).revision };
    case 'delete': {
      const result = await client.delete(input.key);
      return { kind: 'delete', revision: result.revision, deleted: result.deleted };
    }
    case 'cas': {
      const guard = input.expected === null ? compare.version(input.key, '=', 0) : compare.value(input.key, '=', input.expected);
      const result = await client.txn().if(guard).then(op.put(input.key, input.value)).commit();
      return { kind: 'cas', revision: result.revision, succeeded: result.succeeded };
    }
    case 'txn': {
      const result = await client.txn().then(...input.writes.map((write) => op.put(write.key, write.value))).commit();
      return { kind: 'txn', revision: result.revision };
    }
    case 'read-txn': {
      const result = await client.txn().then(...input.keys.map((key) => op.get(key))).commit();
      return { kind: 'read-txn', revision: result.revision, reads: result.results.map(readOfTxnResult) };
    }
    case 'lease-grant': {
      // No keep-alive: the TTL outlasts the run, and a renewal stream would only add noise.
      const lease = await client.leases.grant(input.ttlSeconds, { keepAlive: false });
      return { kind: 'lease-grant', leaseId: lease.id.toString() };
    }
    case 'lease-put':
      return { kind: 'lease-put', revision: (await client.put(input.key, input.value, { lease: BigInt(input.leaseId) })).revision };
    case 'lease-revoke':
      await client.leases.revoke(BigInt(input.leaseId));
      return { kind: 'lease-revoke' };
  }
}
