// One gRPC client (and so one HTTP/2 connection) per endpoint, made on first use.
import { credentials, type ChannelCredentials, type ServiceError, status as GrpcStatus, Metadata } from '@grpc/grpc-js';
import type { ClientTls } from './client-options.js';
import { KVClient } from '../generated/beavervault/v1/kv.js';
import { BeaverVaultError } from './client-errors.js';
import { httpPortExplanation } from './http-port-probe.js';
import type { TokenSource } from './token-source.js';

// grpc-js waits up to two minutes between reconnects by default; a member that restarts
// after a crash should be used again within a second.
const CHANNEL_OPTIONS = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1_000,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
} as const;

export class GrpcChannels {
  private readonly clients = new Map<string, KVClient>();
  private readonly httpPortProbes = new Map<string, Promise<string | undefined>>();
  private closed = false;

  private readonly credentials: ChannelCredentials;

  /**
   * Plaintext without `tls`; with it, TLS verified against its CA (or the system's). `tokens` is
   * set when the client was given a user: every call then carries its token.
   */
  constructor(
    private readonly tls?: ClientTls,
    private readonly tokens?: TokenSource,
  ) {
    this.credentials = channelCredentialsOf(tls);
  }

  client(endpoint: string): KVClient {
    if (this.closed) throw notConnected('the client is closed', GrpcStatus.CANCELLED);
    let client = this.clients.get(endpoint);
    if (client === undefined) {
      client = new KVClient(endpoint, this.credentials, this.tokens === undefined ? CHANNEL_OPTIONS : { ...CHANNEL_OPTIONS, interceptors: [this.tokens.interceptor(endpoint)] });
      this.clients.set(endpoint, client);
    }
    return client;
  }

  /**
   * Resolves once `endpoint` is connected; rejects like a failed call (UNAVAILABLE) after
   * `timeoutMs`, or at once with CLIENT_HTTP_PORT when the endpoint is an HTTP/1.1 port.
   */
  async ready(endpoint: string, timeoutMs: number): Promise<KVClient> {
    const client = this.client(endpoint);
    const connected = new Promise<void>((resolve, reject) => {
      client.waitForReady(Date.now() + timeoutMs, (error) => {
        if (error) reject(notConnected(`No connection established within ${timeoutMs} ms`, GrpcStatus.UNAVAILABLE));
        else resolve();
      });
    });
    const explained = this.httpPortProbe(endpoint).then((explanation) => {
      if (explanation === undefined) return connected;
      throw new BeaverVaultError({ code: 'CLIENT_HTTP_PORT', message: explanation, retryable: false, mayHaveCommitted: false, endpoint });
    });
    await Promise.race([connected, explained]);
    return client;
  }

  /** What the endpoint is instead of a gRPC port, if it is an HTTP one; probed once per endpoint. */
  private httpPortProbe(endpoint: string): Promise<string | undefined> {
    let probe = this.httpPortProbes.get(endpoint);
    if (probe === undefined) {
      probe = httpPortExplanation(endpoint, this.tls);
      this.httpPortProbes.set(endpoint, probe);
    }
    return probe;
  }

  close(): void {
    this.closed = true;
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
    this.tokens?.close();
  }
}

/** Plaintext without `tls`; with it, TLS verified against its CA (or the system's), showing its certificate if any. */
export function channelCredentialsOf(tls: ClientTls | undefined): ChannelCredentials {
  return tls === undefined ? credentials.createInsecure() : credentials.createSsl(pemOf(tls.ca), pemOf(tls.key), pemOf(tls.cert));
}

function pemOf(value: Buffer | string | undefined): Buffer | null {
  return value === undefined ? null : Buffer.from(value);
}

/** Shaped like a failed call, so one classification (client-errors.ts) covers both. */
function notConnected(details: string, code: GrpcStatus): ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}
