// A generated beavervault.v1.KV client for the tests, with promise-shaped unary calls, a
// deadline on every call, and helpers to read the error a call failed with.
import { type ClientReadableStream, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { KVClient, type WatchResponse } from '../../src/generated/beavervault/v1/kv.js';
import type { Event } from '../../src/generated/beavervault/v1/types.js';

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

/** Reads a server stream until `enough` says so, then cancels it; rejects with the stream's error. */
export function readUntil<Message>(stream: ClientReadableStream<Message>, enough: (messages: readonly Message[]) => boolean): Promise<Message[]> {
  return new Promise((resolve, reject) => {
    const messages: Message[] = [];
    let satisfied = false;
    stream.on('data', (message: Message) => {
      messages.push(message);
      if (satisfied || !enough(messages)) return;
      satisfied = true;
      stream.cancel();
      resolve(messages);
    });
    stream.on('error', (error: ServiceError) => {
      if (!satisfied) reject(error);
    });
    stream.on('end', () => {
      if (!satisfied) reject(new Error(`the stream ended after ${messages.length} messages`));
    });
  });
}

/** The events of a watch stream until `count` have arrived, however the server batched them. */
export async function watchEvents(stream: ClientReadableStream<WatchResponse>, count: number): Promise<Event[]> {
  const responses = await readUntil(stream, (received) => received.reduce((total, response) => total + response.events.length, 0) >= count);
  return responses.flatMap((response) => response.events);
}
