// The public client library: `import { connect } from 'beaver-vault'`.
import { BeaverVaultClient } from './beaver-vault-client.js';
import { CallRunner } from './call-runner.js';
import { type ConnectOptions, resolveOptions } from './client-options.js';
import { EndpointPool } from './endpoint-pool.js';
import { channelCredentialsOf, GrpcChannels } from './grpc-channels.js';
import { TokenSource } from './token-source.js';

/** A client over the given endpoints. Connections are made on first use, so this never blocks. */
export function connect(options: ConnectOptions): BeaverVaultClient {
  const resolved = resolveOptions(options);
  const pool = new EndpointPool(resolved.endpoints);
  const tokens = resolved.user === undefined ? undefined : new TokenSource(resolved.user, resolved.requestTimeoutMs, channelCredentialsOf(resolved.tls));
  const channels = new GrpcChannels(resolved.tls, tokens);
  return new BeaverVaultClient(resolved, pool, channels, new CallRunner(resolved, pool, channels));
}

export type { BatchGetResult, BatchPutItem, DeleteOptions, DeleteResult, ListOptions, ListPage, PutOptions, PutResult, ReadOptions } from './beaver-vault-client.js';
export { BeaverVaultClient } from './beaver-vault-client.js';
export type { RetryPolicy } from './backoff.js';
export { BeaverVaultError } from './client-errors.js';
export type { CallOptions, ClientTls, ConnectOptions } from './client-options.js';
export type { ClientUser } from './token-source.js';
export type { LeaseListing, LeaseTimeToLive } from './lease-calls.js';
export { Lease } from './lease-keeper.js';
export type { AddMemberRequest } from './member-calls.js';
export type { Bytes, ClusterStatus, KeyValue, Member, ReadConsistency, ResponseInfo, WatchEvent } from './results.js';
export { compare, op, TxnBuilder } from './transaction-builder.js';
export type { Compare, CompareOperator, Condition, Operation, TxnOp, TxnOpResult, TxnResult } from './transaction-builder.js';
export type { WatchOptions } from './watch-stream.js';
