// A generated beavervault.v1.KV client for the tests, with promise-shaped unary calls, a
// deadline on every call, and helpers to read the error a call failed with.
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { KVClient } from '../../src/generated/beavervault/v1/kv.js';

export const CALL_DEADLINE_MS = 15_000;

/** A message of 48 MiB and more exceeds the server's request limit; tests send bigger ones. */
export const CLIENT_MESSAGE_BYTES_MAX = 64 * 1024 * 1024;

export function nativeClient(address: string): KVClient {
  return new KVClient(address, credentials.createInsecure(), {
    'grpc.max_send_message_length': CLIENT_MESSAGE_BYTES_MAX,
    'grpc.max_receive_message_length': CLIENT_MESSAGE_BYTES_MAX,
  });
}

export function callOptions(): { deadline: number } {
  return { deadline: Date.now() + CALL_DEADLINE_MS };
}

type Callback<Response> = (error: ServiceError | null, response: Response) => void;

/** `await unary<PutResponse>((done) => client.put(request, new Metadata(), callOptions(), done))`. */
export function unary<Response>(start: (done: Callback<Response>) => unknown): Promise<Response> {
  return new Promise((resolve, reject) => {
    start((error, response) => (error === null ? resolve(response) : reject(error)));
  });
}

/** The ServiceError a call was refused with; fails the test when the call succeeded. */
export async function refusal(call: Promise<unknown>): Promise<ServiceError & { errorCode: string | undefined }> {
  try {
    await call;
  } catch (error) {
    const serviceError = error as ServiceError;
    const errorCode = serviceError.metadata?.get('bvault-error-code')[0];
    return Object.assign(serviceError, { errorCode: errorCode === undefined ? undefined : String(errorCode) });
  }
  throw new Error('the call succeeded but a refusal was expected');
}

export { Metadata };

export const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');
export const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : Buffer.from(value).toString('utf8'));
