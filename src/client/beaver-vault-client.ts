// The client: keys, lists, batches, transactions, watches, and (through `leases` and
// `members`) leases and membership, over the native beavervault.v1.KV gRPC service.
// Reads may be retried anywhere; writes are never retried once their outcome is unknown
// (they fail with a BeaverVaultError whose mayHaveCommitted is true).
import { OperationType, type TransactionRequest } from '../generated/beavervault/v1/transaction.js';
import { AdminCalls } from './admin-calls.js';
import { type CallRunner, callUnary } from './call-runner.js';
import { BeaverVaultError } from './client-errors.js';
import type { CallOptions, ResolvedOptions } from './client-options.js';
import type { EndpointPool } from './endpoint-pool.js';
import type { GrpcChannels } from './grpc-channels.js';
import { LeaseCalls } from './lease-calls.js';
import { MemberCalls } from './member-calls.js';
import { type Bytes, bytesOf, headerOf, type KeyValue, keyValueOf, optionalKeyValueOf, type ReadConsistency, type WatchEvent, wireConsistencyOf } from './results.js';
import { type Condition, type Operation, TxnBuilder, type TxnResult, txnOpResultOf, wireConditionOf, wireOperationOf } from './transaction-builder.js';
import { type WatchOptions, watchEvents } from './watch-stream.js';

export interface ReadOptions extends CallOptions {
  /** 0 or unset reads the latest revision. */
  readonly revision?: number;
  readonly consistency?: ReadConsistency;
}

export interface PutOptions extends CallOptions {
  /** Attach to an existing lease. */
  readonly lease?: bigint | number;
  /** Grant a lease of this many seconds for the key. */
  readonly ttlSeconds?: number;
  readonly prevKv?: boolean;
  readonly contentType?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** The put applies only if all hold; otherwise it fails with API_PRECONDITION_FAILED. */
  readonly conditions?: readonly Condition[];
}

export interface PutResult {
  readonly revision: number;
  readonly prevKv?: KeyValue;
  /** The lease the key is attached to; 0n for none. */
  readonly lease: bigint;
}

export interface DeleteOptions extends CallOptions {
  readonly prefix?: boolean;
  readonly prevKv?: boolean;
  readonly conditions?: readonly Condition[];
}

export interface DeleteResult {
  readonly revision: number;
  readonly deleted: number;
  readonly prevKvs: readonly KeyValue[];
}

export interface ListOptions extends ReadOptions {
  /** Keys per page; 0 or unset lets the server choose. */
  readonly limit?: number;
  /** nextCursor of the previous page. */
  readonly cursor?: Uint8Array;
  readonly keysOnly?: boolean;
}

export interface ListPage {
  readonly kvs: readonly KeyValue[];
  /** Set when more pages follow. */
  readonly nextCursor?: Uint8Array;
  /** Keys under the prefix at the revision read, on this page and after it. */
  readonly count: number;
  readonly revision: number;
}

export interface BatchPutItem {
  readonly key: Bytes;
  readonly value: Bytes;
  readonly lease?: bigint | number;
  readonly contentType?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface BatchGetResult {
  readonly key: Buffer;
  /** Undefined when the key does not exist. */
  readonly kv: KeyValue | undefined;
}

export class BeaverVaultClient {
  readonly leases: LeaseCalls;
  readonly members: MemberCalls;
  readonly admin: AdminCalls;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly pool: EndpointPool,
    private readonly channels: GrpcChannels,
    private readonly runner: CallRunner,
  ) {
    this.leases = new LeaseCalls(options, pool, channels, runner);
    this.members = new MemberCalls(runner);
    this.admin = new AdminCalls(options, pool, channels, runner);
  }

  get endpoints(): readonly string[] {
    return this.options.endpoints;
  }

  async put(key: Bytes, value: Bytes, options: PutOptions = {}): Promise<PutResult> {
    const request = {
      key: bytesOf(key),
      value: bytesOf(value),
      contentType: options.contentType ?? '',
      tags: { ...options.tags },
      lease: BigInt(options.lease ?? 0),
      ttlSeconds: BigInt(options.ttlSeconds ?? 0),
      prevKv: options.prevKv ?? false,
      conditions: (options.conditions ?? []).map(wireConditionOf),
    };
    const response = await this.runner.run({ kind: 'write', idempotent: false, timeoutMs: options.timeoutMs }, (client, deadline) => callUnary(client.put.bind(client), request, deadline));
    const prevKv = optionalKeyValueOf(response.prevKv);
    return { revision: headerOf(response.header).revision, lease: response.lease, ...(prevKv === undefined ? {} : { prevKv }) };
  }

  /** The key's current (or `revision`'s) value, or undefined when it does not exist. */
  async get(key: Bytes, options: ReadOptions = {}): Promise<KeyValue | undefined> {
    const request = { key: bytesOf(key), revision: BigInt(options.revision ?? 0), consistency: wireConsistencyOf(options.consistency) };
    try {
      const response = await this.runner.run({ kind: 'read', idempotent: true, timeoutMs: options.timeoutMs }, (client, deadline) => callUnary(client.get.bind(client), request, deadline));
      return optionalKeyValueOf(response.kv);
    } catch (error) {
      if (error instanceof BeaverVaultError && error.code === 'API_KEY_NOT_FOUND') return undefined;
      throw error;
    }
  }

  async delete(key: Bytes, options: DeleteOptions = {}): Promise<DeleteResult> {
    const request = { key: bytesOf(key), prefix: options.prefix ?? false, prevKv: options.prevKv ?? false, conditions: (options.conditions ?? []).map(wireConditionOf) };
    const response = await this.runner.run({ kind: 'write', idempotent: false, timeoutMs: options.timeoutMs }, (client, deadline) => callUnary(client.delete.bind(client), request, deadline));
    return { revision: headerOf(response.header).revision, deleted: Number(response.deleted), prevKvs: response.prevKvs.map(keyValueOf) };
  }

  /** One page of the keys that start with `prefix`. */
  async list(prefix: Bytes, options: ListOptions = {}): Promise<ListPage> {
    const request = {
      prefix: bytesOf(prefix),
      limit: BigInt(options.limit ?? 0),
      cursor: options.cursor ?? new Uint8Array(0),
      revision: BigInt(options.revision ?? 0),
      consistency: wireConsistencyOf(options.consistency),
      keysOnly: options.keysOnly ?? false,
    };
    const response = await this.runner.run({ kind: 'read', idempotent: true, timeoutMs: options.timeoutMs }, (client, deadline) => callUnary(client.list.bind(client), request, deadline));
    const revision = headerOf(response.header).revision;
    const page = { kvs: response.kvs.map(keyValueOf), count: Number(response.count), revision };
    return response.nextCursor.length === 0 ? page : { ...page, nextCursor: response.nextCursor };
  }

  /** Every page under `prefix`, all read at the first page's revision. */
  async *listPages(prefix: Bytes, options: Omit<ListOptions, 'cursor'> = {}): AsyncGenerator<ListPage, void, undefined> {
    let page = await this.list(prefix, options);
    const revision = options.revision ?? page.revision;
    yield page;
    while (page.nextCursor !== undefined) {
      page = await this.list(prefix, { ...options, revision, cursor: page.nextCursor });
      yield page;
    }
  }

  /** All puts apply under one revision, or none does. */
  async batchPut(items: readonly BatchPutItem[], options: CallOptions & { readonly ttlSeconds?: number } = {}): Promise<{ readonly revision: number; readonly count: number }> {
    const request = {
      items: items.map((item) => ({ key: bytesOf(item.key), value: bytesOf(item.value), contentType: item.contentType ?? '', tags: { ...item.tags }, lease: BigInt(item.lease ?? 0) })),
      ttlSeconds: BigInt(options.ttlSeconds ?? 0),
    };
    const response = await this.runner.run({ kind: 'write', idempotent: false, timeoutMs: options.timeoutMs }, (client, deadline) => callUnary(client.batchPut.bind(client), request, deadline));
    return { revision: headerOf(response.header).revision, count: Number(response.count) };
  }

  /** Every key read at one revision; one result per key, in order. */
  async batchGet(keys: readonly Bytes[], options: ReadOptions = {}): Promise<{ readonly revision: number; readonly results: readonly BatchGetResult[] }> {
    const request = { keys: keys.map(bytesOf), revision: BigInt(options.revision ?? 0), consistency: wireConsistencyOf(options.consistency) };
    const response = await this.runner.run({ kind: 'read', idempotent: true, timeoutMs: options.timeoutMs }, (client, deadline) => callUnary(client.batchGet.bind(client), request, deadline));
    const results = response.results.map((result) => ({ key: bytesOf(result.key), kv: result.found ? optionalKeyValueOf(result.kv) : undefined }));
    return { revision: headerOf(response.header).revision, results };
  }

  /** An etcd-style transaction: `txn().if(...).then(...).else(...).commit()`. */
  txn(options: CallOptions = {}): TxnBuilder {
    return new TxnBuilder((compare, success, failure) => this.sendTransaction({ operations: [], compare, success, failure }, options));
  }

  /** The seeds' form: every condition must hold, then all operations apply under one revision. */
  transaction(operations: readonly Operation[], options: CallOptions = {}): Promise<TxnResult> {
    return this.sendTransaction({ operations: operations.map(wireOperationOf), compare: [], success: [], failure: [] }, options);
  }

  /** Events on `key` (or every key under it with `prefix`), resumed across failures without loss or repetition. */
  watch(key: Bytes, options: WatchOptions = {}): AsyncGenerator<WatchEvent, void, undefined> {
    const context = { options: this.options, runner: this.runner, pool: this.pool, channels: this.channels, currentRevision: async () => (await this.admin.status()).header.revision };
    return watchEvents(context, key, options);
  }

  /** Stops lease keep-alives and closes every connection. */
  close(): void {
    this.leases.stopKeepAlives();
    this.channels.close();
  }

  private async sendTransaction(request: TransactionRequest, options: CallOptions): Promise<TxnResult> {
    const readOnly = request.operations.every((operation) => operation.type === OperationType.OPERATION_TYPE_GET) && [...request.success, ...request.failure].every((item) => item.range !== undefined);
    const response = await this.runner.run({ kind: readOnly ? 'read' : 'write', idempotent: readOnly, timeoutMs: options.timeoutMs }, (client, deadline) => callUnary(client.transaction.bind(client), request, deadline));
    return { succeeded: response.succeeded, results: response.responses.map(txnOpResultOf), revision: headerOf(response.header).revision };
  }
}
