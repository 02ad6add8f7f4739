// The etcd services answer each condition with etcd's gRPC code and exact text (etcd's
// rpctypes), from the one registry in src/api/errors.ts; clients such as clientv3 match on it.
import { status as GrpcStatus } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { toEtcdError } from '../../src/api/errors.js';
import { MvccError, type MvccErrorCode } from '../../src/mvcc/index.js';
import { NodeError, type NodeErrorCode } from '../../src/node/errors.js';

describe('etcd error answers', () => {
  it.each<[MvccErrorCode, GrpcStatus, string]>([
    ['MVCC_COMPACTED', GrpcStatus.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'],
    ['MVCC_FUTURE_REV', GrpcStatus.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision'],
    ['MVCC_LEASE_NOT_FOUND', GrpcStatus.NOT_FOUND, 'etcdserver: requested lease not found'],
    ['MVCC_LEASE_EXISTS', GrpcStatus.FAILED_PRECONDITION, 'etcdserver: lease already exists'],
    ['MVCC_LEASE_TTL_TOO_LARGE', GrpcStatus.OUT_OF_RANGE, 'etcdserver: too large lease TTL'],
    ['MVCC_DUPLICATE_KEY_IN_TXN', GrpcStatus.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request'],
    ['MVCC_TOO_MANY_TXN_OPS', GrpcStatus.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request'],
    ['MVCC_EMPTY_KEY', GrpcStatus.INVALID_ARGUMENT, 'etcdserver: key is not provided'],
    ['MVCC_KEY_TOO_LARGE', GrpcStatus.INVALID_ARGUMENT, 'etcdserver: request is too large'],
    ['MVCC_VALUE_TOO_LARGE', GrpcStatus.INVALID_ARGUMENT, 'etcdserver: request is too large'],
    ['MVCC_REQUEST_TOO_LARGE', GrpcStatus.INVALID_ARGUMENT, 'etcdserver: request is too large'],
    ['MVCC_NOSPACE', GrpcStatus.RESOURCE_EXHAUSTED, 'etcdserver: mvcc: database space exceeded'],
  ])('answers %s with etcd\'s code %i and text "%s"', (code, grpc, message) => {
    expect(toEtcdError(new MvccError(code, { size: 1, limit: 1 }))).toEqual({ grpc, message });
  });

  it.each<[NodeErrorCode, GrpcStatus, string]>([
    ['NODE_NO_LEADER', GrpcStatus.UNAVAILABLE, 'etcdserver: no leader'],
    ['NODE_NOT_LEADER', GrpcStatus.UNAVAILABLE, 'etcdserver: no leader'],
    ['NODE_TIMEOUT', GrpcStatus.UNAVAILABLE, 'etcdserver: request timed out'],
    ['NODE_OVERLOADED', GrpcStatus.RESOURCE_EXHAUSTED, 'etcdserver: too many requests'],
    ['NODE_LEADERSHIP_LOST', GrpcStatus.UNAVAILABLE, 'etcdserver: leader changed'],
    ['NODE_STOPPED', GrpcStatus.UNAVAILABLE, 'etcdserver: server stopped'],
    ['NODE_UNKNOWN_MEMBER', GrpcStatus.NOT_FOUND, 'etcdserver: member not found'],
    ['NODE_NOT_CAUGHT_UP', GrpcStatus.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member which is in sync with leader'],
    ['NODE_REMOVED', GrpcStatus.FAILED_PRECONDITION, 'etcdserver: the member has been permanently removed from the cluster'],
  ])('answers %s with etcd\'s code %i and text "%s"', (code, grpc, message) => {
    expect(toEtcdError(new NodeError(code))).toEqual({ grpc, message });
  });

  it('passes a condition etcd has no text for with the registry\'s status and message', () => {
    const error = new MvccError('MVCC_INVALID_ARGUMENT', { reason: 'limit -1 is negative' });
    expect(toEtcdError(error)).toEqual({ grpc: GrpcStatus.INVALID_ARGUMENT, message: 'beaver-vault: invalid argument: limit -1 is negative' });
    expect(toEtcdError(new Error('boom'))).toEqual({ grpc: GrpcStatus.INTERNAL, message: 'internal error: boom' });
  });
});
