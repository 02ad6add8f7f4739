// The gateway's client of its own member's gRPC server (src/api/grpc/local-endpoint.ts): calls
// carry protobuf bytes both ways, since the gateway translates JSON to the wire encoding
// itself, and the HTTP caller's token as the `token` metadata etcd clients send.
import { Client, credentials, Metadata, type ClientDuplexStream, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { TOKEN_METADATA_KEY } from '../../shared/token-metadata.js';

const asIs = (bytes: Buffer): Buffer => bytes;

export class LocalGrpcClient {
  private readonly client: Client;

  constructor(target: string) {
    // The server bounds what it receives and sends; the gateway passes on whatever it is given.
    this.client = new Client(target, credentials.createInsecure(), { 'grpc.max_receive_message_length': -1, 'grpc.enable_channelz': 0 });
  }

  /** Resolves with the response's bytes; rejects with the call's ServiceError. `signal` cancels the call. */
  unary(path: string, request: Uint8Array, token: string | undefined, signal: AbortSignal): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const call = this.client.makeUnaryRequest(path, asIs, asIs, Buffer.from(request), metadataOf(token), (error: ServiceError | null, response?: Buffer) => {
        signal.removeEventListener('abort', cancel);
        if (error !== null) reject(error);
        else resolve(response ?? Buffer.alloc(0));
      });
      const cancel = (): void => call.cancel();
      signal.addEventListener('abort', cancel, { once: true });
    });
  }

  serverStream(path: string, request: Uint8Array, token: string | undefined): ClientReadableStream<Buffer> {
    return this.client.makeServerStreamRequest(path, asIs, asIs, Buffer.from(request), metadataOf(token));
  }

  bidiStream(path: string, token: string | undefined): ClientDuplexStream<Buffer, Buffer> {
    return this.client.makeBidiStreamRequest(path, asIs, asIs, metadataOf(token));
  }

  close(): void {
    this.client.close();
  }
}

function metadataOf(token: string | undefined): Metadata {
  const metadata = new Metadata();
  if (token !== undefined) metadata.set(TOKEN_METADATA_KEY, token);
  return metadata;
}
