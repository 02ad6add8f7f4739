// Native gRPC errors: the status comes from the shared registry (src/api/errors.ts), and the
// registry's stable code travels in the `bvault-error-code` trailer, so a client can tell
// NODE_TIMEOUT (the write may still commit) from MVCC_NOSPACE although both are not OK.
import { Metadata, type ServiceError, status as GrpcStatus } from '@grpc/grpc-js';
import { toClientError } from '../errors.js';

export const ERROR_CODE_TRAILER = 'bvault-error-code';
/** Set with MVCC_COMPACTED on a watch: the oldest revision still available. */
export const COMPACT_REVISION_TRAILER = 'bvault-compact-revision';

export function nativeServiceError(error: unknown): ServiceError {
  const clientError = toClientError(error);
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_TRAILER, clientError.code);
  const compactRevision = (error as { compactRevision?: unknown }).compactRevision;
  if (typeof compactRevision === 'number') metadata.set(COMPACT_REVISION_TRAILER, String(compactRevision));
  return Object.assign(new Error(clientError.message), { code: clientError.status.grpc, details: clientError.message, metadata });
}

/** True for the errors of an API bug rather than of the request or the cluster: worth a log line. */
export function isInternal(serviceError: ServiceError): boolean {
  return serviceError.code === GrpcStatus.INTERNAL || serviceError.code === GrpcStatus.UNKNOWN;
}
