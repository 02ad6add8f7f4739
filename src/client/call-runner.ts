// Runs one client call: picks an endpoint, bounds the call by its deadline, fails over when
// an endpoint is gone and retries with backoff what is safe to retry. Every response header
// names the member that answered and its leader, which keeps the leader routing current.
import type { ClientUnaryCall, Metadata as GrpcMetadata, CallOptions as GrpcCallOptions, ServiceError } from '@grpc/grpc-js';
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import type { KVClient } from '../generated/beavervault/v1/kv.js';
import type { ResponseHeader } from '../generated/beavervault/v1/types.js';
import { backoffDelayMs } from './backoff.js';
import { BeaverVaultError, errorOfAttempt, shouldFailOver } from './client-errors.js';
import type { ResolvedOptions } from './client-options.js';
import { Deadline } from './deadline.js';
import { TOKEN_RENEWAL_CODES } from './token-source.js';
import type { CallKind, EndpointPool } from './endpoint-pool.js';
import type { GrpcChannels } from './grpc-channels.js';

export interface CallSpec {
  /** Writes go to the leader when it is known. */
  readonly kind: CallKind;
  /** Whether sending the request twice has the effect of sending it once. */
  readonly idempotent: boolean;
  readonly timeoutMs?: number | undefined;
}

export type Attempt<T> = (client: KVClient, deadline: Deadline, endpoint: string) => Promise<T>;

export class CallRunner {
  constructor(
    private readonly options: ResolvedOptions,
    private readonly pool: EndpointPool,
    private readonly channels: GrpcChannels,
    private readonly random: () => number = Math.random,
  ) {}

  async run<T extends { readonly header?: ResponseHeader | undefined }>(spec: CallSpec, attempt: Attempt<T>): Promise<T> {
    const deadline = new Deadline(spec.timeoutMs ?? this.options.requestTimeoutMs);
    for (let attemptNumber = 1; ; attemptNumber += 1) {
      const endpoint = this.pool.pick(spec.kind);
      try {
        const client = await this.channels.ready(endpoint, Math.min(this.options.dialTimeoutMs, Math.max(1, deadline.remainingMs())));
        const response = await attempt(client, deadline, endpoint);
        this.noteAnswer(endpoint, response.header);
        return response;
      } catch (thrown) {
        const error = this.errorOf(thrown, endpoint, spec.idempotent, deadline);
        if (shouldFailOver(error)) this.pool.reportFailure(endpoint);
        const delayMs = backoffDelayMs(attemptNumber, this.options.retry, this.random);
        if (!error.retryable || attemptNumber >= this.options.retry.attemptsMax) throw error;
        if (!deadline.allowsWait(delayMs)) throw deadlineError(error, attemptNumber);
        await sleep(delayMs);
      }
    }
  }

  /** What a response header says about the routing: who answered and who leads. */
  noteAnswer(endpoint: string, header: ResponseHeader | undefined): void {
    this.pool.reportSuccess(endpoint);
    if (header !== undefined) this.pool.learn(endpoint, String(header.memberId), header.leaderId === 0n ? undefined : String(header.leaderId));
  }

  errorOf(thrown: unknown, endpoint: string, idempotent: boolean, deadline?: Deadline): BeaverVaultError {
    if (thrown instanceof BeaverVaultError) return thrown;
    if (!isServiceError(thrown)) throw thrown;
    const error = renewable(errorOfAttempt(thrown, endpoint, idempotent), this.options);
    // A connection attempt cut short by the call's own deadline is the deadline's failure.
    return deadline?.expired() && error.code === 'CLIENT_UNAVAILABLE' ? deadlineError(error) : error;
  }
}

/**
 * A stale token refused the call before anything happened; a client with a user has already
 * forgotten it (token-source.ts), so the same call with a new token may succeed.
 */
function renewable(error: BeaverVaultError, options: ResolvedOptions): BeaverVaultError {
  if (options.user === undefined || !TOKEN_RENEWAL_CODES.has(error.code)) return error;
  return new BeaverVaultError({ code: error.code, message: error.message, ...(error.grpcStatus === undefined ? {} : { grpcStatus: error.grpcStatus }), retryable: true, mayHaveCommitted: false, ...(error.endpoint === undefined ? {} : { endpoint: error.endpoint }) });
}

/** The call's deadline ended it; `last` is the failure of its last attempt. */
function deadlineError(last: BeaverVaultError, attempts = 1): BeaverVaultError {
  const message = `deadline exceeded after ${attempts} attempt${attempts === 1 ? '' : 's'}; the last: ${last.message}`;
  return new BeaverVaultError({ code: 'CLIENT_DEADLINE_EXCEEDED', message, grpcStatus: GrpcStatus.DEADLINE_EXCEEDED, retryable: false, mayHaveCommitted: last.mayHaveCommitted, ...(last.endpoint === undefined ? {} : { endpoint: last.endpoint }) });
}

type UnaryMethod<Request, Response> = (
  request: Request,
  metadata: GrpcMetadata,
  options: Partial<GrpcCallOptions>,
  callback: (error: ServiceError | null, response: Response) => void,
) => ClientUnaryCall;

/** One unary gRPC call with the call's deadline. */
export function callUnary<Request, Response>(method: UnaryMethod<Request, Response>, request: Request, deadline: Deadline): Promise<Response> {
  return new Promise((resolve, reject) => {
    method(request, new Metadata(), { deadline: deadline.asDate() }, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

export function isServiceError(value: unknown): value is ServiceError {
  return value instanceof Error && typeof (value as Partial<ServiceError>).code === 'number' && 'metadata' in value;
}

export async function sleep(milliseconds: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, milliseconds));
}
