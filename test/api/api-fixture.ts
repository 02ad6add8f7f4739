// Shared set-up of the REST API tests: the API built over the SingleStoreKvNode test double,
// with small limits so that limit tests need small bodies, and a fingerprint of the store to
// prove that refused requests changed nothing.
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { Registry } from 'prom-client';
import { buildHttpApi } from '../../src/api/http/index.js';
import type { HttpLimits } from '../../src/api/http/http-limits.js';
import { silentLogger } from '../../src/observability/logger.js';
import { SingleStoreKvNode } from './single-store-kv-node.js';

export const TEST_LIMITS: Partial<HttpLimits> = {
  keyBytesMax: 32,
  valueBytesMax: 256,
  txnOperationsMax: 4,
  requestBytesMax: 1024,
  listPageKeysMax: 10,
};

const ALL_KEYS = new Uint8Array([0]);

export interface ApiFixture {
  readonly node: SingleStoreKvNode;
  readonly app: FastifyInstance;
  readonly registry: Registry;
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
  /**
   * The store revision, every key and every lease. (Not store.hash(): it covers the applied
   * index, which a refused entry moves in a real node too.)
   */
  fingerprint(): Promise<object>;
  close(): Promise<void>;
}

export async function openApiFixture(limits: Partial<HttpLimits> = TEST_LIMITS): Promise<ApiFixture> {
  const node = await SingleStoreKvNode.open();
  const registry = new Registry();
  const app = await buildHttpApi({ node, metrics: registry, logger: silentLogger(), limits });
  return {
    node,
    app,
    registry,
    request: (options) => app.inject(options),
    fingerprint: async () => ({
      revision: node.store.currentRevision,
      kvs: (await node.store.range({ key: ALL_KEYS, rangeEnd: ALL_KEYS })).kvs,
      leases: await node.store.leases(),
    }),
    close: async () => {
      await app.close();
      await node.close();
    },
  };
}

/** The `{ error: { code } }` of a JSON error answer. */
export function errorCode(response: LightMyRequestResponse): string {
  return (response.json() as { error: { code: string } }).error.code;
}
