// Direct grpc-js clients of the etcd services (from the generated definitions), for tests that
// check exact status codes and messages, and a raw client that sends arbitrary bytes.
import { type CallOptions, credentials, makeGenericClientConstructor, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { KVClient, LeaseClient, MaintenanceClient, WatchClient } from '../../src/generated/etcd/etcdserverpb/rpc.js';
import type { ServerProcess } from '../cluster/cluster-harness.js';
import { grpcEndpoint } from './etcdctl-runner.js';

const CALL_DEADLINE_MS = 10_000;

export interface EtcdClients {
  readonly kv: KVClient;
  readonly lease: LeaseClient;
  readonly watch: WatchClient;
  readonly maintenance: MaintenanceClient;
  close(): void;
}

export function etcdClients(member: ServerProcess): EtcdClients {
  return etcdClientsAt(grpcEndpoint(member));
}

/** Clients of whatever serves etcd's API at `address` (host:port): a member, or etcd itself. */
export function etcdClientsAt(address: string): EtcdClients {
  const insecure = credentials.createInsecure();
  const clients = { kv: new KVClient(address, insecure), lease: new LeaseClient(address, insecure), watch: new WatchClient(address, insecure), maintenance: new MaintenanceClient(address, insecure) };
  return { ...clients, close: () => Object.values(clients).forEach((client: Client) => client.close()) };
}

type Callback<Response> = (error: ServiceError | null, response: Response) => void;
type UnaryMethod<Request, Response> = (request: Request, metadata: Metadata, options: Partial<CallOptions>, callback: Callback<Response>) => unknown;

/** A unary call as a promise, with a deadline; pass the method bound to its client. */
export function call<Request, Response>(method: UnaryMethod<Request, Response>, request: Request): Promise<Response> {
  return new Promise((resolve, reject) => {
    method(request, new Metadata(), { deadline: Date.now() + CALL_DEADLINE_MS }, (error, response) => (error === null ? resolve(response) : reject(error)));
  });
}

/** The error a unary call fails with; fails the test if the call succeeds. */
export async function callError<Response>(pending: Promise<Response>): Promise<ServiceError> {
  try {
    await pending;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('the call succeeded but an error was expected');
}

/** Sends `bytes` as the request of `path` without any encoding, and returns the status error. */
export function rawCall(member: ServerProcess, path: string, bytes: Buffer): Promise<ServiceError | null> {
  const definition = {
    raw: { path, requestStream: false, responseStream: false, requestSerialize: (value: Buffer) => value, requestDeserialize: (value: Buffer) => value, responseSerialize: (value: Buffer) => value, responseDeserialize: (value: Buffer) => value },
  };
  const RawClient = makeGenericClientConstructor(definition, 'raw');
  const client = new RawClient(grpcEndpoint(member), credentials.createInsecure()) as unknown as Client & { raw: (request: Buffer, metadata: Metadata, options: { deadline: number }, callback: Callback<Buffer>) => void };
  return new Promise((resolve) => {
    client.raw(bytes, new Metadata(), { deadline: Date.now() + CALL_DEADLINE_MS }, (error) => {
      client.close();
      resolve(error);
    });
  });
}
