// The gateway's errors in the shapes of etcd 3.4's (grpc-gateway v1.9): a failed unary call is
// `{"error": msg, "message": msg, "code": grpcCode}` with the HTTP status HTTPStatusFromCode
// gives the gRPC code; an error in a stream is a last chunk
// `{"error": {"grpc_code", "http_code", "message", "http_status"}}`. The message is the gRPC
// server's own, so etcd's texts (`etcdserver: mvcc: required revision has been compacted`) pass
// through unchanged.
import { STATUS_CODES } from 'node:http';
import { status as GrpcStatus } from '@grpc/grpc-js';

/** An error the gateway raises itself, before or instead of a gRPC call. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';

  constructor(
    readonly grpcCode: GrpcStatus,
    message: string,
    /** Set where the HTTP status says more than the gRPC code's would (413 for a body over the limit). */
    readonly httpStatus?: number,
  ) {
    super(message);
  }
}

/** grpc-gateway's HTTPStatusFromCode. */
const HTTP_STATUS_OF_GRPC_CODE: readonly number[] = [200, 408, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401];

export interface GatewayFailure {
  readonly grpcCode: number;
  readonly httpStatus: number;
  readonly message: string;
}

/** A GatewayError, or a grpc-js ServiceError (`code`, `details`) of the call, as what the client is told. */
export function failureOf(error: unknown): GatewayFailure {
  if (error instanceof GatewayError) return { grpcCode: error.grpcCode, httpStatus: error.httpStatus ?? httpStatusOf(error.grpcCode), message: error.message };
  const { code, details } = error as { code?: unknown; details?: unknown };
  const grpcCode = typeof code === 'number' ? code : GrpcStatus.UNKNOWN;
  const message = typeof details === 'string' ? details : error instanceof Error ? error.message : String(error);
  return { grpcCode, httpStatus: httpStatusOf(grpcCode), message };
}

function httpStatusOf(grpcCode: number): number {
  return HTTP_STATUS_OF_GRPC_CODE[grpcCode] ?? 500;
}

export function errorBody(failure: GatewayFailure): object {
  return { error: failure.message, message: failure.message, code: failure.grpcCode };
}

export function streamErrorChunk(failure: GatewayFailure): object {
  return { error: { grpc_code: failure.grpcCode, http_code: failure.httpStatus, message: failure.message, http_status: STATUS_CODES[failure.httpStatus] ?? '' } };
}
